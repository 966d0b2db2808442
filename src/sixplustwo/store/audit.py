"""The audit log and the export log, on a DBAPI connection: ``export`` runs without SQLAlchemy
(its import costs ~0.4 s of a cron run over a large company's reminders)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

Connection = Any  # sqlite3's, or the one under a SQLAlchemy session
_BATCH = 500  # ids per IN (...) list, under SQLite's bound-parameter limit


def now_text() -> str:
    """Now, in the form SQLAlchemy's SQLite DateTime writes and reads back (UTC, no offset)."""
    return datetime.now(UTC).replace(microsecond=0).strftime("%Y-%m-%d %H:%M:%S.%f")


def record_audit(
    connection: Connection,
    command: str,
    detail: str,
    rows: int | None = None,
    target: str | None = None,
) -> int:
    """Append an entry to the audit log; its id."""
    cursor = connection.execute(
        "INSERT INTO audit (at, command, detail, rows, target) VALUES (?, ?, ?, ?, ?)",
        (now_text(), command, detail, rows, target),
    )
    return cursor.lastrowid


def exported(connection: Connection, action_ids: Sequence[str]) -> set[str]:
    """Which of these actions an earlier export already wrote."""
    done: set[str] = set()
    ids = list(action_ids)
    for start in range(0, len(ids), _BATCH):
        batch = ids[start : start + _BATCH]
        placeholders = ", ".join("?" for _ in batch)
        found = connection.execute(
            f"SELECT action_id FROM export_log WHERE action_id IN ({placeholders})", batch
        )
        done.update(action_id for (action_id,) in found)
    return done


def record_export(
    connection: Connection, fmt: str, action_ids: Sequence[str], target: str, day: date
) -> int:
    """Audit the export and remember its actions for ``--new-only``; the audit entry's id."""
    entry = record_audit(
        connection, "export", f"{fmt} for {day.isoformat()}", len(action_ids), target
    )
    stamp = now_text()
    connection.executemany(
        "INSERT INTO export_log (action_id, audit_id, exported_at) VALUES (?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        [(action_id, entry, stamp) for action_id in action_ids],
    )
    return entry
