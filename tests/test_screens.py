"""The morning list fits the terminal it is shown in (issue 16): every action is at most two
lines, one once the terminal is wide enough for all a card shows (issue 29), with its title
and owner whole and its action id there to give `done`; piped with no width, nothing is cut."""

from __future__ import annotations

import json

import pytest
from rich.cells import cell_len


@pytest.fixture
def demo(cli, db_path):
    cli("--db", db_path, "demo", "--format", "json")


def _listed(cli_json) -> list[dict]:
    listed = cli_json("due")
    assert len(listed) > 20  # the demo has every rule due
    return listed


# Two-line cards until one line a row shows as much as they do (a wider terminal never shows
# less: tests/test_screens_widths.py); the demo's widest row is ~150 columns.
@pytest.mark.parametrize(("width", "most_lines"), [(80, 2), (100, 2), (120, 2), (160, 1)])
def test_each_action_fits_the_width(cli, cli_json, demo, monkeypatch, width, most_lines, chinese):
    monkeypatch.setenv("COLUMNS", str(width))
    actions = _listed(cli_json)
    lines = cli("due").stdout.splitlines()
    assert all(cell_len(line) <= width for line in lines), max(lines, key=cell_len)
    for action in actions:
        owner = action["owner"] or action["project_name"]  # a project's action: its name
        # The title and the owner whole on one line, the action id on it or the next.
        assert any(
            action["title"] in line
            and owner in line
            and any(action["action_id"] in near for near in lines[n : n + most_lines])
            for n, line in enumerate(lines)
        ), action["action_id"]
    # One action a line (or a card of two): as many lines as actions, times the card height,
    # plus the title, the header (one-line form) and the footer.
    assert len(lines) <= len(actions) * most_lines + 3


def test_piped_output_is_not_cut(cli, cli_json, demo, monkeypatch):
    monkeypatch.delenv("COLUMNS")
    actions = _listed(cli_json)
    lines = cli("due").stdout.splitlines()
    assert len(lines) == len(actions) + 3  # title, header, footer
    body = "\n".join(lines)
    for action in actions:
        assert action["action_id"] in body
        if action["phone"]:
            assert action["phone"] in body


def test_names_are_printed_as_typed_not_as_markup(cli, cli_json, project):
    cli("owner", "add", "--name", "[red]王伟[/red]", "--phone", "13812345678", "--project",
        "HY1", "--unit", "1-101", "--subscribed", "2024-01-02")  # fmt: skip
    out = cli("due", "--date", "2024-01-03").stdout
    assert "[red]王伟[/red]" in out
    owner = cli_json("owner", "list")[0]["id"]
    assert "[red]王伟[/red]" in cli("owner", "show", str(owner)).stdout
    assert json.loads(cli("due", "--date", "2024-01-03", "--format", "json").stdout)


@pytest.mark.parametrize("width", [80, 120])
def test_owner_list_and_case_list_fit_the_width(cli, cli_json, demo, monkeypatch, width):
    monkeypatch.setenv("COLUMNS", str(width))
    for listing, whole in (
        (["owner", "list", "--limit", "0"], ("id", "name", "unit")),
        (["case", "list"], ("id", "note", "unit")),
    ):
        rows = cli_json(*listing)
        assert rows
        lines = cli(*listing).stdout.splitlines()
        assert all(cell_len(line) <= width for line in lines), max(lines, key=cell_len)
        for row in rows:
            # Each row on one line with what identifies it whole (a forgotten name excepted).
            values = [str(row[key]) for key in whole if row[key] is not None]
            assert any(all(value in line for value in values) for line in lines), values


@pytest.mark.parametrize(("width", "most_lines"), [(80, 2), (120, 1)])
def test_owner_show_timeline_fits_the_width(cli, cli_json, demo, monkeypatch, width, most_lines):
    monkeypatch.setenv("COLUMNS", str(width))
    owner = next(o for o in cli_json("owner", "list", "--limit", "0") if o["stage"] == "resident")
    actions = cli_json("owner", "show", owner["id"])["actions"]
    lines = cli("owner", "show", owner["id"]).stdout.splitlines()
    assert all(cell_len(line) <= width for line in lines), max(lines, key=cell_len)
    for action in actions:
        # Its title and deadline whole on one line, its id on it or the next.
        assert any(
            action["title"] in line
            and action["due_on"] in line
            and any(action["action_id"] in near for near in lines[n : n + most_lines])
            for n, line in enumerate(lines)
        ), action["action_id"]


def _fits(lines: list[str], width: int) -> None:
    assert all(cell_len(line) <= width for line in lines), max(lines, key=cell_len)


def _one_line(lines: list[str], *values: object) -> bool:
    return any(all(str(value) in line for value in values) for line in lines)


@pytest.mark.parametrize("width", [80, 120])
def test_referral_list_fits_the_width(cli, cli_json, demo, monkeypatch, width):
    monkeypatch.setenv("COLUMNS", str(width))
    ledger = cli_json("referral", "list")
    assert ledger
    lines = cli("referral", "list").stdout.splitlines()
    _fits(lines, width)
    for row in ledger:
        # Who referred whom (id and name together), where it stands and the reward: one line.
        assert _one_line(
            lines,
            f"{row['referrer_id']} {row['referrer']}",
            f"{row['referred_id']} {row['referred']}",
            row["amount"] or "",
        ), row


@pytest.mark.parametrize("width", [80, 120])
def test_report_fits_the_width(cli, cli_json, demo, monkeypatch, width):
    import re

    monkeypatch.setenv("COLUMNS", str(width))
    period = ("--from", "2024-01-01")
    _fits(cli("report", *period).stdout.splitlines(), width)  # English, the default in tests
    # The names the JSON carries are Chinese whatever the language: read the Chinese screen.
    monkeypatch.setenv("SIXPLUSTWO_LANG", "zh")
    data = cli_json("report", *period)
    lines = cli("report", *period).stdout.splitlines()
    _fits(lines, width)
    keys = ("on_time", "late", "missed", "open")
    named = [(f"{r['step']} {r['name']}", r) for r in data["steps"]]
    named += [(r["title"], r) for r in data["rules"] if any(r[k] for k in keys)]
    named += [(r["butler"], r) for r in data["butlers"]]
    for name, row in named:
        # The name whole, then its four numbers and its on-time rate, on one line.
        numbers = r"\s+".join(str(row[k]) for k in keys)
        rate = "" if row["on_time_rate"] is None else rf"\s+{row['on_time_rate']:.0%}"
        pattern = re.compile(rf"^{re.escape(name)}\s+{numbers}{rate}")
        assert any(pattern.match(line) for line in lines), name
    assert "…" not in "\n".join(lines)


@pytest.mark.parametrize("width", [80, 120])
def test_playbook_project_and_milestone_lists_fit_the_width(
    cli, cli_json, demo, monkeypatch, width
):
    monkeypatch.setenv("COLUMNS", str(width))
    code = cli_json("project", "list")[0]["code"]
    cli("project", "milestone", code, "封顶", "--date", "2024-01-01", "--note", "主体结构封顶")
    for listing, whole in (
        (["playbook"], ("rule", "step", "title", "due")),
        (["project", "list"], ("code", "name")),
        (["project", "milestone", code], ("id", "kind", "date")),
    ):
        rows = cli_json(*listing)
        assert rows
        lines = cli(*listing).stdout.splitlines()
        _fits(lines, width)
        for row in rows:
            assert _one_line(lines, *(row[key] for key in whole)), (listing, row)


@pytest.mark.parametrize("width", [80, 120])
def test_audit_fits_the_width(cli, cli_json, demo, monkeypatch, width, tmp_path):
    monkeypatch.setenv("COLUMNS", str(width))
    cli("export", "--format", "csv", "--out", str(tmp_path / "sms.csv"))
    cli("owner", "show", "1", "--reveal")
    entries = cli_json("audit")
    assert len(entries) >= 2
    lines = cli("audit").stdout.splitlines()
    _fits(lines, width)
    for entry in entries:
        when = str(entry["at"])[:16].replace("T", " ")
        assert _one_line(lines, when, entry["command"], entry["detail"]), entry


@pytest.mark.parametrize("width", [80, 120])
def test_action_show_fits_the_width_and_prints_notes_as_typed(
    cli, cli_json, demo, monkeypatch, width
):
    monkeypatch.setenv("COLUMNS", str(width))
    action = next(a for a in _listed(cli_json) if a["owner_id"])
    cli("event", "add", str(action["owner_id"]), "call", "--note", "[red]要回电[/red]")
    shown = cli_json("action", "show", action["action_id"])
    lines = cli("action", "show", action["action_id"]).stdout.splitlines()
    _fits(lines, width)
    assert _one_line(lines, shown["title"], action["action_id"], shown["due_on"])
    assert _one_line(lines, shown["owner"]["name"], f"#{shown['owner']['id']}")
    assert _one_line(lines, "[red]要回电[/red]")
