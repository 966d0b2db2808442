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


# Festivals greeted by SMS (seed 004 重大节日祝福): key, the name the holidays library gives
# the public holiday (None: not a public holiday, dated from the lunar calendar instead).
FESTIVALS: tuple[tuple[str, str, str | None], ...] = (
    ("new-year", "元旦", "元旦"),
    ("spring-festival", "春节", "春节"),
    ("lantern-festival", "元宵节", None),  # 正月十五
    ("dragon-boat", "端午节", "端午节"),
    ("mid-autumn", "中秋节", "中秋节"),
    ("national-day", "国庆节", "国庆节"),
)
FESTIVAL_NAMES: dict[str, str] = {key: name for key, name, _ in FESTIVALS}


def festivals_between(first: date, last: date) -> list[tuple[int, str, date]]:
    """(year, key, day) of the greeted festivals from ``first`` to ``last``. Most days are
    nowhere near one: the lunar calendar (cheap) rules those out before the holiday calendar
    (~0.1 s to load) is asked for the official dates."""
    years = range(first.year - 1, last.year + 1)
    margin = timedelta(days=3)
    nearby = any(
        first - margin <= day <= last + margin
        for year in years
        for day in (
            date(year, 1, 1),
            date(year, 10, 1),
            *(lunar_to_solar(year, month, lunar_day) for month, lunar_day in _LUNAR_FESTIVALS),
        )
    )
    if not nearby:
        return []
    return [
        (year, key, day)
        for year in years
        for key, day in festival_days(year)
        if first <= day <= last
    ]


_LUNAR_FESTIVALS = ((1, 1), (1, 15), (5, 5), (8, 15))  # 春节 元宵 端午 中秋


@lru_cache(maxsize=256)
def festival_days(year: int) -> tuple[tuple[str, date], ...]:
    """The first day of each greeted festival in ``year``, in date order."""
    by_name: dict[str, date] = {}
    for day, name in sorted(_china(year).items()):
        by_name.setdefault(name, day)
    found = []
    for key, _, holiday_name in FESTIVALS:
        if holiday_name is None:
            found.append((key, lunar_to_solar(year, 1, 15)))
        elif holiday_name in by_name:
            found.append((key, by_name[holiday_name]))
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
    30th when ``day`` is the 29th of a 29-day month (the 30th is kept on the 29th)."""
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
