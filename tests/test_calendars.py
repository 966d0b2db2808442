"""Working days (调休 aware), holiday greetings and lunar birthdays."""

from __future__ import annotations

from datetime import date

import pytest

from sixplustwo.domain.calendars import has_official_schedule, is_working_day, next_working_day
from sixplustwo.domain.playbook import default_playbook


@pytest.mark.parametrize(
    ("due", "moved"),
    [
        (date(2026, 10, 1), date(2026, 10, 8)),  # National Day week, 10-01 … 10-07 off
        (date(2026, 10, 4), date(2026, 10, 8)),  # a Sunday inside it
        (date(2026, 10, 10), date(2026, 10, 10)),  # 调休 Saturday: worked, so it stays
        (date(2026, 9, 20), date(2026, 9, 20)),  # 调休 Sunday before it
        (date(2026, 10, 17), date(2026, 10, 19)),  # an ordinary Saturday → Monday
        (date(2026, 10, 9), date(2026, 10, 9)),  # an ordinary Friday
        (date(2026, 2, 16), date(2026, 2, 24)),  # 除夕 → after the Spring Festival rest days
    ],
)
def test_next_working_day_honours_holidays_and_make_up_days(due, moved):
    assert next_working_day(due) == moved


def test_a_year_without_a_published_schedule_counts_weekends_only():
    assert has_official_schedule(2026)
    assert not has_official_schedule(2040)
    assert is_working_day(date(2040, 10, 1))  # a Monday; the 2040 holidays are not known yet
    assert next_working_day(date(2040, 10, 6)) == date(2040, 10, 8)


def test_workdays_setting_moves_due_dates_not_opening_dates():
    rule = default_playbook().with_settings(workdays=True).get("quality-check-1y")
    delivered = date(2025, 9, 1)  # +1y+30d = 2026-10-01, National Day
    assert rule.due_on(delivered) == date(2026, 10, 8)
    assert rule.opens_on(delivered) == date(2026, 9, 1)
    assert default_playbook().get("quality-check-1y").due_on(delivered) == date(2026, 10, 1)


def test_due_with_workdays_lists_an_action_as_open_through_the_holiday(cli, cli_json, project):
    cli("owner", "add", "--name", "王伟", "--phone", "13812345678", "--project", "HY1",
        "--unit", "1-101", "--signed", "2024-01-02", "--delivered", "2025-09-01")  # fmt: skip
    cli("owner", "add", "--name", "李娜", "--phone", "13912345678", "--project", "HY1",
        "--unit", "1-102", "--signed", "2024-01-02", "--delivered", "2025-09-10")  # fmt: skip

    def qc(*args):
        rows = cli_json("due", "--date", "2026-10-06", *args)
        return {
            r["owner"]: (r["due_on"], r["status"]) for r in rows if r["rule"] == "quality-check-1y"
        }

    assert qc() == {"王伟": ("2026-10-01", "overdue"), "李娜": ("2026-10-10", "open")}
    assert qc("--workdays") == {"王伟": ("2026-10-08", "open"), "李娜": ("2026-10-10", "open")}


def test_workdays_warns_for_a_year_without_official_schedule(cli):
    result = cli("due", "--date", "2040-03-01", "--workdays")
    assert "no official 2040 holiday schedule yet" in result.stderr
    assert "warning" not in cli("due", "--date", "2026-03-02", "--workdays").stderr
