"""The audit log, the export log and company-wide settings.

Every audited entry names who ran the command (the person at a shared account, else the
operating-system user; on a server the database role first) and the command, through the
command's unit of work (``store.Store``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from sixplustwo.domain.errors import N_
from sixplustwo.store.command import Actor
from sixplustwo.store.journal import EXPORT
from sixplustwo.store.records import AuditEntry, ExportBatch
from sixplustwo.store.rows import now_text

if TYPE_CHECKING:
    from sixplustwo.store.database import Database

PLAYBOOK_SETTING = "playbook"
# `playbook --go-live DATE`: the day everyone's playbook counts from (Settings.go_live), kept
# apart from the stored playbook so that `playbook --use` and `--reset` leave it.
GO_LIVE_SETTING = "go_live"
# The company's time zone where the playbook names none: "local" (the machine's clock) in a
# database made before there was one (migration 0026); absent in a new one (Asia/Shanghai).
TIMEZONE_SETTING = "timezone"


#: What an audit entry's detail says, as message ids (issue 28): the log keeps the English
#: text, ``audit`` shows it in the user's language by reading it back against these (old
#: entries included). Every ``Audit.record`` passes one of these with its parameters;
#: tests/test_one_language.py finds a call that does not, and an id without its Chinese.
AUDIT_DETAILS = (
    N_("{format} for {day} to {destination}"),
    N_("{format} for {day} to {destination}: discarded, its file was never put in place"),
    N_("use {file}"),
    N_("reset to default"),
    N_("go-live {day}"),
    N_("go-live cleared"),
    N_("journal {id}: {command} ({user}, {at})"),
    N_("owner {id}"),
    N_("butler {butler}"),
    N_("{channel}: {sent} sent, {failed} failed, {unknown} unknown"),
    N_("{failed} failed: {reopened} re-opened"),
    N_("owner {other} into owner {keep}"),
    # The butlers' page (web/): a completion, a login from an address, a refused one.
    N_("action {action}"),
    N_("user {name} from {address}"),
    N_("user {name} from {address}: too many failures"),
)
#: Who ran the command, on a server (``Audit._who``).
AUDIT_WHO = N_("{user} (role {role})")


class Audit:
    """The audit log as written by one command run by ``actor`` (an ``Actor``; a plain name
    is taken for the operating-system user)."""

    def __init__(self, db: Database, actor: Actor | str | None = None) -> None:
        self.db = db
        self.actor = actor if isinstance(actor, Actor) else Actor(os_user=actor)
        self._role: tuple[str | None] | None = None

    def record(
        self,
        command: str,
        detail: str,
        rows: int | None = None,
        target: str | None = None,
        /,
        **params: object,
    ) -> int:
        """Append an entry to the audit log; its id. ``detail`` is one of
        :data:`AUDIT_DETAILS`, filled in with ``params`` (kept as English text)."""
        values = {
            "at": now_text(),
            "command": command,
            "detail": detail.format(**params) if params else detail,
            "rows": rows,
            "target": target,
            "os_user": self.actor.os_user,
            "person": self.actor.person,
            "role": self.role(),
        }
        return self.db.insert("audit", values)

    def role(self) -> str | None:
        """The database role the connection acts as, on a server (many offices' machines
        share one): asked once."""
        if self._role is None:
            self._role = (self.db.role,)
        return self._role[0]

    def entries(self, limit: int) -> list[AuditEntry]:
        page = self.db.page(limit)
        rows = self.db.query(f"SELECT {AuditEntry.select()} FROM audit ORDER BY id DESC{page}")
        return [AuditEntry.from_row(row) for row in rows]

    # -- the export log -----------------------------------------------------------------
    # One record per destination and action: what `export --new-only` skips is what was
    # written to that destination (the SMS platform, the calendar, a feed), never what
    # another export wrote elsewhere.

    def exported(self, destination: str, action_ids: Sequence[str]) -> set[str]:
        """Which of these actions an earlier export already wrote to ``destination``."""
        done: set[str] = set()
        for placeholders, params in self.db.in_bulk(action_ids):
            found = self.db.execute(
                "SELECT action_id FROM export_log "
                f"WHERE destination = :destination AND action_id IN ({placeholders})",
                {**params, "destination": destination},
            )
            done.update(action_id for (action_id,) in found)
        return done

    def record_export(
        self, fmt: str, destination: str, action_ids: Sequence[str], target: str, day: date
    ) -> int:
        """Audit the export (its detail starts with the format) and remember its actions as
        written to ``destination`` for ``--new-only``; the audit entry's id."""
        entry = self.record(
            "export",
            AUDIT_DETAILS[0],
            len(action_ids),
            target,
            format=fmt,
            day=day.isoformat(),
            destination=destination,
        )
        stamp, sent_by = now_text(), self._export_entry()
        self.db.insert_new(
            "export_log",
            ("destination", "action_id", "audit_id", "exported_at", "journal_id"),
            [(destination, a, entry, stamp, sent_by) for a in action_ids],
        )
        return entry

    def _export_entry(self) -> int | None:
        """The export's journal entry, which its records name: ``undo`` tells by it an export
        that came after a command from one before (store/touched.py)."""
        journal = self.db.journal
        return None if journal is None else journal.irreversible(EXPORT)

    # -- export batches: each action in exactly one delivered file -------------------------
    # An export to a file is a batch: "writing" while its temporary file is written (no rows
    # yet), "pending" once the file is whole and its rows are in export_log (one short write
    # transaction), "done" once the file is renamed into place. The next export finishes a
    # pending batch whose temporary file is gone (it was renamed: delivered) and discards any
    # other (its rows leave export_log, to be written again). cli/export.py runs the steps.

    def unfinished_batches(self, host: str, now: str) -> list[ExportBatch]:
        """The unfinished batches whose export is gone: those of this host (the caller holds
        the export lock, so their process is), and any whose lease expired before ``now``
        (UTC text), whichever host wrote it. A batch of another host within its lease is
        left to it (its pending rows count as written meanwhile)."""
        rows = self.db.query(
            f"SELECT {ExportBatch.select()} FROM export_batch "
            "WHERE state IN ('writing', 'pending') AND (host = :h OR host IS NULL "
            "OR lease_until IS NULL OR lease_until < :now) ORDER BY id",
            {"h": host, "now": now},
        )
        return [ExportBatch.from_row(row) for row in rows]

    def open_batch(
        self,
        fmt: str,
        destination: str,
        day: date,
        target: str,
        temporary: str,
        host: str,
        lease_until: str,
    ) -> ExportBatch:
        """A batch about to write ``temporary`` (to become ``target``) on ``host``, held by
        this export until ``lease_until`` (UTC text)."""
        values = {
            "host": host,
            "destination": destination,
            "format": fmt,
            "day": day,
            "target": target,
            "temporary": temporary,
            "state": "writing",
            "started_at": now_text(),
            "lease_until": lease_until,
        }
        batch_id = self.db.insert("export_batch", values)
        stored = {**values, "id": batch_id, "audit_id": None}
        return ExportBatch.from_row([stored[name] for name in ExportBatch.columns()])

    def fill_batch(
        self, batch: ExportBatch, action_ids: Sequence[str], lease_until: str | None = None
    ) -> int:
        """The batch's file is whole: audit it and remember its actions as written to its
        destination, marked with the batch (pending until ``finish_batch``)."""
        entry = self.record(
            "export",
            AUDIT_DETAILS[0],
            len(action_ids),
            batch.target,
            format=batch.format,
            day=batch.day.isoformat(),
            destination=batch.destination,
        )
        stamp, sent_by = now_text(), self._export_entry()
        self.db.insert_new(
            "export_log",
            ("destination", "action_id", "audit_id", "exported_at", "batch_id", "journal_id"),
            [(batch.destination, a, entry, stamp, batch.id, sent_by) for a in action_ids],
        )
        state = {"state": "pending", "audit_id": entry}
        if lease_until is not None:  # renewed: the rename is still to come
            state["lease_until"] = lease_until
        self.db.update("export_batch", {"id": batch.id}, state)
        return entry

    def finish_batch(self, batch_id: int) -> None:
        """The batch's file is in place: its rows count as delivered."""
        self.db.update("export_batch", {"id": batch_id}, {"state": "done"})

    def unfill_batch(self, batch: ExportBatch) -> int:
        """A pending batch whose file never reached its place: its rows leave the export log
        (they are written again by the next export) and it is writing again, its temporary
        file to be removed; the number of rows taken back."""
        count = self.db.change("DELETE FROM export_log WHERE batch_id = :b", {"b": batch.id})
        # The actions its sending completed (store/sent.py) are open again: never sent.
        self.db.change("DELETE FROM event WHERE export_batch_id = :b", {"b": batch.id})
        self.record(
            "export",
            AUDIT_DETAILS[1],
            count,
            batch.target,
            format=batch.format,
            day=batch.day.isoformat(),
            destination=batch.destination,
        )
        self.db.update("export_batch", {"id": batch.id}, {"state": "writing"})
        return count

    def drop_batch(self, batch_id: int) -> None:
        """A writing batch whose temporary file is removed: it wrote nothing."""
        self.db.update("export_batch", {"id": batch_id}, {"state": "discarded"})


class Settings:
    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, name: str) -> str | None:
        return self.db.scalar("SELECT value FROM setting WHERE name = :n", {"n": name})

    def set(self, name: str, value: str | None) -> None:
        # Delete and insert, each described to the journal of changes (undo).
        self.db.delete("setting", {"name": name}, key=("name",))
        if value is not None:
            values = {"name": name, "value": value, "updated_at": now_text()}
            self.db.insert_row("setting", values, key=("name",))
