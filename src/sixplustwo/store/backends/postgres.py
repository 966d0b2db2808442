"""The PostgreSQL part of the database gateway: a company's shared server.

Chosen when ``--db`` (or ``$SIXPLUSTWO_DB``) is a ``postgresql://`` URL; the driver, psycopg 3
(the ``postgres`` extra), is imported only then. The queries are the ones SQLite runs, written
once with ``:name`` parameters and converted here to psycopg's ``%(name)s``.

What this part says differently from SQLite's:

- **Transactions.** A command that writes takes one advisory lock for the whole database at
  BEGIN and holds it to COMMIT: writers queue one after another, as SQLite's BEGIN IMMEDIATE
  makes them, and wait for each other rather than fail (no lock errors, no serialization
  failures, so a check-then-write in the store sees what it checked). Readers take no lock and
  read one snapshot (REPEATABLE READ, READ ONLY).
- **Values.** Dates and times are stored as the same ISO text as in SQLite (DATE and TIMESTAMP
  columns become VARCHAR), so that the queries compare the same strings; a ``date`` parameter
  is sent as that text. Booleans are PostgreSQL booleans (SQLite's are 0/1: the queries test
  them as booleans, ``AND o.wants_greetings``, and the records read both).
- **Ids.** ``INTEGER PRIMARY KEY`` becomes an identity column; ``insert`` takes the new id with
  RETURNING. The bulk load gives ids itself, under the writers' lock, past the table's
  highest row and past the highest id it ever gave in a committed transaction
  (``id_counter``), and then moves the sequence past them; a rollback moves it back only to
  that (it gives back the ids nobody committed), never below: a delete or an undo never frees
  an id to be given again.
- **Bulk load** is COPY; **locks** (``export``) are session advisory locks on a connection of
  their own; **backup** is pg_dump's job; **check** checks that every table reads and every
  constraint is validated; **scrub** rewrites the tables that held erased personal data, and their
  statistics.

Why one module: it is one dialect, a backend as ``store/database.py`` uses it: a module whose
functions answer the questions every backend answers (``backend.connect``, ``backend.convert``,
``backend.insert_many`` …), found by name on the module ``backend_for`` returns, as
``backends/sqlite.py`` answers them for SQLite. Split, the PostgreSQL answers would be spread
over modules the gateway still had to see as one, and psycopg's import would no longer happen
in one place only when a URL is given. Its sections (values, connections and transactions,
errors, bulk load, locks and maintenance) share the connection subclass and the adapters.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import date, datetime
from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import errors as pg_errors
from psycopg.adapt import Dumper, Loader

from sixplustwo.domain.errors import Conflict, SixPlusTwoError, StoreError
from sixplustwo.store.backends import insert_sql, pyformat, unrecognised

NAME = "postgres"
MAX_PARAMS = 1000
CONNECT_TIMEOUT_S = 10
# Advisory lock keys: (this tool, what). hashtext() names the export-style locks.
_LOCK_SPACE = 0x362B  # "6+"
_WRITERS = 1

Error = psycopg.Error
IntegrityError = psycopg.IntegrityError


class Server:
    """A database on a server, as the gateway passes it around: the URL to connect with, shown
    without its password."""

    def __init__(self, url: str):
        self.url = url

    def __str__(self) -> str:
        parts = urlsplit(self.url)
        if parts.password is None:
            return self.url
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return urlunsplit(parts._replace(netloc=netloc))

    __format__ = lambda self, spec: format(str(self), spec)  # noqa: E731
    __repr__ = __str__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Server) and other.url == self.url

    def __hash__(self) -> int:
        return hash(self.url)


def is_url(target: object) -> bool:
    return str(target).startswith(("postgresql://", "postgres://"))


def usable_path(target: object, *, default: bool = False, create: bool = False) -> Server:
    """The server's database (made by its administrator, never by this tool: ``create`` only
    means the schema may be made in it)."""
    return location(target)


def location(target: object) -> Server:
    return target if isinstance(target, Server) else Server(str(target))


# -- values ---------------------------------------------------------------------------------


class _IsoDateDumper(Dumper):
    """A date as the ISO text the tables hold, of unknown type: the server takes it as the
    VARCHAR it is compared with or written to."""

    oid = 0  # unknown

    def dump(self, obj: date) -> bytes:
        return obj.isoformat().encode()


class _StampDumper(Dumper):
    oid = 0

    def dump(self, obj: datetime) -> bytes:
        return obj.strftime("%Y-%m-%d %H:%M:%S.%f").encode()


class _NumericLoader(Loader):
    """AVG and SUM over a BIGINT give NUMERIC: a float, as SQLite gives (not a Decimal)."""

    def load(self, data: bytes) -> float | int:
        text = bytes(data).decode()
        return float(text) if "." in text or "e" in text.lower() else int(text)


def _adapt(connection: psycopg.Connection) -> None:
    adapters = connection.adapters
    adapters.register_dumper(date, _IsoDateDumper)
    adapters.register_dumper(datetime, _StampDumper)
    adapters.register_loader("numeric", _NumericLoader)


class Connection(psycopg.Connection):
    """psycopg's connection with ``executemany`` (sqlite3's connections have one)."""

    def executemany(self, query: str, rows: Sequence[object]) -> None:
        with self.cursor() as cursor:
            cursor.executemany(query, rows)


# -- connections and transactions ---------------------------------------------------------


def connect(where: Server, *, write: bool, create: bool = False) -> Connection:
    connection = Connection.connect(
        where.url,
        autocommit=True,  # BEGIN and COMMIT are ours to emit, as with SQLite
        connect_timeout=CONNECT_TIMEOUT_S,
        application_name="sixplustwo",
    )
    try:
        _adapt(connection)
    except BaseException:
        connection.close()
        raise
    return connection


def begin(connection: Connection, *, write: bool) -> None:
    connection.writing = write
    if write:
        connection.execute("BEGIN")
        connection.execute("SELECT pg_advisory_xact_lock(%s, %s)", (_LOCK_SPACE, _WRITERS))
    else:
        connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")


def commit(connection: Connection) -> None:
    connection.execute("COMMIT")


def rollback(connection: Connection) -> None:
    """Roll back; after a write, give back the ids it took from the sequences (which a
    rollback does not), so that the next writer's ids follow the last committed row's, as in
    SQLite (an import refused and run again numbers its owners the same)."""
    if connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
        return
    connection.execute("ROLLBACK")
    if getattr(connection, "writing", False):
        try:
            connection.execute("BEGIN")
            connection.execute("SELECT pg_advisory_xact_lock(%s, %s)", (_LOCK_SPACE, _WRITERS))
            for table in _identity_tables(connection):
                reset_ids(connection, table)
            connection.execute("COMMIT")
        except psycopg.Error:  # the connection is gone: nothing more to give back
            with suppress(psycopg.Error):
                connection.execute("ROLLBACK")


def _identity_tables(connection: Connection) -> list[str]:
    found = connection.execute(
        "SELECT table_name FROM information_schema.columns WHERE table_schema = "
        "current_schema() AND column_name = 'id' AND is_identity = 'YES'"
    )
    return [row[0] for row in found]


@lru_cache(maxsize=1024)
def convert(sql: str) -> str:
    """``:name`` → ``%(name)s``."""
    return pyformat(sql)


@lru_cache(maxsize=1024)
def _with_nulls(sql: str, names: frozenset[str]) -> str:
    return re.sub(
        r"%\((\w+)\)s",
        lambda m: "NULL" if m.group(1) in names else m.group(0),
        sql,
    )


def bind(sql: str, params: dict) -> tuple[str, dict]:
    """The statement to run and its values. A None is written into it as NULL: PostgreSQL
    cannot tell the type of an untyped NULL parameter in ``:p IS NULL OR x = :p``, and the
    literal means the same wherever a bound NULL may stand."""
    converted = convert(sql)
    nulls = frozenset(name for name, value in params.items() if value is None)
    if nulls:
        converted = _with_nulls(converted, nulls)
    return converted, params


_DDL = (
    (
        re.compile(r"\bINTEGER PRIMARY KEY\b"),
        "INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    ),
    (re.compile(r"\b(?:DATE|TIMESTAMP)\b"), "VARCHAR"),
    # Text compared and sorted byte by byte, as SQLite's BINARY does, whatever the database's
    # locale: a language's collation (en_US.UTF-8, ICU's) may ignore punctuation, and the
    # prefix ranges the queries use (flat 3-1 → units from '3-1-' to '3-1.') would then miss
    # rows; listings come in the same order on either backend; LIKE 'wang%' is answered from
    # an index; index builds compare with memcmp (the ten indexes a million-row import builds:
    # 10.6 s with a C.UTF-8 server's collation, 7.6 s so, measured).
    (re.compile(r"\bVARCHAR\b"), 'VARCHAR COLLATE "C"'),
)


def convert_ddl(statement: str) -> str:
    """The migrations' DDL as PostgreSQL needs it: identity ids, dates as ISO text, text
    in the C collation."""
    for pattern, replacement in _DDL:
        statement = pattern.sub(replacement, statement)
    return statement


def page(limit: int, offset: int) -> str:
    clause = f" LIMIT {int(limit)}" if limit else ""
    return clause + (f" OFFSET {int(offset)}" if offset else "")


def insert_returning_id(connection: Connection, table: str, values: dict) -> int:
    """Insert one row; its id, from the identity's sequence (never behind ``id_counter``:
    ``reset_ids`` and ``sync_ids`` keep it past every committed id)."""
    return connection.execute(
        convert(insert_sql(table, values)) + " RETURNING id", values
    ).fetchone()[0]


def sync_ids(connection: Connection, tables: Sequence[str]) -> None:
    """Move each table's sequence past the ids ``id_counter`` remembers (migration 0020)."""
    for table in tables:
        reset_ids(connection, table)


_HIGHEST = (
    "GREATEST(COALESCE((SELECT MAX(id) FROM {table}), 0), "
    "COALESCE((SELECT last_id FROM id_counter WHERE tbl = '{table}'), 0))"
)


def next_id(connection: Connection, table: str) -> int:
    """The id the next insert into ``table`` gives: past its highest row and past the highest
    id it ever gave in a committed transaction (``id_counter``), under the writers' lock
    (nobody else inserts meanwhile)."""
    highest = _HIGHEST.format(table=table)
    return connection.execute(f"SELECT {highest} + 1").fetchone()[0]


def reset_ids(connection: Connection, table: str) -> None:
    """Move ``table``'s id sequence past the ids given explicitly, never back below an id
    given in a committed transaction (the gateway gives ids itself: the sequence is kept in
    step for whoever inserts by hand)."""
    highest = _HIGHEST.format(table=table)
    connection.execute(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST({highest}, 1), "
        f"{highest} > 0)"
    )


def role(connection: Connection) -> str | None:
    """The database role this connection acts as (``current_user``), for the audit log."""
    return connection.execute("SELECT current_user").fetchone()[0]


def table_names(connection: Connection) -> set[str]:
    found = connection.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    )
    return {row[0] for row in found}


def table_columns(connection: Connection, table: str) -> list[str]:
    found = connection.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = %s ORDER BY ordinal_position",
        (table,),
    )
    return [row[0] for row in found]


def after_migration_check(connection: Connection) -> None:
    pass


# -- errors ---------------------------------------------------------------------------------

# Constraints by the names PostgreSQL gives them, worded as for SQLite (backends/sqlite.py).
_UNIQUE = {
    "owner_project_id_unit_key": (
        "that flat already belongs to another owner: each flat has one owner"
    ),
    "ux_owner_flat": "that flat already belongs to another owner: each flat has one owner",
    "project_code_key": "a project with that code already exists",
}


def describe_error(exc: Exception, path: object) -> SixPlusTwoError:
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, pg_errors.UniqueViolation):
        words = _UNIQUE.get(getattr(exc.diag, "constraint_name", None) or "")
        if words:
            return Conflict(words)
    if isinstance(exc, pg_errors.ForeignKeyViolation):
        return Conflict(
            "it names an owner, project or case that does not exist (or no longer does)"
        )
    if isinstance(exc, pg_errors.NotNullViolation):
        return Conflict("a required value is missing")
    if isinstance(exc, psycopg.IntegrityError):
        return Conflict("the database refused the change ({reason})", reason=message)
    if isinstance(exc, pg_errors.ReadOnlySqlTransaction):
        return StoreError("{path} is read-only ({reason})", path=path, reason=message)
    if isinstance(exc, pg_errors.InsufficientPrivilege):
        return StoreError(
            "{path}: {reason}; an administrator gives role {role} the tool's rights with "
            "sixplustwo db role add {role} --projects CODE, or GRANT {owner} TO {role}",
            path=path,
            reason=message,
            role=_user(path),
            owner="sixplustwo_owner",
        )
    if isinstance(exc, pg_errors.DiskFull):
        return StoreError("no space left for database {path}", path=path)
    if isinstance(exc, psycopg.OperationalError) and "does not exist" in message:
        return StoreError("no database at {path}", path=path)
    if isinstance(exc, psycopg.OperationalError):
        return StoreError("cannot open database {path} ({reason})", path=path, reason=message)
    return StoreError("database {path}: {reason}", path=path, reason=message)


def _user(where: object) -> str:
    """The role a URL logs in as: its user, else libpq's default ($PGUSER, the OS user)."""
    import getpass
    import os

    named = urlsplit(str(getattr(where, "url", where))).username
    if named:
        return named
    try:
        return os.environ.get("PGUSER") or getpass.getuser()
    except (KeyError, OSError):
        return "ROLE"


# -- bulk load ------------------------------------------------------------------------------


def _literal(text: str) -> object:
    """A constant column's SQL literal (as store/batches.py writes them) as a value for COPY."""
    upper = text.upper()
    if upper in ("TRUE", "FALSE"):
        return upper == "TRUE"
    if upper == "NULL":
        return None
    if text.startswith("'") and text.endswith("'"):
        return text[1:-1].replace("''", "'")
    return int(text)


def insert_many(
    connection: Connection,
    table: str,
    columns: Sequence[str],
    rows: Sequence[tuple],
    constants: dict[str, str] | None = None,
    first: int = 0,
) -> None:
    """COPY positional rows in; ``constants`` (SQL literals) are added to each row. With
    ``first`` the rows get ids from it on, in the rows' order (see the module's note)."""
    if not rows:
        return
    constants = constants or {}
    extra = tuple(_literal(value) for value in constants.values())
    names = [*columns, *constants]
    given_ids = "id" in columns  # a copy of a database: its rows keep their ids
    with_ids = bool(first) and not given_ids
    if with_ids:
        names.insert(0, "id")
    if with_ids:
        full = ((number, *row, *extra) for number, row in enumerate(rows, start=first))
    else:
        full = ((*row, *extra) for row in rows)
    if _row_security(connection, table):
        # COPY cannot write to a table whose row-level security applies to this role (an
        # office's, store/offices.py): COPYed into a temporary table, then one INSERT.
        listed = ", ".join(names)
        with _copied(connection, table, names, names, full) as temporary:
            connection.execute(f"INSERT INTO {table} ({listed}) SELECT {listed} FROM {temporary}")
    else:
        statement = f"COPY {table} ({', '.join(names)}) FROM STDIN"
        with connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in full:
                copy.write_row(row)
    if with_ids or given_ids:
        reset_ids(connection, table)


def _row_security(connection: Connection, table: str) -> bool:
    """Whether row-level security applies to this role on ``table``."""
    return connection.execute("SELECT row_security_active(%s::regclass)", (table,)).fetchone()[0]


# An insert or update of fewer rows is run a statement a row (a temporary table costs more
# than it saves); from this many on, the rows are COPYed into one and written by one statement.
_COPY_UPDATE_FROM_ROWS = 128
_names = itertools.count()


def insert_new(
    connection: Connection, table: str, columns: Sequence[str], rows: Sequence[tuple]
) -> None:
    """Insert positional rows, but those a unique key of the table already holds. Many rows
    are COPYed into a temporary table of the same columns and inserted from it by one
    ``INSERT … SELECT … ON CONFLICT DO NOTHING``: a statement a row took 2 s of an 80,000-row
    export (measured), one round trip each."""
    names = ", ".join(columns)
    if len(rows) < _COPY_UPDATE_FROM_ROWS:
        marks = ", ".join(["%s"] * len(columns))
        connection.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT DO NOTHING", rows
        )
        return
    with _copied(connection, table, list(columns), list(columns), rows) as temporary:
        connection.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM {temporary} ON CONFLICT DO NOTHING"
        )


@contextmanager
def _copied(
    connection: Connection,
    table: str,
    shape: list[str],
    columns: list[str],
    rows: Iterable[tuple],
) -> Iterator[str]:
    """A temporary table holding ``rows``: its ``columns`` made by ``shape`` (expressions of
    ``table``'s columns, so that the values keep their types: a date as its text, a boolean,
    an id), filled by COPY; its name, for one statement; dropped after it."""
    temporary = f"_sixplustwo_{next(_names)}"
    connection.execute(
        f"CREATE TEMPORARY TABLE {temporary} ON COMMIT DROP AS "
        f"SELECT {', '.join(shape)} FROM {table} WITH NO DATA"
    )
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY {temporary} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)
    yield temporary
    connection.execute(f"DROP TABLE {temporary}")


def update_many(
    connection: Connection,
    table: str,
    assignments: Sequence[str],
    key: str,
    rows: Sequence[tuple],
    where: str = "",
) -> None:
    """``UPDATE table SET …`` for positional rows: the assigned values, then the key. Each
    assignment is ``column = …{}…``, where ``{}`` stands for the row's value, a value of that
    column's type.

    Many rows are COPYed into a temporary table whose columns are made from the assigned ones
    (so the values keep their types: a date as its text, a boolean, an id), then written by
    one ``UPDATE … FROM`` joined on the key, ``where`` added: one statement instead of one a
    row, in the same transaction (all rows or none; a constraint it breaks fails the whole
    statement, with the error a row's own UPDATE gives). Rows that name a key twice are
    written one by one, in order, as before (the last one wins)."""
    if not rows:
        return
    if len(rows) < _COPY_UPDATE_FROM_ROWS or len({row[-1] for row in rows}) < len(rows):
        sets = ", ".join(assignment.format("%s") for assignment in assignments)
        extra = f" AND {where}" if where else ""
        connection.executemany(f"UPDATE {table} SET {sets} WHERE {key} = %s{extra}", rows)
        return
    values = [f"_v{number}" for number in range(len(assignments))]
    # Named so that the statement's unqualified columns (in ``where``, in an assignment's
    # expression) are the table's, never the temporary one's.
    shape = [
        f"{_assigned(assignment)} AS {value}"
        for assignment, value in zip(assignments, values, strict=True)
    ]
    with _copied(
        connection, table, [*shape, f"{key} AS _key"], [*values, "_key"], rows
    ) as temporary:
        sets = ", ".join(
            assignment.format(f"{temporary}.{value}")
            for assignment, value in zip(assignments, values, strict=True)
        )
        extra = f" AND ({where})" if where else ""
        connection.execute(
            f"UPDATE {table} SET {sets} FROM {temporary} "
            f"WHERE {table}.{key} = {temporary}._key{extra}"
        )


def _assigned(assignment: str) -> str:
    """The column an assignment (``column = …``) writes."""
    return assignment.split("=", 1)[0].strip()


def stream(
    connection: Connection, sql: str, params: dict, size: int
) -> Iterator[tuple[list[str], list[tuple]]]:
    """A query's rows in chunks of ``size``, each with the column names, through a
    server-side cursor (DECLARE … FETCH): the server holds the result and sends a chunk at a
    time, where an ordinary cursor would take the whole result into memory at once. The
    cursor lives in the transaction ``begin`` opened, and is closed at the end."""
    query, values = bind(sql, params)
    with connection.cursor(name=f"sixplustwo_stream_{next(_names)}") as cursor:
        cursor.execute(query, values)
        columns = [column.name for column in cursor.description]
        while rows := cursor.fetchmany(size):
            yield columns, rows


def own_indexes(connection: Connection, table: str) -> list[tuple[str, str]]:
    """A table's own indexes (not those of its primary key and UNIQUE constraints): each
    one's name and the statement that makes it."""
    return connection.execute(
        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
        "WHERE t.relname = %s AND t.relnamespace = current_schema()::regnamespace "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)",
        (table,),
    ).fetchall()


def own_constraints(connection: Connection, table: str) -> list[tuple[str, str, str]]:
    """A table's UNIQUE constraints and foreign keys: each one's kind (``unique``,
    ``foreign``), the statement that drops it and the one that adds it again (and checks
    every row)."""
    found = connection.execute(
        "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('u', 'f') ORDER BY conname",
        (table,),
    )
    return [
        ("unique" if kind == "u" else "foreign",
         f'ALTER TABLE {table} DROP CONSTRAINT "{name}"',
         f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for name, kind, definition in found
    ]  # fmt: skip


def rebuild_indexes(connection: Connection, statements: Sequence[str]) -> None:
    if not statements:
        return
    connection.execute("SET LOCAL maintenance_work_mem = '256MB'")
    for statement in statements:
        connection.execute(statement)


def analyze(connection: Connection) -> None:
    connection.execute("ANALYZE")


# -- locks, maintenance, erasure ------------------------------------------------------------


@contextmanager
def lock(where: Server, name: str, wait: float) -> Iterator[None]:
    """One holder of ``name`` at a time per database, on any machine: a session advisory lock
    on a connection of its own, released when it closes (also when the process dies)."""
    try:
        connection = connect(where, write=False)
    except psycopg.Error as exc:
        raise describe_error(exc, where) from None
    try:
        deadline = time.monotonic() + wait
        while not connection.execute(
            "SELECT pg_try_advisory_lock(%s, hashtext(%s))", (_LOCK_SPACE, name)
        ).fetchone()[0]:
            if time.monotonic() >= deadline:
                raise Conflict(
                    "another {name} is still running (lock {lock}); "
                    "waited {wait:g} s, wrote nothing",
                    name=name,
                    lock=f"advisory lock {name!r} on {where}",
                    wait=wait,
                )
            time.sleep(0.1)
        yield
    finally:
        connection.close()  # closing releases the lock


# Tables that hold personal data (columns, or command lines and prior values in the journal):
# rewritten after an erasure, with the planner's statistics of their columns.
_PERSONAL = (
    "owner",
    "owner_tag",
    "event",
    "service_case",
    "checklist_result",
    "journal",
    "journal_change",
    "outbox",
)
# How long the rewrite waits for a table that another session is reading: it takes the table
# whole while it runs, and every reader queued behind it would wait as long.
REWRITE_LOCK_WAIT_MS = 5000


def scrub(where: Server) -> bool | SixPlusTwoError:
    """After an erasure (``owner forget``, committed): leave no byte of the erased values in
    the database's files but the server's write-ahead log.

    An UPDATE or DELETE on PostgreSQL writes a new row version and leaves the old one in the
    page; VACUUM makes its space free but does not overwrite it, and the index entries and the
    planner's statistics (``pg_statistic``: most common values and histogram bounds, which a
    role with SELECT reads in ``pg_stats``) keep their own copies. So, in this order:

    1. ANALYZE the tables: their columns' statistics are computed again, from rows that no
       longer hold the person; a table left empty keeps its old statistics (ANALYZE samples
       nothing), so those of its columns are dropped;
    2. VACUUM: the old row versions are dead to every snapshot, unless a session reading a
       snapshot taken before the erasure (a long report, an idle transaction) still sees them:
       then they are left (``n_dead_tup``), the rewrite is not done (it would copy them) and
       False says so: run ``forget`` again later;
    3. VACUUM FULL of the tables and of ``pg_statistic``: each is written anew, with its
       indexes and TOAST, and the old files are truncated at commit. The rewrite takes each
       table whole while it runs (at a million owners, the owner table about 8 s: readers wait
       that long); it waits at most REWRITE_LOCK_WAIT_MS for a table another session is
       reading, and then gives up with False, as above.

    A role that does not own the tables (nor the database, for ``pg_statistic``) cannot vacuum
    or analyze them: the rows are erased all the same, and the warning returned says what stays
    until the owner vacuums."""
    connection = connect(where, write=True)
    try:
        present = table_names(connection)
        tables = [table for table in _PERSONAL if table in present]
        if not tables:
            return True
        unowned = _not_maintainable(connection, tables)
        if unowned:
            return StoreError(
                "the erased rows are gone from every table, but role {role} does not own "
                "{tables}: the server keeps their old row versions and statistics until "
                "their owner runs VACUUM FULL {tables}, pg_statistic; ANALYZE {tables}",
                role=connection.info.user,
                tables=", ".join(unowned),
            )
        listed = ", ".join(tables)
        connection.execute(f"SET lock_timeout = {REWRITE_LOCK_WAIT_MS}")
        connection.execute(f"ANALYZE {listed}")
        for table in tables:
            _drop_statistics_if_empty(connection, table)
        connection.execute(f"VACUUM {listed}")
        kept = connection.execute(
            "SELECT COALESCE(SUM(n_dead_tup), 0) FROM pg_stat_user_tables "
            "WHERE schemaname = current_schema() AND relname = ANY(%s)",
            (tables,),
        ).fetchone()[0]
        if kept:
            return False
        connection.execute(f"VACUUM FULL {listed}, pg_catalog.pg_statistic")
    except pg_errors.LockNotAvailable:
        return False
    finally:
        connection.close()
    return True


def _not_maintainable(connection: Connection, tables: list[str]) -> list[str]:
    """The tables (and ``pg_statistic``) this role may not vacuum: as PostgreSQL decides, the
    table's owner or the database's (a superuser is both)."""
    rows = connection.execute(
        "SELECT c.relname FROM pg_class c WHERE c.oid = ANY(%s::regclass[]) "
        "AND NOT pg_has_role(c.relowner, 'USAGE') AND NOT pg_has_role("
        "(SELECT datdba FROM pg_database WHERE datname = current_database()), 'USAGE')",
        ([*tables, "pg_catalog.pg_statistic"],),
    ).fetchall()
    return sorted(name for (name,) in rows)


def _drop_statistics_if_empty(connection: Connection, table: str) -> None:
    """An empty table's statistics are those of rows gone (ANALYZE samples nothing and keeps
    them): drop them, by giving each column that has some its own type again (PostgreSQL drops
    a column's statistics when its type is altered; the same type rewrites nothing)."""
    # As ANALYZE (which row-level security does not filter) just counted it: a role that
    # sees only its office's rows would take a table others fill for an empty one.
    if connection.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass",
                          (table,)).fetchone()[0] > 0:  # fmt: skip
        return
    columns = connection.execute(
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod), co.collname "
        "FROM pg_attribute a LEFT JOIN pg_collation co ON co.oid = a.attcollation "
        "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped "
        "AND a.atttypid = ANY('{text,varchar}'::regtype[])",
        (table,),
    ).fetchall()
    for column, kind, collation in columns:
        collate = f' COLLATE "{collation}"' if collation else ""
        # The database's owner, not the table's; a column an office's policy reads.
        with suppress(pg_errors.InsufficientPrivilege, pg_errors.FeatureNotSupported):
            connection.execute(
                f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE {kind}{collate}'
            )


def backup(where: Server, target: object) -> int:
    raise StoreError(
        "{path} is a PostgreSQL database: back it up with pg_dump into a private file, e.g. "
        "(umask 077; pg_dump --format=custom --file={target} '{path}') (docs/server.md)",
        path=where,
        target=target,
    )


def check(where: Server) -> tuple[list[str], int, str | None, int]:
    """Every table read through (a damaged page fails the read), every constraint validated;
    foreign keys are enforced by the server, so a problem is one left NOT VALID."""
    try:
        connection = connect(where, write=False)
    except psycopg.Error as exc:
        raise describe_error(exc, where) from None
    try:
        try:
            begin(connection, write=False)
            refused = unrecognised(table_names(connection), where)
            if refused:
                raise refused
            problems = []
            for table in sorted(table_names(connection)):
                try:
                    connection.execute("SAVEPOINT t")
                    connection.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()
                    connection.execute("RELEASE t")
                except psycopg.DatabaseError as exc:
                    connection.execute("ROLLBACK TO t")
                    problems.append(f"{table}: {exc}")
            unvalidated = connection.execute(
                "SELECT conname, contype FROM pg_constraint "
                "WHERE connamespace = current_schema()::regnamespace AND NOT convalidated"
            ).fetchall()
            problems += [
                f"constraint {name} not validated" for name, kind in unvalidated if kind != "f"
            ]
            foreign = sum(1 for _, kind in unvalidated if kind == "f")
            schema = connection.execute("SELECT MAX(name) FROM schema_migration").fetchone()[0]
            owners = connection.execute("SELECT COUNT(*) FROM owner").fetchone()[0]
            rollback(connection)
        except psycopg.Error as exc:
            raise describe_error(exc, where) from None
    finally:
        connection.close()
    return problems or ["ok"], foreign, schema, owners
