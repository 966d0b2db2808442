"""One clock for the company (SPEC §7, issue 32): "today" is the date in ``[settings]
timezone`` (Asia/Shanghai for a new database), whatever the clock of the machine that runs
the command; a database made before there was a setting keeps the machine's clock."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from dbsql import sql
from sixplustwo.cli import context

# 20:57 UTC on 6 December is 04:57 on 7 December in Shanghai.
EVENING_UTC = datetime(2026, 12, 6, 20, 57, tzinfo=UTC)


@pytest.fixture
def machine_zone(monkeypatch):
    """Sets the machine's time zone (TZ) for the rest of the test."""

    def set_zone(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    yield set_zone
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def at_evening_utc(monkeypatch):
    monkeypatch.setattr(context, "_now", lambda: EVENING_UTC)


def _today(cli, cli_json) -> str:
    """The day a command takes for today: an event added without a date happens on it."""
    owners = cli_json("owner", "list")
    if not owners:
        cli("owner", "add", "--name", "王伟", "--phone", "13800001111", "--project", "HZ1",
            "--unit", "1-101")  # fmt: skip
        owners = cli_json("owner", "list")
    cli("event", "add", owners[0]["id"], "call")
    events = cli_json("owner", "show", owners[0]["id"])["events"]
    return max(events, key=lambda event: event["id"])["date"]


def test_two_machines_in_two_zones_agree_on_the_day(cli, cli_json, machine_zone, at_evening_utc):
    cli("project", "add", "HZ1", "--name", "杭州一期", "--delivery-date", "2024-06-30")
    days = {}
    for name in ("UTC", "Asia/Shanghai", "America/New_York"):
        machine_zone(name)
        days[name] = _today(cli, cli_json)
    assert set(days.values()) == {"2026-12-07"}, days


def test_the_setting_decides_and_an_old_database_keeps_the_machine_clock(
    cli, cli_json, db_path, machine_zone, at_evening_utc, tmp_path
):
    machine_zone("UTC")
    cli("project", "add", "HZ1", "--name", "杭州一期", "--delivery-date", "2024-06-30")
    assert _today(cli, cli_json) == "2026-12-07"  # a new database: Shanghai's day
    book = tmp_path / "utc.toml"
    book.write_text('[settings]\ntimezone = "Europe/London"\n', "utf-8")
    cli("playbook", "--use", book)
    assert _today(cli, cli_json) == "2026-12-06"
    cli("playbook", "--reset")
    # A database already in use before the setting existed: the migration kept its clock.
    sql(db_path, "INSERT INTO setting (name, value, updated_at) VALUES "
                 "('timezone', 'local', '2026-12-07 00:00:00')")  # fmt: skip
    assert _today(cli, cli_json) == "2026-12-06"
    machine_zone("Asia/Shanghai")
    assert _today(cli, cli_json) == "2026-12-07"


def test_a_time_zone_that_does_not_exist_is_refused_with_its_line(cli, tmp_path):
    book = tmp_path / "bad.toml"
    book.write_text('[settings]\ntimezone = "Asia/Hangzhou"\n', "utf-8")
    refused = cli("playbook", "--use", book, ok=False)
    assert refused.exit_code == 1
    assert "line 2" in refused.stderr and "Asia/Shanghai" in refused.stderr
