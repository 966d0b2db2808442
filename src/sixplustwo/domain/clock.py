"""One clock for the company (SPEC §7): "today" is the date in the company's time zone,
whatever the clock of the machine that runs a command, so that cron hosts and offices in one
country agree on the day.

The zone is ``[settings] timezone`` of the playbook in force (an IANA name, or ``local``: the
machine's clock); where none is set, the database's own default: ``Asia/Shanghai`` for a
database made since migration 0026, the machine's clock for one made before it (its
``timezone`` setting row says ``local``, as it always did), until someone sets one. The zones
come from the system's zoneinfo or, where it has none (a slim container), from the ``tzdata``
package.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Asia/Shanghai"
LOCAL = "local"


def zone(name: str, source: str = "", line: int = 0) -> tzinfo | bool | None:
    """The zone a name stands for; None for ``local`` (the machine's); False when there is
    no such zone."""
    if name == LOCAL:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False


def today_in(name: str | None, now: datetime | None = None) -> date:
    """The date at ``now`` (UTC, else this instant) in the zone ``name`` (None or an unknown
    name: the default zone; ``local``: the machine's)."""
    instant = now or datetime.now(UTC)
    found = zone(name or DEFAULT_ZONE)
    if found is False:
        found = ZoneInfo(DEFAULT_ZONE)
    return instant.astimezone(found).date()


def shown_in(name: str | None, stamp: datetime) -> datetime:
    """A stored time (UTC, as the tables hold them) in the company's zone."""
    found = zone(name or DEFAULT_ZONE)
    if found is False:
        found = ZoneInfo(DEFAULT_ZONE)
    return stamp.replace(tzinfo=UTC).astimezone(found)
