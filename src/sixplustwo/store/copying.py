"""``db copy``: a whole database into an empty one, either way between a SQLite file and a
PostgreSQL server (moving a team onto a shared server, or taking a copy home).

The target gets the schema through the same ordered migrations first; then every row of every
table, ids included, in one transaction on the target (all rows or none), read from one
snapshot of the source. A target that holds any row is refused. Afterwards the two are
compared table by table (row counts) and both are checked (``check``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from sixplustwo.domain.errors import Conflict, InvalidInput
from sixplustwo.store.database import Database, backend_for, check, open_database, resolve_target

# Tables in an order that inserts a row after the rows it names (the rest follow, by name).
# A column naming a row of its own table (an owner's referrer) is filled in a second pass.
_ORDER = (
    "id_counter",  # first: copying a table with ids raises its counter, never lowers it
    "project",
    "milestone",
    "owner",
    "owner_tag",
    "service_case",
    "event",
    "checklist_result",
    "audit",
    "export_batch",
    "export_log",
    "setting",
    "app_user",
    "journal",
    "journal_change",
    "outbox",
    "office_project",
)
_SELF_REFERENCES = {"owner": ("referred_by",)}
_CHUNK = 10_000


@dataclass
class CopyResult:
    counts: dict[str, tuple[int, int]]  # table: (rows in the source, rows in the target)
    source_check: tuple[bool, str]
    target_check: tuple[bool, str]

    @property
    def ok(self) -> bool:
        return (
            all(a == b for a, b in self.counts.values())
            and self.source_check[0]
            and self.target_check[0]
        )


def _tables(db: Database) -> list[str]:
    present = db.backend.table_names(db.connection) - {"schema_migration"}
    known = [table for table in _ORDER if table in present]
    return known + sorted(present - set(known))


def _count(db: Database, table: str) -> int:
    return db.scalar(f"SELECT COUNT(*) FROM {table}")


def copy_database(source: str | os.PathLike | None, target: str) -> CopyResult:
    source_where, _ = resolve_target(source)
    if _same(source_where, target):
        raise InvalidInput("db copy: the target {target} is the database itself", target=target)
    backend_for(target)  # the driver is there (a server's), before anything is read
    with (
        open_database(source, write=False) as db,
        open_database(target, write=True, create=True) as into,
    ):
        tables = _tables(db)
        # A table of rows named first, the counter of their ids last.
        for table in sorted(_tables(into), key=lambda name: name == "id_counter"):
            if into.one(f"SELECT 1 FROM {table}{into.page(1)}") is not None:
                raise Conflict(
                    "db copy writes only into an empty database: {target} has rows in {table}",
                    target=into.where,
                    table=table,
                )
        missing = sorted(set(tables) - set(_tables(into)))
        if missing:
            raise Conflict(
                "{target} lacks table {table}: it was made by another sixplustwo",
                target=into.where,
                table=missing[0],
            )
        _keep_twins(db, into)
        for table in tables:
            _copy_table(db, into, table)
    with open_database(source, write=False) as db, open_database(target, write=False) as into:
        counts = {table: (_count(db, table), _count(into, table)) for table in tables}
    return CopyResult(counts, check(source), check(target))


def _keep_twins(db: Database, into: Database) -> None:
    """Owners of one flat that the source holds from before the flat's key was unique (named
    by ``check``) are copied as they are: the target's flat index leaves out the same later
    twins as the source's."""
    from sixplustwo.store.search import FLAT_INDEX, flat_index, flat_twins

    twins = flat_twins(db)
    if twins:
        into.execute(f"DROP INDEX {FLAT_INDEX}")
        into.execute(flat_index([twin for *_, twin in twins]))


def _copy_table(db: Database, into: Database, table: str) -> None:
    """A table's rows, a chunk at a time (only a chunk is held: a million owners are read
    through, not loaded); a self-reference is kept aside (the referenced row may come later)
    and written once every row is in."""
    deferred: list[tuple] = []
    later: list[str] = []
    key = ""
    for columns, chunk in db.stream(f"SELECT * FROM {table} ORDER BY 1", size=_CHUNK):
        rows = chunk
        later = [c for c in _SELF_REFERENCES.get(table, ()) if c in columns]
        if later:
            key = columns[0]
            positions = [columns.index(c) for c in later]
            for row in chunk:
                values = [row[i] for i in positions]
                if any(value is not None for value in values):
                    deferred.append((*values, row[0]))
            rows = [
                tuple(None if i in positions else v for i, v in enumerate(row)) for row in chunk
            ]
        into.insert_many(table, columns, rows)
    if deferred:
        assignments = [f"{column} = {{}}" for column in later]
        for start in range(0, len(deferred), _CHUNK):
            into.update_many(table, assignments, key, deferred[start : start + _CHUNK])


def _same(source: object, target: str) -> bool:
    text = os.fspath(source) if isinstance(source, os.PathLike) else str(source)
    if text == target:
        return True
    if "://" in text or "://" in target:
        return False
    return os.path.abspath(text) == os.path.abspath(target)


def table_order() -> Sequence[str]:
    return _ORDER
