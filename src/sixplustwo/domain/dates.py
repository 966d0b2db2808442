"""Calendar dates as the butler team writes them, and calendar arithmetic.

Arithmetic is dateutil's ``relativedelta``: months and years clip to the end of the
month (Jan 31 + 1 month = Feb 28/29), never roll over as SQLite's ``date()`` does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from dateutil.relativedelta import relativedelta

from sixplustwo.domain.errors import InvalidInput

# A date, then maybe a time of day as ERP exports and Excel date-time cells write it
# (2023-12-18 00:00:00, 2023/12/18 0:00, 2023-12-18T00:00:00.000): read only at midnight.
_TIME = r"(?:[\sT]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
_SEPARATED = re.compile(
    r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?" + _TIME + r"\s*$"
)
_COMPACT = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})" + _TIME + r"\s*$")

# The days a command may be asked about or told of (--date, --from, --to, --as-of …): the
# years the lunar calendar is known for (lunardate: lunar years 1900 to 2099, solar days
# 1900-01-31 to 2100-02-07), whole solar years, so that a festival or a 农历 birthday near
# either end is still found. Outside them a command refuses the date in one line.
FIRST_DAY = date(1901, 1, 1)
LAST_DAY = date(2099, 12, 31)


def parse_date(text: str, *, what: str = "date") -> date:
    """Parse one of the accepted input formats; raise InvalidInput naming ``what``."""
    try:
        return parse_date_text(text)
    except InvalidInput as exc:
        raise InvalidInput("{what}: {error}", what=what, error=exc) from None


def supported(day: date, *, what: str = "date") -> date:
    """``day`` if it is from FIRST_DAY to LAST_DAY; else InvalidInput naming ``what`` and
    the range."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidInput(
            "{what}: {day} is outside the dates sixplustwo works with ({first} to {last})",
            what=what,
            day=day.isoformat(),
            first=FIRST_DAY.isoformat(),
            last=LAST_DAY.isoformat(),
        )
    return day


@lru_cache(maxsize=65536)
def parse_date_text(text: str) -> date:
    """``parse_date`` without naming the field in the message (the importer names it)."""
    # Cached: an import of a million rows repeats a few thousand distinct dates. A refusal
    # raises and is not cached; bad dates are rare.
    match = _SEPARATED.match(text) or _COMPACT.match(text)
    if match is None:
        # The formats are in the message id itself, so that a translation words all of it.
        raise InvalidInput(
            "{text!r} is not a date (use 2024-03-05, 2024/3/5, 2024.3.5, 20240305 or 2024年3月5日)",
            text=text,
        )
    year, month, day, hour, minute, second = match.groups()
    if hour is not None and (int(hour), int(minute), int(second or 0)) != (0, 0, 0):
        raise InvalidInput(
            "{text!r} has a time of day; a date is read only at midnight (00:00)", text=text
        )
    return calendar_date(text, int(year), int(month), int(day))


def calendar_date(text: object, year: int, month: int, day: int) -> date:
    """The date, or InvalidInput saying in the user's words why ``text`` is none."""
    if not 1 <= month <= 12:
        raise InvalidInput(
            "{text!r} is not a real calendar date (no month {month})", text=text, month=month
        )
    try:
        return date(year, month, day)
    except ValueError:
        raise InvalidInput(
            "{text!r} is not a real calendar date (month {month} of {year} has no day {day})",
            text=text,
            year=year,
            month=month,
            day=day,
        ) from None


def iso(value: date | None) -> str | None:
    """A date as stored and exported: YYYY-MM-DD, or None."""
    return None if value is None else value.isoformat()


def parse_optional_date(text: str | None, *, what: str = "date") -> date | None:
    """A command's date option: None if not given, else a day the commands work with."""
    if text is None or not text.strip():
        return None
    return supported(parse_date(text, what=what), what=what)


_OFFSET_PART = re.compile(r"([+-])\s*(\d+)\s*(y|mo|d)")


@dataclass(frozen=True, order=True)
class Offset:
    """A signed calendar offset such as ``+3mo+14d`` or ``-20d``.

    Years and months are applied first (clipping to month end), then days, which is what
    "A+3mo+14d" means in the playbook: fourteen days after the three-month anniversary.
    """

    years: int = 0
    months: int = 0
    days: int = 0

    @classmethod
    def parse(cls, text: str) -> Offset:
        compact = text.replace(" ", "")
        if compact in ("", "0", "+0", "-0"):
            return cls()
        years = months = days = 0
        position = 0
        for match in _OFFSET_PART.finditer(compact):
            if match.start() != position:
                break
            position = match.end()
            sign = -1 if match.group(1) == "-" else 1
            amount = sign * int(match.group(2))
            unit = match.group(3)
            if unit == "y":
                years += amount
            elif unit == "mo":
                months += amount
            else:
                days += amount
        if position != len(compact):
            raise InvalidInput(
                "offset {text!r} is not of the form +3mo+14d (units y, mo, d, each signed)",
                text=text,
            )
        return cls(years, months, days)

    def __str__(self) -> str:
        parts = [
            f"{value:+d}{unit}"
            for value, unit in ((self.years, "y"), (self.months, "mo"), (self.days, "d"))
            if value
        ]
        return "".join(parts) or "+0d"

    def apply(self, anchor: date) -> date:
        return _shift(self.years, self.months, self.days, anchor)


@lru_cache(maxsize=65536)
def _shift(years: int, months: int, days: int, anchor: date) -> date:
    # Cached: a company's anchors are a few thousand distinct dates, shifted by ~20 offsets,
    # while the due list applies them hundreds of thousands of times.
    shifted = anchor + relativedelta(years=years, months=months) if years or months else anchor
    return shifted + timedelta(days=days)


def anniversary(original: date, year: int) -> date:
    """``original``'s month and day in ``year``; 02-29 falls on 02-28 in common years."""
    try:
        return original.replace(year=year)
    except ValueError:  # 02-29 in a common year
        return date(year, 2, 28)
