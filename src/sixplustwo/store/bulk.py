"""The bulk owner import: a file's rows streamed into SQLite in batches through the DBAPI's
``executemany``, in the command's one transaction, without ORM objects (a million rows)."""

from __future__ import annotations

import os
import sqlite3
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from sixplustwo.domain.owners import OWNER_VALUE_FIELDS, OwnerValues
from sixplustwo.store.audit import now_text

_UNIT = OWNER_VALUE_FIELDS.index("unit")
_REFERRED_BY = OWNER_VALUE_FIELDS.index("referred_by")


def import_owners(
    connection: sqlite3.Connection,
    rows: Iterable[tuple[int, OwnerValues | str]],
    *,
    update: bool = False,
    progress: Callable[[int], None] | None = None,
    expected_rows: int = 0,
) -> ImportResult:
    """Insert (or with ``update``, also update) owners as they stream in. ``rows`` carries
    the file's own problems as strings. On any problem the caller rolls the transaction back;
    insertion goes on meanwhile, so that later duplicates of a row are still found and
    reported."""
    known = connection.execute("SELECT id, code, name FROM project").fetchall()
    projects = {name: (project_id, code) for project_id, code, name in known}
    projects.update({code: (project_id, code) for project_id, code, _ in known})  # codes win
    result = ImportResult()
    created_at = now_text()
    batch = _OwnerBatch(connection, result, progress)
    existing = _existing_units(connection) if update else {}
    owners = connection.execute("SELECT COUNT(*) FROM owner").fetchone()[0]
    # A large file into a smaller table: its secondary indexes are dropped and built again
    # at the end (a sort), which at a million rows is several times faster than keeping
    # nine indexes up to date row by row. Same transaction: a failure restores them.
    suspended = (
        _drop_owner_indexes(connection)
        if expected_rows >= _BULK_FROM_ROWS and expected_rows >= owners
        else []
    )
    updates: list[tuple] = []
    updated_keys: dict[tuple[int, str], int] = {}
    for row_number, owner in rows:
        result.rows += 1
        if isinstance(owner, str):
            result.problem(owner)
            continue
        found = projects.get(owner[0])
        if found is None:
            result.problem(f"row {row_number}, project: unknown project {owner[0]!r}")
            continue
        project_id, code = found
        if existing:
            key = (project_id, owner[_UNIT])
            if key in existing:
                if key in updated_keys:
                    result.problem(
                        f"row {row_number}, unit: flat {code} {owner[_UNIT]} "
                        f"is also on row {updated_keys[key]}"
                    )
                    continue
                updated_keys[key] = row_number
                updates.append((*owner[2:], existing[key]))
                continue
        batch.add(row_number, code, owner, (project_id, *owner[1:], True, created_at))
    batch.flush()
    for start in range(0, len(updates), _BATCH_ROWS):
        chunk = updates[start : start + _BATCH_ROWS]
        connection.executemany(_UPDATE_OWNER, chunk)
        result.updated += len(chunk)
        if progress:
            progress(len(chunk))
    if not result.problems:
        _rebuild_indexes(connection, suspended)
        if result.inserted * 10 >= owners + result.inserted:
            # Fresh planner statistics once the table has grown by a tenth: with stale
            # ones SQLite may scan owners project by project for the due list (a sampled
            # ANALYZE misled it so; the full one takes ~0.5 s at a million owners).
            connection.execute("ANALYZE")
    return result


def _existing_units(connection: sqlite3.Connection) -> dict[tuple[int, str], int]:
    result = connection.execute("SELECT project_id, unit, id FROM owner")
    return {(project_id, unit): owner_id for project_id, unit, owner_id in result}


_OWNER_INSERT_COLUMNS = (
    "project_id", "unit", "name", "phone", "visited_on", "subscribed_on", "signed_on",
    "delivery_date", "delivered_on", "birthday", "birthday_md", "butler", "referred_by",
    "birthday_lunar", "wants_greetings", "created_at",
)  # fmt: skip
_INSERT_OWNER = (
    f"INSERT INTO owner ({', '.join(_OWNER_INSERT_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in _OWNER_INSERT_COLUMNS)})"
)
# Columns 2..13 of the insert (name … birthday_lunar), then the id.
_UPDATE_OWNER = (
    "UPDATE owner SET "
    # The first referrer wins: an update never replaces one already recorded.
    + ", ".join(
        f"{column} = COALESCE({column}, ?)" if column == "referred_by" else f"{column} = ?"
        for column in _OWNER_INSERT_COLUMNS[2:14]
    )
    + " WHERE id = ? AND forgotten_on IS NULL"
)
_BATCH_ROWS = 5000
_BULK_FROM_ROWS = 50_000


def _drop_owner_indexes(connection: sqlite3.Connection) -> list[str]:
    """Drop the owner table's own indexes (not the UNIQUE one, which finds duplicate flats);
    return the statements that make them again."""
    found = connection.execute(
        "SELECT name, sql FROM sqlite_master "
        "WHERE type = 'index' AND tbl_name = 'owner' AND sql IS NOT NULL"
    ).fetchall()
    for name, _ in found:
        connection.execute(f'DROP INDEX "{name}"')
    return [sql for _, sql in found]


def _rebuild_indexes(connection: sqlite3.Connection, statements: Sequence[str]) -> None:
    """Build indexes with a small page cache and sorter threads. SQLite's sorter keeps up to
    the page cache in memory: with 64 MB it sorts a million keys in one cache-unfriendly run
    (~0.9 s an index, measured); with 2 MB it sorts runs of a few thousand keys, in parallel
    threads, and merges them (~0.5 s)."""
    if not statements:
        return
    cache = connection.execute("PRAGMA cache_size").fetchone()[0]
    connection.execute(f"PRAGMA threads = {min(4, os.cpu_count() or 1)}")
    connection.execute("PRAGMA cache_size = -2048")
    try:
        for statement in statements:
            connection.execute(statement)
    finally:
        connection.execute(f"PRAGMA cache_size = {int(cache)}")


@dataclass
class ImportResult:
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    problems: list[str] = field(default_factory=list)  # the first SHOWN_PROBLEMS
    problem_count: int = 0

    SHOWN_PROBLEMS: ClassVar[int] = 50

    def problem(self, text: str) -> None:
        self.problem_count += 1
        if len(self.problems) < self.SHOWN_PROBLEMS:
            self.problems.append(text)


class _OwnerBatch:
    """Rows waiting for one executemany. A batch that breaks a constraint is rolled back to
    its savepoint and replayed row by row, to name each bad row: the fast path stays fast."""

    def __init__(
        self,
        connection: sqlite3.Connection,
        result: ImportResult,
        progress: Callable[[int], None] | None,
    ) -> None:
        self.connection = connection
        self.result = result
        self.progress = progress
        self.pending: list[tuple[int, str, OwnerValues, tuple]] = []
        self.first_id: int = connection.execute(
            "SELECT COALESCE(MAX(id), 0) + 1 FROM owner"
        ).fetchone()[0]
        self.row_of = array("q")  # file row of each owner inserted, by id - first_id

    def add(self, row_number: int, project: str, owner: OwnerValues, row: tuple) -> None:
        self.pending.append((row_number, project, owner, row))
        if len(self.pending) >= _BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        pending, self.pending = self.pending, []
        if not pending:
            return
        connection = self.connection
        connection.execute("SAVEPOINT owner_batch")
        try:
            connection.executemany(_INSERT_OWNER, [item[3] for item in pending])
        except sqlite3.IntegrityError:
            connection.execute("ROLLBACK TO owner_batch")
            connection.execute("RELEASE owner_batch")
            for item in pending:
                self._insert_one(*item)
        else:
            connection.execute("RELEASE owner_batch")
            self.row_of.extend(item[0] for item in pending)
            self.result.inserted += len(pending)
        if self.progress:
            self.progress(len(pending))

    def _insert_one(self, row_number: int, project: str, owner: OwnerValues, values) -> None:
        try:
            cursor = self.connection.execute(_INSERT_OWNER, values)
        except sqlite3.IntegrityError:
            self.result.problem(self._explain(row_number, project, owner))
            return
        offset = cursor.lastrowid - self.first_id
        self.row_of.extend([0] * (offset - len(self.row_of)))
        self.row_of.append(row_number)
        self.result.inserted += 1

    def _explain(self, row_number: int, project: str, owner: OwnerValues) -> str:
        holder = self.connection.execute(
            "SELECT o.id FROM owner o JOIN project p ON p.id = o.project_id "
            "WHERE p.code = ? AND o.unit = ?",
            (project, owner[_UNIT]),
        ).fetchone()
        if holder is None:  # not the flat, so the one other constraint: the referrer
            return f"row {row_number}, referred_by: no owner {owner[_REFERRED_BY]}"
        flat = f"row {row_number}, unit: flat {project} {owner[_UNIT]}"
        offset = holder[0] - self.first_id
        if 0 <= offset < len(self.row_of):
            return f"{flat} is also on row {self.row_of[offset]}"
        return f"{flat} already belongs to owner {holder[0]}"
