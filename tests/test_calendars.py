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


def test_festival_days_come_from_the_holiday_and_lunar_calendars():
    from sixplustwo.domain.calendars import festival_days

    assert dict(festival_days(2026)) == {
        "new-year": date(2026, 1, 1),
        "spring-festival": date(2026, 2, 17),
        "lantern-festival": date(2026, 3, 3),  # 正月十五
        "dragon-boat": date(2026, 6, 19),
        "mid-autumn": date(2026, 9, 25),
        "national-day": date(2026, 10, 1),
    }


def _greetings(owner, today):
    from sixplustwo.domain.actions import rule_actions

    rule = default_playbook().get("holiday-greeting")
    return {
        a.action_id: (a.status, a.detail)
        for a in rule_actions(rule, owner, today)
        if a.status in ("open", "overdue")
    }


def test_spring_festival_greeting_window_and_who_gets_one():
    from sixplustwo.domain.model import Event, OwnerFacts

    signed = OwnerFacts(1, signed_on=date(2025, 5, 1))
    key = "o1:holiday-greeting:2026-spring-festival"
    assert _greetings(signed, date(2026, 2, 15)) == {}
    assert _greetings(signed, date(2026, 2, 16)) == {key: ("open", "春节")}  # the day before
    assert _greetings(signed, date(2026, 2, 19)) == {key: ("overdue", "春节")}  # two days late
    assert _greetings(signed, date(2026, 2, 20)) == {}  # missed
    greeted = OwnerFacts(
        1, signed_on=date(2025, 5, 1), events=(Event("holiday-greeting", date(2026, 2, 17)),)
    )
    assert _greetings(greeted, date(2026, 2, 18)) == {}
    assert (
        _greetings(
            OwnerFacts(1, signed_on=date(2025, 5, 1), wants_greetings=False), date(2026, 2, 17)
        )
        == {}
    )
    assert _greetings(OwnerFacts(1, subscribed_on=date(2025, 5, 1)), date(2026, 2, 17)) == {}
    assert _greetings(OwnerFacts(1, signed_on=date(2026, 2, 18)), date(2026, 2, 18)) == {}


def test_greeting_export_uses_the_festival_template_and_overrides(cli, cli_json, project, tmp_path):
    import csv
    import io

    cli("owner", "add", "--name", "王伟", "--phone", "13812345678", "--project", "HY1",
        "--unit", "1-101", "--signed", "2025-03-01")  # fmt: skip
    cli("owner", "add", "--name", "李娜", "--phone", "13912345678", "--project", "HY1",
        "--unit", "1-102", "--signed", "2025-03-01")  # fmt: skip
    cli("owner", "edit", "2", "--no-greetings")
    out = tmp_path / "sms.csv"
    cli("export", "--date", "2025-10-01", "--format", "csv", "--out", out)
    rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8-sig"))))
    assert [(r["owner"], r["rule"]) for r in rows] == [("王伟", "holiday-greeting")]
    assert (
        rows[0]["message"]
        == "尊敬的王伟，华苑一期客户管家祝您国庆快乐，假期愉快！——华苑一期客户管家"
    )
    book = tmp_path / "book.toml"
    book.write_text(
        '[rules.holiday-greeting.templates]\n"国庆节" = "{name}：国庆快乐！"\n', encoding="utf-8"
    )
    cli("--playbook", book, "export", "--date", "2025-10-01", "--format", "csv", "--out", out)
    assert (
        next(iter(csv.DictReader(io.StringIO(out.read_text("utf-8-sig")))))["message"]
        == "王伟：国庆快乐！"
    )
    titles = {r["rule"]: r["title"] for r in cli_json("due", "--date", "2025-10-01")}
    assert titles["holiday-greeting"] == "节日祝福（国庆节）"
