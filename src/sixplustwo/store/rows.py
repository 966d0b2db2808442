"""Converting raw SQL values: SQLite returns dates as ISO text, PostgreSQL as dates."""

from __future__ import annotations

from datetime import date

from sixplustwo.domain.dates import iso

__all__ = ["as_date", "iso"]


def as_date(value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value  # type: ignore[return-value]
    return date.fromisoformat(str(value)[:10])
