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


def test_workdays_warns_for_a_year_without_official_schedule(cli, empty_db):
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
    # Looks under a destination of their own: the SMS platform's would complete the greeting.
    look = ("--destination", "check")
    cli("export", "--date", "2025-10-01", "--format", "csv", *look, "--out", out)
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
    cli("--playbook", book, "export", "--date", "2025-10-01", "--format", "csv", *look, "--out",
        out)  # fmt: skip
    assert (
        next(iter(csv.DictReader(io.StringIO(out.read_text("utf-8-sig")))))["message"]
        == "王伟：国庆快乐！"
    )
    titles = {r["rule"]: r["title"] for r in cli_json("due", "--date", "2025-10-01")}
    assert titles["holiday-greeting"] == "节日祝福（国庆节）"


def _lunar_greetings(born: date, today: date) -> dict[str, date]:
    from sixplustwo.domain.actions import rule_actions
    from sixplustwo.domain.model import OwnerFacts

    owner = OwnerFacts(7, signed_on=date(2020, 1, 1), birthday=born, birthday_lunar=True)
    rule = default_playbook().get("birthday")
    return {a.action_id: a.due_on for a in rule_actions(rule, owner, today)}


def test_lunar_birthday_falls_on_the_lunar_date_each_year():
    # Born on 中秋 1990 (八月十五): greeted on 中秋 each year, as the holiday calendar has it.
    from sixplustwo.domain.calendars import festival_days

    found = _lunar_greetings(date(1990, 10, 3), date(2027, 1, 1))
    assert found["o7:birthday:L2026"] == dict(festival_days(2026))["mid-autumn"]
    assert found["o7:birthday:L2025"] == dict(festival_days(2025))["mid-autumn"]
    assert date(1990, 10, 3).replace(year=2026) not in found.values()


def test_lunar_birthday_across_a_leap_month():
    from lunardate import LunarDate

    born = date(2023, 4, 5)  # 闰二月十五 of 2023
    assert LunarDate.from_solar_date(2023, 4, 5) == LunarDate(2023, 2, 15, True)
    found = _lunar_greetings(born, date(2043, 1, 1))
    # 2024 has no leap second month: the greeting keeps to 二月十五.
    assert found["o7:birthday:L2024"] == LunarDate(2024, 2, 15).to_solar_date() == date(2024, 3, 24)
    # 2042 has one again: the greeting is in the leap month, a month after 二月十五.
    assert LunarDate.leap_month_for_year(2042) == 2
    assert found["o7:birthday:L2042"] == LunarDate(2042, 2, 15, True).to_solar_date()
    assert found["o7:birthday:L2042"] != LunarDate(2042, 2, 15).to_solar_date()
    # And the year of birth itself is never greeted: the first greeting is the year after.
    assert "o7:birthday:L2023" not in found


def test_lunar_thirtieth_is_kept_on_the_29th_of_a_short_month():
    from lunardate import LunarDate

    def has_30(year: int, month: int) -> bool:
        try:
            LunarDate(year, month, 30).to_solar_date()
        except ValueError:
            return False
        return True

    year = next(y for y in range(1980, 2000) if has_30(y, 8))
    born = LunarDate(year, 8, 30).to_solar_date()
    assert not has_30(2026, 8)
    found = _lunar_greetings(born, date(2027, 1, 1))
    assert found["o7:birthday:L2026"] == LunarDate(2026, 8, 29).to_solar_date()


def test_lunar_birthday_through_the_cli_and_import(cli, cli_json, project, tmp_path, monkeypatch):
    owner = cli_json("owner", "add", "--name", "王伟", "--phone", "13812345678", "--project", "HY1",
                     "--unit", "1-101", "--signed", "2024-01-02", "--birthday", "1990-10-03",
                     "--lunar-birthday")["id"]  # fmt: skip
    path = tmp_path / "sales.csv"
    rows = [
        "姓名,手机,项目,房号,签约日期,生日,农历生日",
        "李娜,13900001111,HY1,1-102,2024-01-02,1990-10-03,是",
        "张敏,13700002222,HY1,1-103,2024-01-02,1990-10-03,否",
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    cli("owner", "import", path)

    def birthdays(day: str) -> set[str]:
        return {r["owner"] for r in cli_json("due", "--date", day) if r["rule"] == "birthday"}

    assert birthdays("2026-09-25") == {"王伟", "李娜"}  # 中秋 2026, their lunar birthday
    assert birthdays("2026-10-03") == {"张敏"}  # the solar birthday
    shown = cli_json("owner", "show", str(owner))
    assert shown["lunar_birthday"] is True
    monkeypatch.setenv("SIXPLUSTWO_LANG", "zh")  # the screen as a Chinese team reads it
    assert "按农历" in cli("owner", "show", str(owner)).stdout
    monkeypatch.setenv("SIXPLUSTWO_LANG", "en")
    cli("owner", "edit", str(owner), "--solar-birthday")
    assert birthdays("2026-10-03") == {"张敏", "王伟"}
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "姓名,手机,项目,房号,生日,农历生日\n刘强,13600003333,HY1,1-104,1990-10-03,也许\n",
        encoding="utf-8",
    )
    result = cli("owner", "import", bad, ok=False)
    assert "row 2, column 农历生日: '也许' is not yes or no" in result.stderr
