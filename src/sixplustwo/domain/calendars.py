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
