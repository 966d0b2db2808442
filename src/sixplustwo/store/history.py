"""History an import brings: how many of the new customers' one-time journey actions (a
visit's follow-up, the revisits after signing and after the handover …) fell due before today
and were not done, not before go-live. An imported ledger's past reads as overdue and missed
work; ``owner import`` says how much, and suggests ``playbook --go-live``.

Counted in SQL, one indexed count a rule over the anchor dates whose action fell due before
today (``due_anchor_range``, the report's exact interval), so that a large import pays a few
queries, not a derivation per owner. Greetings and bulletins (several actions an owner) are
not counted.
"""

from __future__ import annotations

from datetime import date, timedelta

from sixplustwo.domain.playbook import Playbook
from sixplustwo.store.database import Database
from sixplustwo.store.rows import iso
from sixplustwo.store.tallying import due_anchor_range

_ANCHORS = frozenset({"visited_on", "subscribed_on", "signed_on", "delivered_on"})
_EARLIEST = date(1900, 1, 1)


def max_owner_id(db: Database) -> int:
    """The largest owner id so far: the owners an import adds come after it."""
    return db.scalar("SELECT MAX(id) FROM owner") or 0


def due_before_today(db: Database, playbook: Playbook, today: date, after_id: int) -> int:
    """Actions of the owners with an id above ``after_id`` that fell due before ``today`` (and
    on or after go-live, when set) and were not done: what will show as overdue or missed."""
    start = playbook.settings.go_live or _EARLIEST
    end = today - timedelta(days=1)
    if start > end:
        return 0
    total = 0
    for rule in playbook:
        if rule.subject != "owner" or rule.multi or rule.anchor not in _ANCHORS:
            continue
        low, high = due_anchor_range(rule, start, end)
        if low > high:
            continue
        column = f"o.{rule.anchor}"
        total += db.scalar(
            f"SELECT COUNT(*) FROM owner o WHERE o.id > :after AND o.forgotten_on IS NULL "
            f"AND {column} BETWEEN :lo AND :hi AND {column} <= :today AND NOT EXISTS "
            "(SELECT 1 FROM event e WHERE e.owner_id = o.id AND e.kind = :kind)",
            {
                "after": after_id,
                "lo": iso(low),
                "hi": iso(high),
                "today": iso(today),
                "kind": rule.name,
            },
        )
    return total
