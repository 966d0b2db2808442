"""The one way into the database.

Every statement, read or write, passes through a ``Database``: queries are written once with
``:name`` parameters and a mapping of values, and the backend part (``store/backends/``)
converts them, opens and prepares connections, begins the read or write transaction, makes
ids, translates driver errors and holds locks, backups, checks and erasure. A second database
is a second backend module; nothing else imports a driver.

Commands get a ``Database`` from ``open_database`` inside one transaction: committed when the
block succeeds, else rolled back (``cli/context.py`` wraps it in the command's unit of work).
Writes can be watched (``on_write``): the hook the journal of changes for ``undo`` plugs into
(``store/journal.py``). The described writes (``insert``, ``insert_row``, ``update``,
``delete``, ``insert_many``, ``update_many``) tell it the table, the rows' keys and their prior
values; a plain statement (``change``) tells it only the table, which marks the command as one
that cannot be undone.

Opening brings the database up to the schema first (``migrate``, ``store/migrations.py``).

Why one module: it is the one door, and what passes through it (the described writes and
their hook, ids, the bulk pair, locks, opening) is one contract every store module relies on;
split, a write's journaling and its id's bookkeeping would live apart from the write.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from sixplustwo.domain.errors import InvalidInput, SixPlusTwoError, StoreError
from sixplustwo.store.backends import insert_sql, transaction
from sixplustwo.store.migrations import migrate

DB_ENV = "SIXPLUSTWO_DB"

Params = Mapping[str, object] | None


@dataclass(frozen=True)
class Write:
    """One write as the hooks see it, after it succeeded.

    ``op`` is "insert", "update", "delete", or "sql" for a statement the gateway cannot
    describe. ``key`` names the row (its id, or the key columns of a table without one);
    ``last`` ends an id range (a bulk insert: ids ``key["id"]`` to ``last``); ``before`` holds
    the row's prior values (an update's changed columns, a deleted row's every column);
    ``values`` what an insert wrote."""

    table: str
    op: str
    key: Mapping[str, object] | None = None
    last: int | None = None
    before: Mapping[str, object] | None = None
    values: Mapping[str, object] | None = None


WriteHook = Callable[[Write], None]
ID = ("id",)
_TABLE = re.compile(r"^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(\w+)", re.IGNORECASE)


def _equal(columns: Iterable[str], prefix: str) -> str:
    return " AND ".join(f"{column} = :{prefix}{column}" for column in columns)


def _prefixed(values: Mapping[str, object], prefix: str) -> dict[str, object]:
    return {f"{prefix}{column}": value for column, value in values.items()}


def default_db_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path("sixplustwo", appauthor=False) / "sixplustwo.db"


def resolve_target(explicit: str | os.PathLike | None) -> tuple[str | os.PathLike, bool]:
    """``--db`` first, then ``$SIXPLUSTWO_DB``, then the user data directory; and whether it
    is that default. An empty ``--db`` names nothing: refused, never taken for the default."""
    if explicit is not None and not os.fspath(explicit).strip():
        raise InvalidInput("--db is empty: name a database file or a postgresql:// URL")
    if explicit:
        return explicit, False
    from_env = os.environ.get(DB_ENV)
    if from_env:
        return from_env, False
    return default_db_path(), True


def backend_for(target: str | os.PathLike) -> ModuleType:
    """The backend part for a database: a ``postgresql://`` URL names a server (its driver is
    imported only then), anything else a SQLite file."""
    text = str(target) if not isinstance(target, os.PathLike) else os.fspath(target)
    if text.startswith(("postgresql://", "postgres://")):
        try:
            from sixplustwo.store.backends import postgres
        except ImportError:
            raise StoreError(
                "{url} is a PostgreSQL database, whose driver is not installed: "
                'pip install "sixplustwo[postgres]"',
                url=text.split("@")[-1],
            ) from None
        return postgres
    from sixplustwo.store.backends import sqlite

    return sqlite


@dataclass
class Constraints:
    """The statements that add a table's dropped constraints again, by kind."""

    unique: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)


class Database:
    """One connection in one transaction, and the statements run on it."""

    def __init__(self, backend: ModuleType, connection: Any, where: object, *, write: bool):
        self.backend = backend
        self.connection = connection
        self.where = where  # the path or URL, for messages
        self.write = write
        self.on_write: list[WriteHook] = []
        self.journal: Any = None  # the command's journal of changes (store/journal.py), if kept
        self.Error = backend.Error
        self.IntegrityError = backend.IntegrityError

    # -- statements ---------------------------------------------------------------------

    def execute(self, sql: str, params: Params = None) -> Any:
        """Run one statement; the cursor (iterable, ``fetchone``, ``fetchall``)."""
        return self.connection.execute(*self.backend.bind(sql, params or {}))

    def query(self, sql: str, params: Params = None) -> list[tuple]:
        return self.execute(sql, params).fetchall()

    def one(self, sql: str, params: Params = None) -> tuple | None:
        return self.execute(sql, params).fetchone()

    def scalar(self, sql: str, params: Params = None) -> Any:
        row = self.one(sql, params)
        return None if row is None else row[0]

    def stream(
        self, sql: str, params: Params = None, size: int = 10_000
    ) -> Iterator[tuple[list[str], list[tuple]]]:
        """A query's rows in chunks of at most ``size`` rows, each with the column names, for
        results too large to hold (a whole table): only a chunk is in memory at a time (on
        PostgreSQL through a server-side cursor, in the transaction)."""
        return self.backend.stream(self.connection, sql, params or {}, size)

    def change(self, sql: str, params: Params = None) -> int:
        """Run an INSERT, UPDATE or DELETE the gateway does not describe; the number of rows
        it touched. A journaled command that runs one cannot be undone: prefer ``insert``,
        ``update`` and ``delete``."""
        self._check(sql)
        count = self.execute(sql, params).rowcount
        self._written(Write(_table_of(sql), "sql"))
        return count

    def insert_new(self, table: str, columns: Sequence[str], rows: Sequence[tuple]) -> None:
        """Insert positional rows, but those a unique key of the table already holds (an
        action exported again): ``INSERT … ON CONFLICT DO NOTHING``, as fast as the backend
        can take many rows."""
        if not rows:
            return  # nothing written: nothing to journal (an export of no reminders)
        self._check(f"INSERT INTO {table}")
        self.backend.insert_new(self.connection, table, columns, rows)
        self._written(Write(table, "sql"))

    def execute_many(self, sql: str, rows: Sequence[Mapping[str, object]]) -> None:
        """Many rows through one statement, unwatched: the journal's own writes."""
        self._check(sql)
        self.connection.executemany(self.backend.convert(sql), rows)

    def insert(self, table: str, values: Mapping[str, object]) -> int:
        """Insert one row; its new id, one never given before (``next_id``)."""
        self._check(f"INSERT INTO {table}")
        new_id = self.backend.insert_returning_id(self.connection, table, dict(values))
        self._counted(table, new_id)
        self._written(Write(table, "insert", {"id": new_id}, values=values))
        return new_id

    def insert_row(self, table: str, values: Mapping[str, object], key: Sequence[str]) -> None:
        """Insert one row into a table keyed by ``key`` columns (no id)."""
        sql = insert_sql(table, values)
        self._check(sql)
        self.execute(sql, values)
        self._written(Write(table, "insert", {k: values[k] for k in key}, values=values))

    def update(
        self,
        table: str,
        where: Mapping[str, object],
        values: Mapping[str, object],
        key: Sequence[str] = ID,
    ) -> int:
        """``UPDATE table SET values WHERE`` each ``where`` column equals its value; the
        number of rows changed. The watchers get each row's prior values of those columns."""
        if not values:
            return 0
        sets = ", ".join(f"{column} = :v_{column}" for column in values)
        sql = f"UPDATE {table} SET {sets} WHERE {_equal(where, 'w_')}"
        self._check(sql)
        params = {**_prefixed(values, "v_"), **_prefixed(where, "w_")}
        before = self._rows(table, where, [*key, *values]) if self.on_write else []
        count = self.execute(sql, params).rowcount
        for row in before:
            prior = {c: row[c] for c, new in values.items() if _differs(row[c], new)}
            if prior:
                self._written(Write(table, "update", {k: row[k] for k in key}, before=prior))
        return count

    def delete(self, table: str, where: Mapping[str, object], key: Sequence[str] = ID) -> int:
        """``DELETE FROM table WHERE`` each ``where`` column equals its value; the number of
        rows deleted. The watchers get each row whole."""
        sql = f"DELETE FROM {table} WHERE {_equal(where, 'w_')}"
        self._check(sql)
        before = self._rows(table, where, None) if self.on_write else []
        count = self.execute(sql, _prefixed(where, "w_")).rowcount
        for row in before:
            self._written(Write(table, "delete", {k: row[k] for k in key}, before=row))
        return count

    def _rows(
        self, table: str, where: Mapping[str, object], columns: Sequence[str] | None
    ) -> list[dict[str, object]]:
        """Rows as column → value, for the watchers' prior values."""
        selected = ", ".join(dict.fromkeys(columns)) if columns else "*"
        sql = f"SELECT {selected} FROM {table} WHERE {_equal(where, 'w_')}"
        cursor = self.execute(sql, _prefixed(where, "w_"))
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def _check(self, sql: str) -> None:
        if not self.write:
            raise RuntimeError(f"a reading command tried to write: {sql[:60]}")

    def _written(self, write: Write) -> None:
        for hook in self.on_write:
            hook(write)

    # -- what differs per backend, asked of the backend ---------------------------------

    @property
    def max_params(self) -> int:
        return self.backend.MAX_PARAMS

    def page(self, limit: int, offset: int = 0) -> str:
        """The clause for a page of ``limit`` rows (0: all) after ``offset`` rows."""
        return self.backend.page(limit, offset)

    @property
    def role(self) -> str | None:
        """Who the database knows this connection as (PostgreSQL's role; None for a file)."""
        return self.backend.role(self.connection)

    def next_id(self, table: str) -> int:
        """The id the next row of ``table`` gets: past its highest row and past every id it
        ever gave (``id_counter``, which deletes and undo leave as it is), so that an id is
        never given twice (the export record names actions by their ids). Writers take
        turns (the write lock), so nobody gives ids meanwhile."""
        return self.backend.next_id(self.connection, table)

    def _counted(self, table: str, last: int | None = None) -> None:
        """Remember that ``table`` gave ids up to ``last`` (its highest row's when None), in
        this transaction: a rollback forgets it with the rows, an undo does not."""
        if last is None:
            self.connection.execute(
                self.backend.convert(
                    "INSERT INTO id_counter (tbl, last_id) SELECT :t, m FROM "
                    f"(SELECT MAX(id) AS m FROM {table}) highest WHERE m IS NOT NULL "
                    "ON CONFLICT (tbl) DO UPDATE SET last_id = excluded.last_id "
                    "WHERE id_counter.last_id < excluded.last_id"
                ),
                {"t": table},
            )
            return
        self.connection.execute(
            self.backend.convert(
                "INSERT INTO id_counter (tbl, last_id) VALUES (:t, :last) "
                "ON CONFLICT (tbl) DO UPDATE SET last_id = excluded.last_id "
                "WHERE id_counter.last_id < excluded.last_id"
            ),
            {"t": table, "last": last},
        )

    def _has_id(self, table: str) -> bool:
        known = self.__dict__.setdefault("_id_tables", {})
        if table not in known:
            known[table] = "id" in self.backend.table_columns(self.connection, table)
        return known[table]

    def insert_many(
        self,
        table: str,
        columns: Sequence[str],
        rows: Sequence[tuple],
        constants: dict[str, str] | None = None,
    ) -> None:
        """The bulk load: positional rows, as fast as the backend can take them. The watchers
        get the range of new ids (ids are given in order), not a row each."""
        self._check(f"INSERT INTO {table}")
        counted = bool(rows) and self._has_id(table)
        first = self.next_id(table) if counted and "id" not in columns else 0
        self.backend.insert_many(self.connection, table, columns, rows, constants, first)
        if counted:
            self._counted(table, first + len(rows) - 1 if first else None)
        if self.on_write and first:
            self._written(Write(table, "insert", {"id": first}, last=first + len(rows) - 1))

    def update_many(
        self,
        table: str,
        assignments: Sequence[str],
        key: str,
        rows: Sequence[tuple],
        where: str = "",
    ) -> None:
        """``UPDATE table SET assignments WHERE key = …`` for positional rows (the assigned
        values, then the key); the watchers get each row's prior values of the assigned
        columns (an assignment reads "column = …") where the value changes."""
        self._check(f"UPDATE {table}")
        changed: list[tuple[object, dict[str, object]]] = []
        if self.on_write and rows:
            columns = [assignment.split("=")[0].strip() for assignment in assignments]
            new = {row[-1]: row for row in rows}
            for placeholders, params in self.in_bulk(list(new)):
                found = f"{key} IN ({placeholders})" + (f" AND {where}" if where else "")
                cursor = self.execute(
                    f"SELECT {key}, {', '.join(columns)} FROM {table} WHERE {found}", params
                )
                for row_key, *old in cursor.fetchall():
                    given = new[row_key]
                    prior = {
                        column: value
                        for column, value, value_given in zip(columns, old, given, strict=False)
                        if _differs(value, value_given)
                    }
                    if prior:
                        changed.append((row_key, prior))
        self.backend.update_many(self.connection, table, assignments, key, rows, where)
        for row_key, prior in changed:
            self._written(Write(table, "update", {key: row_key}, before=prior))

    def drop_indexes(self, table: str, keep: Collection[str] = ()) -> list[str]:
        """Drop a table's own indexes (not those of its primary key and UNIQUE constraints,
        which find duplicates, nor those named in ``keep``); the statements that make them
        again."""
        found = [
            (name, sql)
            for name, sql in self.backend.own_indexes(self.connection, table)
            if name not in keep
        ]
        for name, _ in found:
            self.connection.execute(f'DROP INDEX "{name}"')
        return [sql for _, sql in found]

    def drop_constraints(self, table: str) -> Constraints:
        """Drop a table's UNIQUE constraints and foreign keys (not its primary key) where the
        database keeps them at a cost a row that a bulk load can spare (PostgreSQL: a unique
        index updated at random places, a trigger and a query a row for a foreign key, which
        together took a million-row COPY from ~2 to ~24 s of server time, measured); the
        statements that add them again, checking every row at once. None on SQLite, which
        cannot drop a constraint from a table (and checks them in this process, cheaply)."""
        found = self.backend.own_constraints(self.connection, table)
        for _, drop, _ in found:
            self.connection.execute(drop)
        return Constraints(
            unique=[add for kind, _, add in found if kind == "unique"],
            foreign=[add for kind, _, add in found if kind == "foreign"],
        )

    def rebuild_indexes(self, statements: Sequence[str]) -> None:
        self.backend.rebuild_indexes(self.connection, statements)

    def analyze(self) -> None:
        self.backend.analyze(self.connection)

    @contextmanager
    def savepoint(self, name: str) -> Iterator[None]:
        """A nested transaction: rolled back to on an error, which is raised again."""
        self.connection.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            self.connection.execute(f"ROLLBACK TO {name}")
            self.connection.execute(f"RELEASE {name}")
            raise
        self.connection.execute(f"RELEASE {name}")

    def in_bulk(self, numbers: Iterable[object]) -> Iterator[tuple[str, dict[str, object]]]:
        """``IN (…)`` lists for many values, in batches the backend accepts: each a
        placeholder list and its parameters."""
        values = list(numbers)
        for start in range(0, len(values), self.max_params):
            yield in_list("v", values[start : start + self.max_params])


def _differs(old: object, new: object) -> bool:
    """Whether writing ``new`` over a stored ``old`` changes it (a date over its ISO text,
    True over 1, do not)."""
    if old == new:
        return False
    return old is None or new is None or str(old) != str(new)


def _table_of(sql: str) -> str:
    found = _TABLE.match(sql)
    return found.group(1).lower() if found else "?"


def in_list(name: str, values: Sequence[object]) -> tuple[str, dict[str, object]]:
    """``:name0, :name1, …`` for an ``IN (…)`` list, and its parameters."""
    params = {f"{name}{i}": value for i, value in enumerate(values)}
    return ", ".join(f":{key}" for key in params), params


#: One project's id, any of several (``--project``, repeatable), or ``None``: every project.
ProjectIds = int | Sequence[int] | None


def in_projects(column: str, name: str, projects: ProjectIds) -> tuple[str, dict[str, object]]:
    """``column IN (…)`` for one project id or several (``--project``, repeatable), and its
    parameters; ``("", {})`` for every project (``None`` or none given)."""
    ids = [projects] if isinstance(projects, int) else list(projects or ())
    if not ids:
        return "", {}
    placeholders, params = in_list(name, ids)
    return f"{column} IN ({placeholders})", params


# -- opening ---------------------------------------------------------------------------------


@contextmanager
def open_database(
    db: str | os.PathLike | None, *, write: bool, create: bool = False
) -> Iterator[Database]:
    """A migrated database in one transaction: committed if the block succeeds, else rolled
    back. ``write`` takes the write lock up front; a reading command never writes. Only
    ``create`` makes a database that is not there (the commands that add data); without it a
    missing one is ``no database at PATH``, and nothing is created (no file, no folder)."""
    target, default = resolve_target(db)
    backend = backend_for(target)
    path = backend.usable_path(target, default=default, create=create)
    try:
        connection = backend.connect(path, write=write, create=create)
    except backend.Error as exc:
        raise backend.describe_error(exc, path) from None
    try:
        migrate(backend, connection, path, create=create)
        with transaction(backend, connection, write=write):
            yield Database(backend, connection, path, write=write)
    except backend.Error as exc:
        raise backend.describe_error(exc, path) from None
    finally:
        connection.close()


@contextmanager
def session(db: str | os.PathLike | None) -> Iterator[Callable[[], AbstractContextManager]]:
    """One connection to an existing database for many short write transactions (a sender
    that commits before and after each request): ``with session(db) as writing: with
    writing() as tx: …``. Each block commits on success, else rolls back."""
    target, default = resolve_target(db)
    backend = backend_for(target)
    path = backend.usable_path(target, default=default, create=False)
    try:
        connection = backend.connect(path, write=True, create=False)
    except backend.Error as exc:
        raise backend.describe_error(exc, path) from None

    @contextmanager
    def writing() -> Iterator[Database]:
        try:
            with transaction(backend, connection, write=True):
                yield Database(backend, connection, path, write=True)
        except backend.Error as exc:
            raise backend.describe_error(exc, path) from None

    try:
        migrate(backend, connection, path, create=False)
        yield writing
    except backend.Error as exc:
        raise backend.describe_error(exc, path) from None
    finally:
        connection.close()


def require_database(db: str | os.PathLike | None) -> None:
    """Refuse a database that is not there (``no database at PATH``), before anything beside
    it is made (a lock file)."""
    target, default = resolve_target(db)
    backend_for(target).usable_path(target, default=default, create=False)


def _backend_and_path(db: str | os.PathLike | None) -> tuple[ModuleType, Any]:
    target, _ = resolve_target(db)
    backend = backend_for(target)
    return backend, backend.location(target)


def scrub(db: str | os.PathLike | None, owner_id: int) -> SixPlusTwoError | None:
    """After ``owner forget`` committed: leave no copy of the erased data in the database's
    files (SQLite: the WAL; PostgreSQL: old row versions, index entries, statistics). None
    once done, else the warning to show: another process's read held it back (run forget
    again), or what the backend could not do and what stays."""
    backend, path = _backend_and_path(db)
    done = backend.scrub(path)
    if done is True:
        return None
    if done is False:
        return StoreError(
            "another process is reading the database: the erased values stay on disk "
            "until it stops; run sixplustwo owner forget {id} again then",
            id=owner_id,
        )
    return done


def backup(db: str | os.PathLike | None, target: Path) -> int:
    backend, path = _backend_and_path(db)
    return backend.backup(path, target)


@contextmanager
def lock(db: str | os.PathLike | None, name: str, wait: float) -> Iterator[None]:
    """One holder of ``name`` (e.g. "export") at a time per database."""
    backend, path = _backend_and_path(db)
    with backend.lock(path, name, wait):
        yield


def check(db: str | os.PathLike | None) -> tuple[bool, SixPlusTwoError]:
    """Integrity and foreign-key checks, summed up in one line (a message, for cli/ to put
    in words)."""
    backend, path = _backend_and_path(db)
    integrity, foreign, schema, owners = backend.check(path)
    healthy = integrity == ["ok"] and not foreign
    counts = {"path": path, "foreign": foreign, "schema": schema, "owners": owners}
    if integrity == ["ok"]:
        line = SixPlusTwoError(
            "{path}: integrity ok; {foreign} foreign-key problem(s); schema {schema}; "
            "{owners} owners",
            **counts,
        )
    else:
        line = SixPlusTwoError(
            "{path}: integrity {count} problem(s): {first}; {foreign} foreign-key problem(s); "
            "schema {schema}; {owners} owners",
            count=len(integrity),
            first=integrity[0],
            **counts,
        )
    return healthy, line
