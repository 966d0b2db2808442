"""Each export keeps its own record: ``--new-only`` remembers what was written per destination
(``sms`` for csv, ``calendar`` for ics, ``feed`` for json, or ``--destination NAME``), so no
other export can take a row from the SMS file."""

from __future__ import annotations

import csv
import io
import json
import re
import shlex
import sqlite3
from datetime import date, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from sixplustwo.store.migrations import MIGRATIONS

README = Path(__file__).parent.parent / "README.md"
DAY = "2024-06-10"


def _sms(path: Path) -> list[str]:
    return [row["action_id"] for row in csv.DictReader(io.StringIO(path.read_text("utf-8-sig")))]


def _uids(path: Path) -> set[str]:
    from icalendar import Calendar

    events = Calendar.from_ical(path.read_bytes()).walk("VEVENT")
    return {str(event["UID"]).removesuffix("@sixplustwo") for event in events}


def _add_owner(cli_json, index: int, **dates: str) -> int:
    options = [f"--{name.replace('_', '-')}={value}" for name, value in dates.items()]
    return cli_json(
        "owner", "add", "--name", f"业主{index}", "--phone", f"1391234{index:04d}",
        "--project", "HY1", "--unit", f"1-{index}", *options,
    )["id"]  # fmt: skip


def _cron_lines() -> list[str]:
    """The README's crontab lines: each one's command, up to the log redirection."""
    section = README.read_text("utf-8").split("## The 07:00 cron job", 1)[1]
    block = section.split("```crontab", 1)[1].split("```", 1)[0]
    lines = [line for line in block.splitlines() if line.strip() and not line.startswith("#")]
    return [line.split(None, 5)[5].split(" >> ")[0] for line in lines]


def _cron_args(command: str, when: datetime, root: Path) -> list[str]:
    """One cron line as CLI arguments at ``when``: crontab's ``\\%`` and ``$(date +FMT)`` as
    the shell would expand them, /srv moved under ``root``, the database the test's own
    ($SIXPLUSTWO_DB) and the day given with --date."""
    command = re.sub(r"\$\(date \+([^)]*)\)", lambda m: when.strftime(m[1]), command)
    command = command.replace("\\%", "%")
    args = shlex.split(command)[1:]  # without the program
    at = args.index("--db")
    del args[at : at + 2]
    args = [str(root / a.removeprefix("/srv/")) if a.startswith("/srv/") else a for a in args]
    return [*args, "--date", when.date().isoformat()]


def test_the_readme_cron_lines_are_an_sms_csv_and_a_calendar():
    sms, calendar = _cron_lines()
    assert "--format csv --new-only" in sms and "--format ics" in calendar
    stamp = datetime(2024, 6, 3, 7, 0)
    assert _cron_args(sms, stamp, Path("/x"))[-3:] == [
        "/x/sms/outbox/reminders-2024-06-03-0700.csv",
        "--date",
        "2024-06-03",
    ]


@pytest.mark.parametrize("order", ["sms-first", "calendar-first", "alternating"])
def test_cron_twice_a_day_sends_every_sms_once_and_the_calendar_whole(
    cli, cli_json, project, tmp_path, order
):
    sms_line, calendar_line = _cron_lines()
    (tmp_path / "sms" / "outbox").mkdir(parents=True)
    (tmp_path / "www" / "calendar").mkdir(parents=True)
    start = date(2024, 6, 3)
    # A signed owner with a birthday in the week, a project delivering 2024-06-30 (mock
    # acceptance and the delivery notice fall due in the calendar and the SMS files).
    _add_owner(cli_json, 1, signed="2024-01-02", birthday="1985-06-05")
    sent_by_run: list[set[str]] = []
    index = 1
    for offset in range(5):
        day = start + timedelta(days=offset)
        for run, hour in enumerate((7, 15)):
            # New customers visit between the runs: their follow-ups are new to every export.
            index += 1
            _add_owner(cli_json, index, visited=(day - timedelta(days=1)).isoformat())
            if offset == 2 and run == 1:
                _add_owner(cli_json, 100, signed="2024-01-02", birthday=f"1990-{day:%m-%d}")
                cli(
                    "done", "o2:visit-followup", "--date", day.isoformat()
                )  # done after it was sent
            due = cli_json("due", "--date", day.isoformat())
            sms_due = {r["action_id"] for r in due if r["phone"]}
            assert sms_due and len(sms_due) < len(due)  # the project's actions: calendar only
            when = datetime.combine(day, datetime.min.time()).replace(hour=hour)
            sms = _cron_args(sms_line, when, tmp_path)
            calendar = _cron_args(calendar_line, when.replace(minute=5), tmp_path)
            first_sms = order == "sms-first" or (order == "alternating" and (offset + run) % 2)
            for args in (sms, calendar) if first_sms else (calendar, sms):
                cli(*args)
                if args is calendar:
                    # The calendar is whole on every run, whatever was sent before: what is
                    # due then (a greeting the SMS file sent is done by sending, and gone).
                    now_due = cli_json("due", "--date", day.isoformat())
                    assert _uids(tmp_path / "www" / "calendar" / "butlers.ics") == {
                        r["action_id"] for r in now_due
                    }
                    if first_sms:
                        assert not any(":birthday:" in r["action_id"] for r in now_due)
            # Other exports between the runs take nothing from the SMS file: a JSON feed and a
            # one-off look under a destination of its own.
            cli("export", "--format", "json", "--new-only", "--out", "-", "--date", day)
            cli("export", "--format", "csv", "--destination", "check", "--out", "-", "--date", day)
            files = sorted((tmp_path / "sms" / "outbox").glob("reminders-*.csv"))
            assert files[-1].name == f"reminders-{day}-{hour:02d}00.csv"
            sent = [action for path in files for action in _sms(path)]
            assert len(sent) == len(set(sent)), "an action was sent twice"
            assert sms_due <= set(sent), "a due owner was never sent an SMS"
            sent_by_run.append(set(sent))
    # Every run's file held only what was new: the union grew by each run's new follow-ups.
    assert all(earlier < later for earlier, later in pairwise(sent_by_run))
    assert "o2:visit-followup" in sent_by_run[-1]


def test_a_calendar_or_feed_before_the_sms_job_takes_nothing_from_it(
    cli, cli_json, project, tmp_path
):
    _add_owner(cli_json, 1, visited="2024-06-09")
    _add_owner(cli_json, 2, signed="2024-01-02", birthday="1985-06-10")
    cli("export", "--date", DAY, "--format", "ics", "--out", tmp_path / "team.ics")
    cli("export", "--date", DAY, "--format", "json", "--new-only", "--out", tmp_path / "feed.json")
    cli("export", "--date", DAY, "--format", "csv", "--new-only", "--out", tmp_path / "sms.csv")
    sent = _sms(tmp_path / "sms.csv")
    assert "o1:visit-followup" in sent and "o2:birthday:2024" in sent
    assert len(json.loads((tmp_path / "feed.json").read_text("utf-8"))) == len(sent)
    # Each destination, asked again, has nothing new.
    for fmt in ("ics", "json", "csv"):
        again = cli("export", "--date", DAY, "--format", fmt, "--new-only", "--out", "-").stderr
        assert again == "", again  # --out -: no summary line
    assert (
        json.loads(
            cli("export", "--date", DAY, "--format", "json", "--new-only", "--out", "-").stdout
        )
        == []
    )


def test_a_second_sms_platform_is_a_destination_of_its_own(cli, cli_json, project, tmp_path):
    _add_owner(cli_json, 1, visited="2024-06-09")
    first, backup = tmp_path / "a.csv", tmp_path / "b.csv"
    cli("export", "--date", DAY, "--format", "csv", "--new-only", "--out", first)
    cli("export", "--date", DAY, "--format", "csv", "--new-only", "--out", backup,
        "--destination", "sms-backup")  # fmt: skip
    assert _sms(first) == _sms(backup) == ["o1:visit-followup"]
    again = tmp_path / "c.csv"
    cli("export", "--date", DAY, "--format", "csv", "--new-only", "--out", again,
        "--destination", "sms-backup")  # fmt: skip
    assert _sms(again) == []
    # An SMS platform that takes JSON can share the SMS record.
    shared = cli("export", "--date", DAY, "--format", "json", "--new-only", "--out", "-",
                 "--destination", "sms")  # fmt: skip
    assert json.loads(shared.stdout) == []
    entries = cli_json("audit")
    assert [e["detail"] for e in entries][:3] == [
        f"json for {DAY} to sms",
        f"csv for {DAY} to sms-backup",
        f"csv for {DAY} to sms-backup",
    ]


def test_an_export_without_new_only_records_its_own_destination_only(
    cli, cli_json, project, tmp_path
):
    _add_owner(cli_json, 1, visited="2024-06-09")
    cli("export", "--date", DAY, "--format", "csv", "--out", tmp_path / "look.csv")
    # It was written to the SMS destination: a later --new-only there skips it …
    cli("export", "--date", DAY, "--format", "csv", "--new-only", "--out", tmp_path / "sms.csv")
    assert _sms(tmp_path / "sms.csv") == []
    # … and no other destination's.
    cli("export", "--date", DAY, "--format", "ics", "--new-only", "--out", tmp_path / "t.ics")
    assert "o1:visit-followup" in _uids(tmp_path / "t.ics")


@pytest.mark.parametrize("name", ["", "  ", "a\tb", "x" * 65])
def test_a_bad_destination_is_refused(cli, cli_json, project, tmp_path, name):
    result = cli("export", "--date", DAY, "--format", "csv", "--out", tmp_path / "x.csv",
                 "--destination", name, ok=False)  # fmt: skip
    assert result.exit_code == 1
    assert "--destination" in result.stderr
    assert not (tmp_path / "x.csv").exists()


def _database_at_0010(path: Path) -> None:
    """A database as sixplustwo left it before destinations: schema 0010, and an export log
    keyed by action alone."""
    names = [name for name, _ in MIGRATIONS]
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE schema_migration "
            "(name VARCHAR PRIMARY KEY, applied_at TIMESTAMP NOT NULL)"
        )
        for name, ddl in MIGRATIONS[: names.index("0010_audit_user") + 1]:
            for statement in ddl.split(";"):
                if statement.strip():
                    connection.execute(statement)
            connection.execute("INSERT INTO schema_migration VALUES (?, '2024-06-01')", (name,))
        stamp = "2024-06-10 07:00:00.000000"
        # The owners the old export log names (their ids are never given to anyone else).
        connection.execute(
            "INSERT INTO project (id, code, name, delivery_date, created_at) "
            "VALUES (1, 'HY1', '华苑一期', '2024-06-30', ?)",
            (stamp,),
        )
        connection.execute(
            "INSERT INTO owner (id, project_id, unit, name, phone, visited_on, created_at) "
            "VALUES (1, 1, '1-1', '业主1', '+8613912340001', '2024-06-09', ?)",
            (stamp,),
        )
        connection.execute(
            "INSERT INTO owner (id, project_id, unit, name, phone, signed_on, birthday, "
            "birthday_md, created_at) VALUES (2, 1, '1-2', '业主2', '+8613912340002', "
            "'2024-01-02', '1985-06-10', '06-10', ?)",
            (stamp,),
        )
        for audit_id, fmt, action in (
            (1, "csv", "o1:visit-followup"),
            (2, "ics", "o2:birthday:2024"),
            (3, "json", "o2:delivery-notice"),
        ):
            connection.execute(
                "INSERT INTO audit (id, at, command, detail, rows, target) "
                "VALUES (?, ?, 'export', ?, 1, 'x')",
                (audit_id, stamp, f"{fmt} for {DAY}"),
            )
            connection.execute(
                "INSERT INTO export_log (action_id, audit_id, exported_at) VALUES (?, ?, ?)",
                (action, audit_id, stamp),
            )


def test_old_export_records_move_to_the_destination_their_format_implies(
    cli, cli_json, db_path, tmp_path
):
    _database_at_0010(db_path)
    cli("owner", "list")  # opened: migrated
    with sqlite3.connect(db_path) as connection:
        rows = connection.execute(
            "SELECT destination, action_id, audit_id FROM export_log ORDER BY audit_id"
        ).fetchall()
        applied = [row[0] for row in connection.execute("SELECT name FROM schema_migration")]
    assert rows == [
        ("sms", "o1:visit-followup", 1),
        ("calendar", "o2:birthday:2024", 2),
        ("feed", "o2:delivery-notice", 3),
    ]
    assert "0011_export_destination" in applied
    cli("export", "--date", DAY, "--format", "csv", "--new-only", "--out", tmp_path / "s.csv")
    sms = _sms(tmp_path / "s.csv")
    # What only the calendar or the feed had written now reaches the SMS platform.
    assert "o1:visit-followup" not in sms
    assert {"o2:birthday:2024", "o2:delivery-notice"} <= set(sms)
    cli("export", "--date", DAY, "--format", "ics", "--new-only", "--out", tmp_path / "t.ics")
    calendar = _uids(tmp_path / "t.ics")
    assert "o2:birthday:2024" not in calendar and "o1:visit-followup" in calendar
    assert [e["command"] for e in cli_json("audit")].count("export") == 5  # listed still
