"""The journal of changes, and ``undo``.

Every write command's unit of work keeps a journal entry (who, when, the command line) with a
row per change it made (table, row key, insert/update/delete, and the row's prior values as
JSON), written in the command's own transaction through the gateway's write hook
(``Database.on_write``). ``undo`` puts those rows back as they were, newest change first, in
one transaction. A bulk import journals the range of ids it inserted (one row, not a million)
and the prior values of the rows it updated.

Who: the person (``--as``, ``$SIXPLUSTWO_USER``, else the operating-system user), the
operating-system user and, on a server, the database role. ``undo`` takes the newest entry of
the person who runs it (on a server: of the role it connects as, which the server vouches
for, the person narrowing it down), and refuses where a later command, by anyone, changed the
same rows, or a later export sent an action of them (``store/touched.py``).

Some commands cannot be undone, and their entry says why instead of keeping changes: an export
(its files have left the building; ``undo`` passes over it, to the command before),
``owner forget`` (no byte of the person may remain, so the
prior values of that owner's rows are purged from the journal too), and a command that wrote
through a statement the gateway cannot describe. Audit rows are never journaled: the audit log
is history, not state. A command that changed nothing leaves no entry.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sixplustwo.domain.errors import Conflict, NotFound
from sixplustwo.store.command import who
from sixplustwo.store.rows import now_text

if TYPE_CHECKING:
    from sixplustwo.store.command import Command
    from sixplustwo.store.database import Database, Write

# Never journaled: the log of what happened, the journal itself, an export's bookkeeping
# (its rows in export_log make the command one that cannot be undone).
UNWATCHED = frozenset({"audit", "journal", "journal_change", "schema_migration", "export_batch"})
# Tables whose rows belong to an owner (owner_id): purged by forget, checked by undo.
OWNED = frozenset({"event", "service_case", "checklist_result", "owner_tag"})

EXPORT, FORGET, UNJOURNALED = "export", "forget", "unjournaled"
_WEIGHT = {UNJOURNALED: 1, EXPORT: 2, FORGET: 3}  # the reason shown when several apply
_FLUSH_ROWS = 1000


def _json(values: Mapping[str, object]) -> str:
    return json.dumps(dict(values), ensure_ascii=False, sort_keys=True, default=str)


class Journal:
    """The entry of one write command, filled as its writes happen."""

    def __init__(self, db: Database, command: Command) -> None:
        self.db = db
        self.command = command
        self.entry_id: int | None = None
        self.reason: str | None = None
        self.seq = 0
        self.pending: list[dict[str, object]] = []
        self.range: dict[str, object] | None = None  # an id-range insert still growing

    @classmethod
    @contextmanager
    def kept(cls, db: Database, command: Command) -> Iterator[Journal]:
        """Journal the block's writes; the entry is completed when the block succeeds (its
        transaction is then committed, else rolled back with the entry)."""
        journal = cls(db, command)
        db.on_write.append(journal.record)
        db.journal = journal
        try:
            yield journal
            journal.finish()
        finally:
            db.on_write.remove(journal.record)
            db.journal = None

    # -- recording ----------------------------------------------------------------------

    def record(self, write: Write) -> None:
        table = write.table
        if table in UNWATCHED:
            return
        if write.op == "sql":
            self.irreversible(EXPORT if table.startswith("export") else UNJOURNALED)
            return
        if self.reason is not None:
            return  # an entry that cannot be undone keeps no changes
        key = dict(write.key or {})
        pk = key.get("id") if list(key) == ["id"] else None
        last = write.last if write.last is not None else pk
        if self.range is not None:
            grows = (
                write.op == "insert"
                and self.range["tbl"] == table
                and pk is not None
                and self.range["pk_last"] == pk - 1
                and self.range["owner_id"] == self._owner(write, key, pk)
            )
            if grows:
                self.range["pk_last"] = last
                return
            self._push(self.range)
            self.range = None
        change = {
            "journal_id": self._entry(),
            "seq": self._next_seq(),
            "tbl": table,
            "op": write.op,
            "pk": pk,
            "pk_last": last,
            "row_key": None if pk is not None else _json(key),
            "owner_id": self._owner(write, key, pk),
            "before": None if write.before is None else _json(write.before),
        }
        if write.op == "insert" and pk is not None:
            self.range = change  # the next id may extend it
        else:
            self._push(change)

    def _owner(self, write: Write, key: Mapping[str, object], pk: object) -> object:
        """The owner a row belongs to, if any (the owner table's rows: by their id)."""
        if write.table not in OWNED:
            return None
        for values in (key, write.values or {}, write.before or {}):
            if "owner_id" in values:
                return values["owner_id"]
        if pk is None:
            return None
        return self.db.scalar(f"SELECT owner_id FROM {write.table} WHERE id = :id", {"id": pk})

    def irreversible(self, reason: str) -> int:
        """This command cannot be undone: keep its entry, with the reason, and no changes;
        the entry's id (an export's records name it)."""
        entry_id = self._entry()
        if self.reason is None or _WEIGHT[reason] > _WEIGHT[self.reason]:
            self.reason = reason
        self.pending, self.range = [], None
        return entry_id

    def _entry(self) -> int:
        if self.entry_id is None:
            actor = self.command.actor
            values = {
                "at": now_text(),
                "os_user": actor.os_user,
                "person": actor.person,
                "role": self.db.role,
                "argv": json.dumps(list(self.command.argv), ensure_ascii=False),
            }
            self.entry_id = self.db.insert("journal", values)
        return self.entry_id

    def _next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def _push(self, change: dict[str, object]) -> None:
        self.pending.append(change)
        if len(self.pending) >= _FLUSH_ROWS:
            self._flush()

    def _flush(self) -> None:
        if self.pending:
            self.db.execute_many(
                "INSERT INTO journal_change (journal_id, seq, tbl, op, pk, pk_last, row_key, "
                "owner_id, before) VALUES (:journal_id, :seq, :tbl, :op, :pk, :pk_last, "
                ":row_key, :owner_id, :before)",
                self.pending,
            )
            self.pending = []

    def finish(self) -> None:
        if self.entry_id is None:
            return
        if self.reason is not None:
            self.db.execute(
                "DELETE FROM journal_change WHERE journal_id = :j", {"j": self.entry_id}
            )
            self.db.execute(
                "UPDATE journal SET irreversible = :r WHERE id = :j",
                {"r": self.reason, "j": self.entry_id},
            )
            return
        if self.range is not None:
            self._push(self.range)
            self.range = None
        self._flush()


def erase_owner(db: Database, owner_id: int) -> None:
    """``owner forget``: the journal keeps no prior values of the owner's rows, nor the
    command lines that touched them, and this command cannot be undone."""
    journal: Journal | None = getattr(db, "journal", None)
    if journal is not None:
        journal.irreversible(FORGET)
    touched = "owner_id = :o OR (tbl = 'owner' AND pk <= :o AND pk_last >= :o)"
    db.execute(
        "UPDATE journal SET argv = :gone, irreversible = :r WHERE id IN "
        f"(SELECT journal_id FROM journal_change WHERE {touched})",
        {"o": owner_id, "gone": "[]", "r": FORGET},
    )
    # A tag is part of the row's key: gone too.
    db.execute(
        f"UPDATE journal_change SET before = NULL, row_key = NULL WHERE {touched}",
        {"o": owner_id},
    )


# -- undo ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    id: int
    at: str
    person: str | None
    argv: tuple[str, ...]
    irreversible: str | None
    undone_at: str | None
    role: str | None = None

    @property
    def user(self) -> str:
        """Who ran it, as messages name the entry being undone: the person (the role is the
        undoing command's own, or the entry is from before roles were recorded)."""
        return self.person or "?"

    def who(self, role: str | None) -> str:
        """Who ran it, seen by a command connected as ``role``: the person, and the role
        first where it is another (another office's command)."""
        return self.user if self.role is None or self.role == role else who(self.person, self.role)

    @property
    def command(self) -> str:
        return " ".join(map(_shown, self.argv)) if self.argv else "(erased)"

    @property
    def name(self) -> str:
        """The command's name without its values (e.g. "owner add"), for the audit log, which
        must not keep what forget erases."""
        words: list[str] = []
        args = iter(self.argv)
        for arg in args:
            if arg in ("--db", "--playbook", "--as"):
                next(args, None)
            elif arg.startswith("-") or len(words) == 2:
                break
            else:
                words.append(arg)
        return " ".join(words) or "?"

    @property
    def when(self) -> str:
        return str(self.at)[:16]

    def names(self) -> dict[str, object]:
        return {"command": self.command, "user": self.user or "?", "at": self.when}


_SHELL = re.compile(r"[\s'\"\\$`;&|<>*?()\[\]{}!#~]")


def _shown(arg: str) -> str:
    """An argument as typed: quoted only where a shell would need it (not for Chinese)."""
    return arg if arg and not _SHELL.search(arg) else shlex.quote(arg)


_COLUMNS = ("id", "at", "person", "argv", "irreversible", "undone_at", "role")
_ENTRY = ", ".join(_COLUMNS)


def _entry(row: tuple) -> Entry:
    entry_id, at, person, argv, irreversible, undone_at, role = row
    argv = tuple(json.loads(argv or "[]"))
    return Entry(entry_id, at, person, argv, irreversible, undone_at, role)


def last_entry(db: Database, person: str | None, role: str | None = None) -> Entry:
    """The newest entry not undone yet of ``person`` (anyone's if None), on a server of
    ``role`` (entries from before roles were recorded: any role's). An export is passed
    over: it cannot be undone, and must not stand in the way of what came before it."""
    where, params = (
        "undone_at IS NULL AND (irreversible IS NULL OR irreversible <> :export)",
        {"export": EXPORT},
    )
    if person is not None:
        where, params = where + " AND person = :p", {**params, "p": person}
    if role is not None:
        where, params = where + " AND (role = :r OR role IS NULL)", {**params, "r": role}
    row = db.one(f"SELECT {_ENTRY} FROM journal WHERE {where} ORDER BY id DESC{db.page(1)}", params)
    if row is None:
        if person is not None:
            raise NotFound("nothing of {user}'s to undo", user=person)
        raise NotFound("nothing to undo")
    return _entry(row)


def check_undoable(db: Database, entry: Entry) -> None:
    """Refuse an entry that cannot be undone, or whose rows a later command changed."""
    if entry.irreversible == EXPORT:
        raise Conflict(
            "{command} cannot be undone: its files were sent ({user}, {at})", **entry.names()
        )
    if entry.irreversible == FORGET:
        raise Conflict(
            "{command} cannot be undone: the personal data it touched is erased ({user}, {at})",
            **entry.names(),
        )
    if entry.irreversible is not None:
        raise Conflict(
            "{command} cannot be undone: the journal does not record its changes ({user}, {at})",
            **entry.names(),
        )
    row = db.one(
        f"SELECT {', '.join('j.' + column for column in _COLUMNS)} FROM journal j "
        "WHERE j.id > :j AND j.undone_at IS NULL AND EXISTS (SELECT 1 FROM journal_change c "
        "JOIN journal_change t ON t.journal_id = :j WHERE c.journal_id = j.id AND ("
        "(c.tbl = t.tbl AND c.pk IS NOT NULL AND t.pk IS NOT NULL "
        " AND c.pk <= t.pk_last AND t.pk <= c.pk_last) "
        "OR (c.tbl = t.tbl AND c.row_key IS NOT NULL AND c.row_key = t.row_key) "
        "OR (t.tbl = 'owner' AND c.owner_id >= t.pk AND c.owner_id <= t.pk_last))) "
        f"ORDER BY j.id{db.page(1)}",
        {"j": entry.id},
    )
    # A milestone's bulletins name it only in their action ids (o12:milestone-bulletin:m3): taking
    # back a milestone they were sent for would hand its id, and their completion, to the next.
    bulletins = db.scalar(
        "SELECT COUNT(*) FROM journal_change t JOIN event e ON e.kind = 'milestone-bulletin' "
        "AND e.action_id LIKE '%:m' || t.pk WHERE t.journal_id = :j AND t.tbl = 'milestone' "
        "AND t.op = 'insert'",
        {"j": entry.id},
    )
    if bulletins:
        raise Conflict(
            "cannot undo {command} ({user}, {at}): bulletins were already recorded as sent for "
            "that milestone",
            **entry.names(),
        )
    if row is not None:
        later = _entry(row)
        raise Conflict(
            "cannot undo {command} ({user}, {at}): a later command changed the same records: "
            "{later} ({later_user}, {later_at})",
            later=later.command,
            later_user=later.who(entry.role),
            later_at=later.when,
            **entry.names(),
        )
    sent = _later_export(db, entry)
    if sent is not None:
        raise Conflict(
            "cannot undo {command} ({user}, {at}): a later export sent actions of the same "
            "records: {later} ({later_user}, {later_at})",
            later=sent.command,
            later_user=sent.who(entry.role),
            later_at=sent.when,
            **entry.names(),
        )


def _later_export(db: Database, entry: Entry) -> Entry | None:
    """The first later export that sent an action of the entry's rows (``store/touched.py``):
    its entry, or for a record from before 0023 one made from its audit line."""
    from sixplustwo.store.touched import later_export

    found = later_export(db, entry.id, entry.at)
    if found is None:
        return None
    journal_id, audit_id = found
    if journal_id:
        row = db.one(f"SELECT {_ENTRY} FROM journal WHERE id = :j", {"j": journal_id})
        return _entry(row)
    at, detail, os_user, person, role = db.one(
        "SELECT at, detail, os_user, person, role FROM audit WHERE id = :a", {"a": audit_id}
    )
    argv = ("export", *(detail or "").split())
    return Entry(0, str(at), person or os_user, argv, EXPORT, None, role)


def changes(db: Database, entry: Entry) -> int:
    """How many rows the entry changed (a range counts each id)."""
    return db.scalar(
        "SELECT COALESCE(SUM(CASE WHEN pk IS NULL THEN 1 ELSE pk_last - pk + 1 END), 0) "
        "FROM journal_change WHERE journal_id = :j",
        {"j": entry.id},
    )


def undo(db: Database, entry: Entry) -> int:
    """Put back what the entry changed, newest change first; mark it undone. The number of
    rows put back."""
    check_undoable(db, entry)
    count = changes(db, entry)
    rows = db.query(
        "SELECT tbl, op, pk, pk_last, row_key, before FROM journal_change "
        "WHERE journal_id = :j ORDER BY seq DESC",
        {"j": entry.id},
    )
    try:
        for table, op, pk, pk_last, row_key, before in rows:
            if pk is not None:
                where, params = (
                    "id >= :k_first AND id <= :k_last",
                    {"k_first": pk, "k_last": pk_last},
                )
            else:
                key = json.loads(row_key)
                where = " AND ".join(f"{column} = :k_{column}" for column in key)
                params = {f"k_{column}": value for column, value in key.items()}
            if op == "insert":
                db.execute(f"DELETE FROM {table} WHERE {where}", params)
                continue
            values = json.loads(before or "{}")
            if op == "update" and values:
                sets = ", ".join(f"{column} = :v_{column}" for column in values)
                params.update({f"v_{column}": value for column, value in values.items()})
                db.execute(f"UPDATE {table} SET {sets} WHERE {where}", params)
            elif op == "delete":
                columns = ", ".join(values)
                placeholders = ", ".join(f":{column}" for column in values)
                db.execute(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", values)
    except db.IntegrityError:
        raise Conflict(
            "cannot undo {command} ({user}, {at}): later records depend on what it added",
            **entry.names(),
        ) from None
    # Undone, the entry keeps only its command's name: an undone `owner add` must not keep the
    # name and phone it was typed with, once the owner (and so anything forget could find) is
    # gone.
    db.execute(
        "UPDATE journal SET undone_at = :at, argv = :argv WHERE id = :j",
        {
            "at": now_text(),
            "argv": json.dumps(entry.name.split(), ensure_ascii=False),
            "j": entry.id,
        },
    )
    return count
