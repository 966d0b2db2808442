"""The outbox (issue 30): every message `notify` sends is a row before it is sent.

A row is keyed by its channel, its subject (a butler, or an owner's action) and the day, and
goes ``pending`` → ``sending`` (committed before the request goes out) → ``sent`` or
``failed`` (with the service's code and message, committed after the answer). A row a
killed run left ``sending``, or one whose request went out but whose answer never came
(``unknown``), may have reached the phone: no run sends it again, ``notify status`` lists
it and only ``notify retry --unknown`` sends it once more. A ``failed`` row was refused by
the service, so it is sent again by the next run. Claims are conditional updates (one row
from ``pending``/``failed`` to ``sending``), made under the command's lock
(``store.database.lock``), so that two hosts running at once send each message once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sixplustwo.store.rows import now_text

if TYPE_CHECKING:
    from sixplustwo.store.database import Database

PENDING, SENDING, SENT, FAILED, UNKNOWN = "pending", "sending", "sent", "failed", "unknown"
# Rows whose message may have reached the phone: counted against an owner's allowance, never
# sent again but by `notify retry --unknown`.
MAYBE_SENT = (SENDING, SENT, UNKNOWN)
COLUMNS = (
    "msg_key",
    "channel",
    "kind",
    "subject",
    "day",
    "part",
    "owner_id",
    "action_id",
    "payload",
    "state",
    "attempts",
    "code",
    "detail",
    "host",
    "created_at",
    "updated_at",
)


@dataclass(frozen=True)
class Message:
    """A message to send: what the outbox holds of it."""

    key: str
    channel: str  # a robot's name in channels.toml, or "sms"
    kind: str  # wecom, dingtalk, feishu, webhook, aliyun, tencent
    subject: str  # the butler, or the action id
    day: date
    part: int = 1
    owner_id: int | None = None
    action_id: str | None = None
    payload: str = ""  # JSON: what the channel's send() is given


@dataclass(frozen=True)
class OutboxRow:
    key: str
    channel: str
    kind: str
    subject: str
    day: date
    part: int
    owner_id: int | None
    action_id: str | None
    payload: str | None
    state: str
    attempts: int
    code: str | None
    detail: str | None
    updated_at: str

    def message(self) -> Message:
        return Message(
            self.key,
            self.channel,
            self.kind,
            self.subject,
            self.day,
            self.part,
            self.owner_id,
            self.action_id,
            self.payload or "",
        )


_SELECT = (
    "SELECT msg_key, channel, kind, subject, day, part, owner_id, action_id, payload, state, "
    "attempts, code, detail, updated_at FROM outbox"
)


def _row(values: tuple) -> OutboxRow:
    day = values[4]
    if isinstance(day, str):
        day = date.fromisoformat(day[:10])
    return OutboxRow(*values[:4], day, *values[5:13], str(values[13]))


class Outbox:
    """The outbox as one transaction sees it."""

    def __init__(self, db: Database, host: str | None = None) -> None:
        self.db = db
        self.host = host

    def plan(self, messages: Sequence[Message]) -> None:
        """Write the rows of messages the outbox does not hold yet (a rerun adds none)."""
        at = now_text()
        rows = [
            (m.key, m.channel, m.kind, m.subject, m.day, m.part, m.owner_id, m.action_id,
             m.payload, PENDING, 0, None, None, None, at, at)
            for m in messages
        ]  # fmt: skip
        self.db.insert_new("outbox", COLUMNS, rows)

    def rows(self, keys: Iterable[str]) -> dict[str, OutboxRow]:
        found: dict[str, OutboxRow] = {}
        for placeholders, params in self.db.in_bulk(list(keys)):
            for values in self.db.query(f"{_SELECT} WHERE msg_key IN ({placeholders})", params):
                found[values[0]] = _row(values)
        return found

    def of_day(self, day: date | None, states: Sequence[str] | None = None) -> list[OutboxRow]:
        """The day's rows (every day's, for None), in the order they were written."""
        where, params = [], {}
        if day is not None:
            where.append("day = :day")
            params["day"] = day
        if states:
            where.append("state IN (" + ", ".join(f":s{i}" for i in range(len(states))) + ")")
            params.update({f"s{i}": state for i, state in enumerate(states)})
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        found = self.db.query(f"{_SELECT}{clause} ORDER BY day, created_at, msg_key", params)
        return [_row(values) for values in found]

    def claim(self, key: str, *, unknown: bool = False) -> bool:
        """Mark the row ``sending`` if it may be sent (pending or failed; with ``unknown``,
        one whose fate is unknown): whether this run now holds it."""
        states = (SENDING, UNKNOWN) if unknown else (PENDING, FAILED)
        count = self.db.change(
            "UPDATE outbox SET state = :sending, attempts = attempts + 1, host = :host, "
            "updated_at = :at WHERE msg_key = :key AND state IN (:a, :b)",
            {"sending": SENDING, "host": self.host, "at": now_text(), "key": key,
             "a": states[0], "b": states[1]},
        )  # fmt: skip
        return count == 1

    def settle(self, key: str, state: str, code: str | None, detail: str | None) -> None:
        """The service's answer: ``sent``, ``failed`` or ``unknown``, with its code."""
        self.db.change(
            "UPDATE outbox SET state = :state, code = :code, detail = :detail, updated_at = :at "
            "WHERE msg_key = :key AND state = :sending",
            {"state": state, "code": code, "detail": (detail or "")[:500] or None,
             "at": now_text(), "key": key, "sending": SENDING},
        )  # fmt: skip

    def sent_to_owners(self, day: date, owner_ids: Sequence[int]) -> dict[int, int]:
        """How many SMS each owner has had today (or may have had: unknown counts)."""
        counts: dict[int, int] = {}
        marks = ", ".join(f":m{i}" for i in range(len(MAYBE_SENT)))
        for placeholders, params in self.db.in_bulk(list(owner_ids)):
            found = self.db.query(
                "SELECT owner_id, COUNT(*) FROM outbox WHERE day = :day AND kind IN "
                f"('aliyun', 'tencent') AND state IN ({marks}) AND owner_id IN ({placeholders}) "
                "GROUP BY owner_id",
                {**params, "day": day, **{f"m{i}": s for i, s in enumerate(MAYBE_SENT)}},
            )
            counts.update({owner: count for owner, count in found})
        return counts

    def forget_owner(self, owner_id: int) -> None:
        """An erased owner's messages keep no text or phone."""
        self.db.change("UPDATE outbox SET payload = NULL WHERE owner_id = :o", {"o": owner_id})
