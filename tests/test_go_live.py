"""Go-live (SPEC §7, issue 28): an action due before the day the team started with the tool is
``before-go-live``: never listed, exported or counted, shown as such in ``owner show``."""

from __future__ import annotations

import json
from datetime import date

import pytest

from sixplustwo.domain.actions import actions, status_of
from sixplustwo.domain.clock import today_in  # the company's day, as the commands take it
from sixplustwo.domain.model import OwnerFacts
from sixplustwo.domain.playbook import default_playbook, parse_playbook, playbook_toml
from sixplustwo.domain.playbook_reading import PlaybookError

GO_LIVE = date(2026, 12, 1)
DAY = "2026-12-07"


# -- the domain rule --------------------------------------------------------------------


def test_an_action_due_before_go_live_is_history_whatever_today():
    due = date(2026, 11, 27)
    for today in (date(2026, 11, 20), date(2026, 11, 28), date(2027, 6, 1)):
        assert status_of(due, due, 7, None, today, GO_LIVE) == "before-go-live"
    # Done stays done; due on go-live or after is judged as ever; unset, history counts.
    assert status_of(due, due, 7, date(2026, 11, 27), date(2026, 12, 7), GO_LIVE) == "done"
    assert status_of(GO_LIVE, GO_LIVE, 7, None, date(2026, 12, 7), GO_LIVE) == "overdue"
    assert status_of(due, due, 7, None, date(2026, 12, 7)) == "missed"


def test_the_owner_s_actions_before_go_live_are_before_go_live():
    owner = OwnerFacts(id=1, visited_on=date(2026, 10, 1), signed_on=date(2026, 11, 20))
    book = default_playbook().with_settings(go_live=GO_LIVE)
    today = date(2026, 12, 7)
    found = {a.rule: a for a in actions(owner, today, book)}
    assert found["visit-followup"].status == "before-go-live"
    assert found["signing-revisit"].status == "before-go-live"  # overdue without go-live
    before = {a.rule: a.status for a in actions(owner, today, default_playbook())}
    assert before["signing-revisit"] == "overdue" and before["visit-followup"] == "missed"
    assert all(a.status != "before-go-live" for a in found.values() if a.due_on >= GO_LIVE)


def test_go_live_in_the_playbook_settings_read_and_written_back():
    book = parse_playbook('[settings]\ngo_live = "2026-12-01"\n', base=default_playbook())
    assert book.settings.go_live == GO_LIVE
    assert all(rule.go_live == GO_LIVE for rule in book)
    assert parse_playbook("[settings]\ngo_live = 2026-12-01\n").settings.go_live == GO_LIVE
    again = parse_playbook(playbook_toml(book), base=default_playbook())
    assert again.settings.go_live == GO_LIVE
    assert 'go_live = "2026-12-01"' in playbook_toml(book)
    assert "go_live" not in playbook_toml(default_playbook())
    with pytest.raises(PlaybookError, match="line 2: go_live must be a date"):
        parse_playbook('[settings]\ngo_live = "soon"\n')


# -- the commands -------------------------------------------------------------------------


@pytest.fixture
def history(cli, project):
    """An owner signed before go-live (a revisit overdue but for it) and one after."""
    cli("owner", "add", "--name", "张三", "--phone", "13900000001", "--project", project,
        "--unit", "1-1-101", "--visited", "2026-10-01", "--signed", "2026-11-20",
        "--butler", "李晓")  # fmt: skip
    cli("owner", "add", "--name", "李四", "--phone", "13900000002", "--project", project,
        "--unit", "1-1-102", "--signed", "2026-12-03", "--butler", "李晓")  # fmt: skip


def _listed(cli_json) -> set[str]:
    return {row["action_id"] for row in cli_json("due", "--date", DAY)}


def test_playbook_go_live_keeps_history_off_the_list_and_the_export(cli, cli_json, history):
    assert "o1:signing-revisit" in _listed(cli_json)
    said = cli("playbook", "--go-live", "2026-12-01")
    assert "2026-12-01" in said.stdout
    listed = _listed(cli_json)
    assert "o1:signing-revisit" not in listed and "o2:signing-revisit" in listed
    exported = json.loads(
        cli("export", "--date", DAY, "--format", "json", "--out", "-").stdout or "[]"
    )
    ids = {row["action_id"] for row in exported}
    assert "o2:signing-revisit" in ids and not any(i.startswith("o1:") for i in ids)
    assert 'go_live = "2026-12-01"' in cli("playbook", "--format", "toml").stdout

    shown = cli_json("owner", "show", "1", "--date", DAY)
    statuses = {a["rule"]: a["status"] for a in shown["actions"]}
    assert statuses["signing-revisit"] == statuses["visit-followup"] == "before-go-live"
    assert "before go-live" in cli("owner", "show", "1", "--date", DAY).stdout

    # Another playbook stored later keeps the go-live; clearing it brings history back.
    cli("playbook", "--reset")
    assert "o1:signing-revisit" not in _listed(cli_json)
    cli("playbook", "--clear-go-live")
    assert "o1:signing-revisit" in _listed(cli_json)


def test_go_live_in_chinese(cli, cli_json, history, chinese):
    cli("playbook", "--go-live", "2026年12月1日")
    assert "上线前" in cli("owner", "show", "1", "--date", DAY).stdout


def test_go_live_refused_when_not_a_date_or_both_asked(cli, history):
    bad = cli("playbook", "--go-live", "soon", ok=False)
    assert bad.exit_code == 1 and "--go-live" in bad.stderr
    both = cli("playbook", "--go-live", "2026-12-01", "--clear-go-live", ok=False)
    assert both.exit_code == 1 and "choose one" in both.stderr


# -- the report ---------------------------------------------------------------------------


def test_the_report_counts_nothing_before_go_live(cli, cli_json, history):
    def rules(data):
        return {r["rule"]: r for r in data["rules"]}

    quarter = ("report", "--from", "2026-10-01", "--to", "2026-12-31")
    before = rules(cli_json(*quarter))
    assert before["visit-followup"]["missed"] == 1 and before["visit-followup"]["on_time_rate"] == 0
    cli("playbook", "--go-live", "2026-12-01")
    data = cli_json(*quarter)
    assert data["period"]["go_live"] == "2026-12-01" and not data["period"]["before_go_live"]
    after = rules(data)
    assert (
        after["visit-followup"]["missed"] == 0 and after["visit-followup"]["on_time_rate"] is None
    )
    assert after["signing-revisit"]["open"] + after["signing-revisit"]["missed"] == 1  # o2's only

    # A period wholly before go-live: empty figures, not zeros nor 0%.
    october = cli_json("report", "--from", "2026-10-01", "--to", "2026-10-31")
    assert october["period"]["before_go_live"] and october["butlers"] == []
    assert all(r["missed"] is None and r["on_time_rate"] is None for r in october["rules"])
    assert all(s["on_time"] is None for s in october["steps"])
    shown = cli("report", "--from", "2026-10-01", "--to", "2026-10-31").stdout
    assert "no figures" in shown and "0%" not in shown and "None" not in shown


# -- the import's hint ----------------------------------------------------------------------


def _counted_by_the_domain(cli_json, owners: int) -> int:
    """The new owners' actions due before today, not done, not before go-live (what ``owner
    import`` counts: the journey's, greetings, bulletins), from ``owner show``."""
    book = default_playbook()
    rules = {r.name for r in book if r.subject == "owner"}
    today = today_in(None)
    return sum(
        1
        for owner_id in range(1, owners + 1)
        for a in cli_json("owner", "show", str(owner_id))["actions"]
        if a["rule"] in rules
        and a["status"] in ("overdue", "missed", "open")
        and date.fromisoformat(a["due_on"]) < today
    )


def test_an_import_of_history_says_how_much_and_suggests_go_live(cli, cli_json, project, tmp_path):
    ledger = tmp_path / "台账.csv"
    ledger.write_text(
        "姓名,手机,项目,房号,来访日期,签约日期,交房日期,生日\n"
        "王伟,13812345678,HY1,1-101,2023-01-10,2023-02-01,2024-07-02,1980-03-09\n"
        "李娜,13900001111,HY1,1-102,,2023-02-03,,1985-01-20\n"
        "张三,13900002222,HY1,1-103,,,,1990-05-05\n"
        "赵敏,13900004444,HY1,1-105,,2024-02-29,,1984-02-29\n",
        encoding="utf-8",
    )
    cli("project", "milestone", "HY1", "封顶", "--date", "2023-06-01")
    cli("project", "milestone", "HY1", "竣工备案", "--date", "2024-05-01")
    dry = cli("owner", "import", ledger, "--dry-run")
    hint = [line for line in dry.stderr.splitlines() if "--go-live" in line]
    assert len(hint) == 1 and "playbook --go-live YYYY-MM-DD" in hint[0]
    result = cli("owner", "import", ledger)
    assert [line for line in result.stderr.splitlines() if "--go-live" in line] == hint
    count = int(hint[0].split("warning: ")[1].split()[0])
    assert count == _counted_by_the_domain(cli_json, 4) > 0

    # With go-live set today, what an import brings from before it is history: nothing said.
    more = tmp_path / "more.csv"
    more.write_text(
        "姓名,手机,项目,房号,签约日期\n赵六,13900003333,HY1,1-104,2023-02-01\n", encoding="utf-8"
    )
    cli("playbook", "--go-live", today_in(None).isoformat())
    assert "--go-live" not in cli("owner", "import", more).stderr


def test_an_import_of_today_s_customers_says_nothing(cli, project, tmp_path):
    ledger = tmp_path / "台账.csv"
    soon = today_in(None).isoformat()
    later = today_in(None).replace(year=today_in(None).year + 2, day=1).isoformat()
    # Handed over in two years (the project's own delivery date is past: a notice due then).
    ledger.write_text(
        f"姓名,手机,项目,房号,签约日期,合同交付日期\n王伟,13812345678,HY1,1-101,{soon},{later}\n",
        encoding="utf-8",
    )
    assert "--go-live" not in cli("owner", "import", ledger).stderr
