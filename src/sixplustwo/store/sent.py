"""Sent is done for messages (SPEC §7): an action whose rule says ``sent_is_done`` (a greeting,
a bulletin, a warranty notice: the SMS is the whole action) is completed by sending it, and
open again when the SMS platform reports the message failed.

Both writes are events, as any completion is: the completion is an event of the rule's kind
naming the action, on the channel it went by (``sms``), dated the day it was sent; an SMS
export records the batch that wrote it (``export_batch_id``), so that a batch discarded after
a kill takes its completions back with its rows (store/audit.py, ``unfill_batch``).
Re-opening deletes that event through the gateway's described deletes: it is journaled (undo
restores it) and the caller audits it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from sixplustwo.domain.rules import ACTION_ID
from sixplustwo.store.rows import iso, now_text

if TYPE_CHECKING:
    from sixplustwo.domain.playbook import Playbook
    from sixplustwo.store.database import Database

SMS = "sms"


def _action_id(action: object) -> str:
    """An action id, from an id, an Action or a due list's row (DueRow)."""
    if isinstance(action, str):
        return action.strip()
    inner = getattr(action, "action", None)
    if inner is not None:
        return inner.action_id
    return action.action_id  # type: ignore[attr-defined]


@dataclass
class Reopened:
    """What a delivery report re-opened: the actions, and the failed messages that had
    completed nothing (a call's heads-up SMS, an action already re-opened or never sent)."""

    actions: list[str] = field(default_factory=list)
    events: list[int] = field(default_factory=list)
    nothing: list[str] = field(default_factory=list)


class Sent:
    """Completions by sending, over ``db``, for the rules of ``playbook``."""

    def __init__(self, db: Database, playbook: Playbook) -> None:
        self.db = db
        self.playbook = playbook

    def sent_is_done(self, action_id: str) -> bool:
        """Whether sending this action's SMS completes it: an owner's action of a rule that
        says ``sent_is_done``."""
        match = ACTION_ID.match(action_id)
        if match is None or match.group(1) != "o":
            return False
        rule = match.group(3)
        return rule in self.playbook and self.playbook.get(rule).sent_is_done

    def complete_sent(
        self,
        actions: Iterable[object],
        day: date,
        channel: str = SMS,
        *,
        batch_id: int | None = None,
    ) -> list[str]:
        """Complete, in the caller's transaction, those of ``actions`` (ids, Actions or due
        list rows the caller listed as open or overdue on ``day``) whose rule says
        ``sent_is_done``: an event of the rule's kind naming each, on ``channel``, dated
        ``day``, with the export batch that sent it. An action some event already names (done
        meanwhile, or sent twice) is left as it is. The ids completed, in the order given."""
        wanted: dict[str, tuple[int, str]] = {}
        for action in actions:
            action_id = _action_id(action)
            if action_id in wanted or not self.sent_is_done(action_id):
                continue
            match = ACTION_ID.match(action_id)
            assert match is not None
            wanted[action_id] = (int(match.group(2)), match.group(3))
        if not wanted:
            return []
        named = self._named(list(wanted))
        stamp, on = now_text(), iso(day)
        rows = [
            (owner_id, rule, on, channel, action_id, stamp, batch_id)
            for action_id, (owner_id, rule) in wanted.items()
            if action_id not in named
        ]
        columns = (
            "owner_id", "kind", "happened_on", "channel", "action_id", "recorded_at",
            "export_batch_id",
        )  # fmt: skip
        self.db.insert_many("event", columns, rows)
        return [row[4] for row in rows]

    def _named(self, action_ids: Sequence[str]) -> set[str]:
        """Which of these actions an event already names."""
        found: set[str] = set()
        for placeholders, params in self.db.in_bulk(action_ids):
            rows = self.db.query(
                f"SELECT action_id FROM event WHERE action_id IN ({placeholders})", params
            )
            found.update(action_id for (action_id,) in rows)
        return found

    # -- the delivery report -------------------------------------------------------------

    def sent_on(self, phone: str, day: date, channel: str = SMS) -> list[str]:
        """The actions an SMS to ``phone`` completed on ``day`` (a report that names its
        messages by phone and day: each of that owner's messages that day)."""
        rows = self.db.query(
            "SELECT e.action_id FROM event e JOIN owner o ON o.id = e.owner_id "
            "WHERE o.phone = :phone AND e.happened_on = :day AND e.channel = :channel "
            "AND e.action_id IS NOT NULL ORDER BY e.id",
            {"phone": phone, "day": iso(day), "channel": channel},
        )
        return [action_id for (action_id,) in rows if self.sent_is_done(action_id)]

    def reopen_failed(self, action_ids: Iterable[str], channel: str = SMS) -> Reopened:
        """Re-open the actions whose message failed: the event that sending them recorded
        (their rule's kind, naming them, on ``channel``) is deleted, journaled. An action no
        such event completes is named in ``nothing``."""
        result = Reopened()
        seen: set[str] = set()
        for action_id in action_ids:
            if action_id in seen:
                continue
            seen.add(action_id)
            match = ACTION_ID.match(action_id)
            events = (
                self.db.query(
                    "SELECT id FROM event WHERE action_id = :a AND kind = :k "
                    "AND channel = :channel ORDER BY id",
                    {"a": action_id, "k": match.group(3), "channel": channel},
                )
                if match is not None and self.sent_is_done(action_id)
                else []
            )
            if not events:
                result.nothing.append(action_id)
                continue
            for (event_id,) in events:
                self.db.delete("event", {"id": event_id})
                result.events.append(event_id)
            result.actions.append(action_id)
        return result
