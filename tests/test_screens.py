"""The morning list fits the terminal it is shown in (issue 16): at 80 columns every action
is at most two lines, at 120 one, with its title and owner whole and its action id there to
give `done`; piped with no width, nothing is cut."""

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


@pytest.mark.parametrize(("width", "most_lines"), [(80, 2), (100, 2), (120, 1)])
def test_each_action_fits_the_width(cli, cli_json, demo, monkeypatch, width, most_lines, chinese):
    monkeypatch.setenv("COLUMNS", str(width))
    actions = _listed(cli_json)
    lines = cli("due").stdout.splitlines()
    assert all(cell_len(line) <= width for line in lines), max(lines, key=cell_len)
    for action in actions:
        owner = action["owner"] or "（项目）"
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
