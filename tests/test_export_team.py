"""Exports for a team (issue 29, point 6; issue 32's repeatable --project): one calendar per
butler with its own --new-only record, a file mode a web server's group can read, overdue
actions on the export's day with their real due date, UIDs that stay the same from run to run,
and --project taking several projects on export and the listings."""

from __future__ import annotations

import csv
import io
import stat
from datetime import date

import pytest

from dbsql import sql

DAY = "2024-06-10"
LATER = "2024-06-20"


@pytest.fixture
def team(cli, cli_json):
    """Two projects, three customers: 王伟 (李晓's, HY1, a visit on 06-09), 李娜 (王磊's, HY1,
    a birthday on 06-10) and 张敏 (王磊's, HY2, a visit on 06-09)."""
    cli("project", "add", "HY1", "--name", "华苑一期", "--delivery-date", "2024-06-30")
    cli("project", "add", "HY2", "--name", "华苑二期", "--delivery-date", "2025-06-30")
    owners = {}
    for name, phone, project, unit, dates, butler in (
        ("王伟", "13812345678", "HY1", "1-101", ("--visited", "2024-06-09"), "李晓"),
        (
            "李娜",
            "13900001111",
            "HY1",
            "1-102",
            ("--signed", "2024-01-02", "--birthday", "1985-06-10"),
            "王磊",
        ),
        ("张敏", "13700002222", "HY2", "2-201", ("--visited", "2024-06-09"), "王磊"),
    ):
        owners[name] = cli_json(
            "owner", "add", "--name", name, "--phone", phone, "--project", project,
            "--unit", unit, *dates, "--butler", butler,
        )["id"]  # fmt: skip
    return owners


def _events(path):
    from icalendar import Calendar

    return list(Calendar.from_ical(path.read_bytes()).walk("VEVENT"))


def _uids(path) -> set[str]:
    return {str(event["UID"]) for event in _events(path)}


def _csv_rows(path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))


def test_one_calendar_per_butler(cli, team, tmp_path, db_path):
    out = tmp_path / "{butler}.ics"
    result = cli("export", "-f", "ics", "--date", DAY, "--butler", "李晓", "--butler", "王磊",
                 "--out", out)  # fmt: skip
    li, wang = tmp_path / "李晓.ics", tmp_path / "王磊.ics"
    assert str(li) in result.stderr and str(wang) in result.stderr
    assert {uid.split(":")[0] for uid in _uids(li)} == {f"o{team['王伟']}"}
    assert {uid.split(":")[0] for uid in _uids(wang)} == {f"o{team['李娜']}", f"o{team['张敏']}"}
    from icalendar import Calendar

    assert str(Calendar.from_ical(li.read_bytes())["X-WR-CALNAME"]).endswith("李晓")
    # A project's actions have no butler: they are in the team's calendar, not a butler's.
    team_file = tmp_path / "team.ics"
    cli("export", "-f", "ics", "--date", DAY, "--out", team_file)
    assert _uids(team_file) > _uids(li) | _uids(wang)
    assert any(uid.startswith("p") for uid in _uids(team_file) - _uids(li) - _uids(wang))


def test_each_butler_has_their_own_new_only_record(cli, team, tmp_path, db_path):
    out = str(tmp_path / "{butler}.csv")
    cli("export", "-f", "csv", "--date", DAY, "--butler", "李晓", "--out", out, "--new-only")
    assert len(_csv_rows(tmp_path / "李晓.csv")) == 1
    # 王磊's file is not 李晓's: his actions are new to it, and 李晓's stay out.
    cli("export", "-f", "csv", "--date", DAY, "--butler", "李晓", "--butler", "王磊",
        "--out", out, "--new-only")  # fmt: skip
    assert _csv_rows(tmp_path / "李晓.csv") == []
    assert {r["owner"] for r in _csv_rows(tmp_path / "王磊.csv")} == {"李娜", "张敏"}
    # The whole team's SMS file is a destination of its own, untouched by the butlers'.
    team_file = tmp_path / "all.csv"
    cli("export", "-f", "csv", "--date", DAY, "--out", team_file, "--new-only")
    assert {r["owner"] for r in _csv_rows(team_file)} == {"王伟", "李娜", "张敏"}
    details = [d for (d,) in sql(db_path, "SELECT detail FROM audit ORDER BY id")]
    assert details == [
        f"csv for {DAY} to sms@李晓",
        f"csv for {DAY} to sms@李晓",
        f"csv for {DAY} to sms@王磊",
        f"csv for {DAY} to sms",
    ]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--butler", "李晓", "--butler", "王磊", "--out", "x.ics"], "{butler}"),
        (["--butler", "李晓", "--butler", "王磊", "--out", "-"], "{butler}"),
        (["--out", "{butler}.ics"], "--butler"),
        (["--butler", "../李晓", "--out", "{butler}.ics"], "file name"),
        (["--mode", "0666", "--out", "x.ics"], "--mode"),
        (["--mode", "0602", "--out", "x.ics"], "--mode"),
        (["--mode", "0440", "--out", "x.ics"], "--mode"),
        (["--mode", "rw-r-----", "--out", "x.ics"], "--mode"),
        (["--mode", "01640", "--out", "x.ics"], "--mode"),
    ],
)
def test_refused_before_anything_is_written(cli, team, tmp_path, db_path, monkeypatch, args, words):
    monkeypatch.chdir(tmp_path)
    result = cli("export", "-f", "ics", "--date", DAY, *args, ok=False)
    assert result.exit_code == 1 and words in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert list(tmp_path.glob("*.ics")) == []
    assert sql(db_path, "SELECT COUNT(*) FROM audit") == [(0,)]


@pytest.mark.parametrize(("mode", "expected"), [(None, 0o600), ("0640", 0o640), ("640", 0o640)])
def test_mode_for_a_web_servers_group(cli, team, tmp_path, mode, expected):
    out = tmp_path / "team.ics"
    cli("export", "-f", "ics", "--date", DAY, "--out", out, *(["--mode", mode] if mode else []))
    assert stat.S_IMODE(out.stat().st_mode) == expected
    # The umask does not widen or narrow it, and a rerun replaces the file with the same mode.
    import os

    old = os.umask(0o077)
    try:
        cli("export", "-f", "ics", "--date", DAY, "--out", out, *(["--mode", mode] if mode else []))
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == expected


def test_overdue_actions_show_on_the_export_day(cli, team, tmp_path):
    out = tmp_path / "team.ics"
    cli("export", "-f", "ics", "--date", LATER, "--out", out)
    events = {str(e["UID"]): e for e in _events(out)}
    visit = events[f"o{team['王伟']}:visit-followup@sixplustwo"]
    # Due 06-12 (three days after the visit): on 06-20 it is 8 days late, shown that day.
    assert visit.decoded("DTSTART") == date(2024, 6, 20)
    assert visit.decoded("DTEND") == date(2024, 6, 21)
    assert "逾期8天" in str(visit["SUMMARY"]) and "6月12日" in str(visit["SUMMARY"])
    assert "2024-06-12" in str(visit["DESCRIPTION"])
    # What is not late stays on its own due date, with no such words.
    upcoming = [e for e in events.values() if e.decoded("DTSTART") > date(2024, 6, 20)]
    assert upcoming and not any("逾期" in str(e["SUMMARY"]) for e in upcoming)


def test_uids_are_stable_from_run_to_run_and_day_to_day(cli, team, tmp_path):
    first, second, later = tmp_path / "a.ics", tmp_path / "b.ics", tmp_path / "c.ics"
    cli("export", "-f", "ics", "--date", DAY, "--out", first)
    cli("export", "-f", "ics", "--date", DAY, "--out", second)
    cli("export", "-f", "ics", "--date", LATER, "--out", later)
    assert _uids(first) == _uids(second)
    visit = f"o{team['王伟']}:visit-followup@sixplustwo"
    assert visit in _uids(first) and visit in _uids(later)  # moved to the day, same event
    # A butler's calendar gives the action the same UID as the team's.
    cli("export", "-f", "ics", "--date", DAY, "--butler", "李晓", "--out", tmp_path / "li.ics")
    assert _uids(tmp_path / "li.ics") <= _uids(first)


def test_project_is_repeatable(cli, cli_json, team, tmp_path):
    out = tmp_path / "two.csv"
    cli("export", "-f", "csv", "--date", DAY, "--project", "HY1", "--project", "HY2",
        "--out", out)  # fmt: skip
    assert {r["owner"] for r in _csv_rows(out)} == {"王伟", "李娜", "张敏"}
    cli("export", "-f", "csv", "--date", DAY, "--project", "HY2", "--out", out)
    assert {r["owner"] for r in _csv_rows(out)} == {"张敏"}
    # The listings take several projects too, and keep every one of them (not the last).
    due = cli_json("due", "--date", DAY, "--project", "HY1", "--project", "HY2")
    assert {a["project"] for a in due} == {"HY1", "HY2"}
    assert {a["project"] for a in cli_json("due", "--date", DAY, "--project", "华苑二期")} == {
        "HY2"
    }
    owners = cli_json("owner", "list", "--project", "HY2", "--project", "HY1")
    assert len(owners) == 3
    assert len(cli_json("owner", "list", "--project", "HY2")) == 1
    found = cli_json("owner", "find", "王", "--project", "HY1", "--project", "HY2")
    assert {o["name"] for o in found} >= {"王伟"}
    report = cli_json("report", "--from", "2024-06-01", "--to", DAY, "--project", "HY1",
                      "--project", "HY2")  # fmt: skip
    assert report["projects"] == ["HY1", "HY2"]
    unknown = cli("due", "--project", "HY1", "--project", "NOPE", ok=False)
    assert unknown.exit_code == 1 and "NOPE" in unknown.stderr
