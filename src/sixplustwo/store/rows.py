"""Converting raw SQL values (SQLite returns dates as ISO text, PostgreSQL as dates), and now
as the tables hold times."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sixplustwo.domain.dates import iso

__all__ = ["as_date", "iso", "now_text"]


def as_date(value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value  # type: ignore[return-value]
    return date.fromisoformat(str(value)[:10])


def now_text() -> str:
    """Now, as the tables hold times (UTC, no offset)."""
    return datetime.now(UTC).replace(microsecond=0).strftime("%Y-%m-%d %H:%M:%S.%f")
