"""China's calendar as the butler team lives it: public holidays, 调休 make-up working days,
the festivals greeted by SMS, and lunar dates. Pure functions over the ``holidays`` and
``lunardate`` libraries' data; nothing here reads the clock.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

_ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=256)
def _china(year: int):
    import holidays

    return holidays.China(years=year, language="zh_CN")


@lru_cache(maxsize=256)
def has_official_schedule(year: int) -> bool:
    """Whether the State Council's schedule for ``year`` (holidays and the 调休 Saturdays and
    Sundays worked instead) is in the data: it is published each winter for the next year.
    A year without any make-up working day is taken as not yet published."""
    return any(day.year == year for day in _china(year).weekend_workdays)


@lru_cache(maxsize=8192)
def is_working_day(day: date) -> bool:
    """Monday to Friday except public holidays and their 调休 rest days, plus the weekend days
    worked in exchange. For a year whose schedule is not published yet: weekdays."""
    if not has_official_schedule(day.year):
        return day.weekday() < 5
    return _china(day.year).is_working_day(day)


@lru_cache(maxsize=8192)
def next_working_day(day: date) -> date:
    """``day`` itself when the team works that day, else the next day it does."""
    while not is_working_day(day):
        day += _ONE_DAY
    return day


# Festivals greeted by SMS (seed 004 重大节日祝福): key, name, and the date that makes the
# festival — solar (month, day) or lunar (month, day). Found by their dates, never by a
# holiday calendar's wording: 中秋 on National Day is named "Mid-Autumn Festival; National
# Day" there (2020-10-01, 2028-10-03), and a name match would lose it.
FESTIVALS: tuple[tuple[str, str, str, int, int], ...] = (
    ("new-year", "元旦", "solar", 1, 1),
    ("spring-festival", "春节", "lunar", 1, 1),
    ("lantern-festival", "元宵节", "lunar", 1, 15),  # 正月十五
    ("dragon-boat", "端午节", "lunar", 5, 5),
    ("mid-autumn", "中秋节", "lunar", 8, 15),
    ("national-day", "国庆节", "solar", 10, 1),
)
FESTIVAL_NAMES: dict[str, str] = {key: name for key, name, *_ in FESTIVALS}


def festivals_between(first: date, last: date) -> list[tuple[int, str, date]]:
    """(year, key, day) of the greeted festivals from ``first`` to ``last``."""
    return [
        (year, key, day)
        for year in range(first.year - 1, last.year + 1)
        for key, day in festival_days(year)
        if first <= day <= last
    ]


# The lunar years the calendar data covers (lunardate), and the solar days they span. Near
# the ends of the dates a command accepts (domain/dates.py), a window may reach past them:
# there are no lunar festivals or 农历 birthdays to find there.
LUNAR_YEARS = range(1900, 2100)
LUNAR_DAYS = (date(1900, 1, 31), date(2100, 2, 7))


@lru_cache(maxsize=256)
def festival_days(year: int) -> tuple[tuple[str, date], ...]:
    """The day of each greeted festival in ``year``, in date order (a lunar one only in a
    lunar year the calendar data covers)."""
    found = [
        (key, date(year, month, day) if calendar == "solar" else lunar_to_solar(year, month, day))
        for key, _, calendar, month, day in FESTIVALS
        if calendar == "solar" or year in LUNAR_YEARS
    ]
    return tuple(sorted(found, key=lambda item: item[1]))


def lunar_to_solar(year: int, month: int, day: int, *, leap: bool = False) -> date:
    """A lunar date of lunar ``year`` as a solar date. A leap month the year lacks becomes the
    month itself; a 30th in a 29-day month becomes the 29th (how families keep 农历生日)."""
    from lunardate import LunarDate

    if leap and LunarDate.leap_month_for_year(year) != month:
        leap = False
    try:
        return LunarDate(year, month, day, leap).to_solar_date()
    except ValueError:
        return LunarDate(year, month, day - 1, leap).to_solar_date()


def solar_to_lunar(day: date) -> tuple[int, int, int, bool]:
    """(lunar year, month, day, leap month?) of a solar date."""
    from lunardate import LunarDate

    lunar = LunarDate.from_solar_date(day.year, day.month, day.day)
    return lunar.year, lunar.month, lunar.day, bool(lunar.is_leap_month)


def birthday_key(birthday: date | None, lunar: bool) -> str | None:
    """The indexed key a birthday greeting is found by: "MM-DD" of the solar birthday, or for
    a 农历 birthday "L" and the lunar month and day (leap months share their month's key)."""
    if birthday is None:
        return None
    if not lunar:
        return birthday.isoformat()[5:]
    _, month, day, _ = solar_to_lunar(birthday)
    return f"L{month:02d}-{day:02d}"


def lunar_birthday_keys(day: date) -> list[str]:
    """Keys of the lunar birthdays that can fall on ``day``: its lunar month and day, and the
    30th when ``day`` is the 29th of a 29-day month (the 30th is kept on the 29th). None
    outside the lunar calendar's data."""
    if not LUNAR_DAYS[0] <= day < LUNAR_DAYS[1]:
        return []
    _, month, lunar_day, _ = solar_to_lunar(day)
    keys = [f"L{month:02d}-{lunar_day:02d}"]
    if lunar_day == 29 and solar_to_lunar(day + _ONE_DAY)[2] == 1:
        keys.append(f"L{month:02d}-30")
    return keys


def lunar_anniversary(birthday: date, lunar_year: int) -> date:
    """The solar date of a lunar birthday in ``lunar_year`` (a leap-month birth is kept in the
    leap month when the year has one, else in the month itself)."""
    _, month, day, leap = solar_to_lunar(birthday)
    return lunar_to_solar(lunar_year, month, day, leap=leap)
