"""The SQLite part of the database gateway: everything that only SQLite says.

The embedded default: one file, WAL mode with a busy timeout, and commands that write take the
write lock up front (BEGIN IMMEDIATE): a deferred transaction that reads first and writes
later fails at once with "database is locked" under contention. This is the only module that
imports ``sqlite3``; the queries themselves are written once, in ``:name`` style, which
SQLite's module takes as it is.

Why one module: it is one dialect, a backend as ``store/database.py`` uses it, found by name
on the module ``backend_for`` returns (as ``backends/postgres.py`` for a server), and the one
place that imports ``sqlite3`` (tests/test_gateway.py checks it); split, each part would
import the driver.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import stat
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import date, datetime
from pathlib import Path
from urllib.parse import quote

from sixplustwo.domain.errors import N_, Conflict, SixPlusTwoError, StoreError
from sixplustwo.store.backends import insert_sql, unrecognised

NAME = "sqlite"
# How long a reading command, a check or a backup waits for a lock before "database is
# locked" (in WAL mode readers do not wait for writers: only for a checkpoint or recovery).
BUSY_TIMEOUT_MS = 20000
# How long a writing command waits for the write lock. Most write transactions last
# milliseconds (exports record their rows after reading), but an import holds the lock for
# its whole run, all rows or none: a 100,000-row file some 10 to 40 s on a loaded machine,
# and several imports at once queue one behind the other (six 100k imports and eight writers
# on two busy cores: the last waited over two minutes). SQLite's busy handler polls, so who
# comes next is not first come, first served; every waiter gets its turn once the imports
# are through. Waiting beats failing a butler's command (docs/data-rules.md, "Under faults").
WRITE_WAIT_MS = 600_000
MAX_PARAMS = 500  # ids per IN (...) list, well under SQLite's bound-parameter limit

# Dates are stored as ISO text, times as "YYYY-MM-DD HH:MM:SS.ffffff" (as the tables always
# held them), by explicit adapters rather than the module's deprecated default ones.
sqlite3.register_adapter(date, date.isoformat)
sqlite3.register_adapter(datetime, lambda value: value.strftime("%Y-%m-%d %H:%M:%S.%f"))

Error = sqlite3.Error
IntegrityError = sqlite3.IntegrityError


def usable_path(target: str | os.PathLike, *, default: bool, create: bool = False) -> Path:
    """The database file to open. Without ``create`` it must exist already (a reading
    command never makes one); with it, its folder must exist (the default one is made)."""
    path = Path(target)
    if path.is_dir():
        raise StoreError("database path {path} is a directory", path=path)
    if not create:
        if not path.is_file():
            raise StoreError("no database at {path}", path=path)
        return path
    if default and not path.parent.exists():
        # The data folder is ours: 0700 (the folders above it are the user's).
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(path.parent, 0o700)
    if not path.parent.exists():
        raise StoreError(
            "cannot create database {path}: folder {folder} does not exist",
            path=path,
            folder=path.parent,
        )
    return path


def location(target: str | os.PathLike) -> Path:
    """The database file named by ``--db`` (for the maintenance commands)."""
    return Path(target)


def _prepare(connection: sqlite3.Connection, *, write: bool) -> None:
    # Take transaction control from pysqlite so that BEGIN is ours to emit.
    connection.isolation_level = None
    connection.execute(f"PRAGMA busy_timeout = {WRITE_WAIT_MS if write else BUSY_TIMEOUT_MS}")
    connection.execute("PRAGMA foreign_keys = ON")
    connection.execute("PRAGMA synchronous = NORMAL")
    if not write:
        # Readers map the first 128 MB of the file: a page fault costs less than a read()
        # call per page, which the due list makes tens of thousands of (measured: -0.1 s at
        # a million owners). With 16 kB pages (PAGE_SIZE) and 64 MB, the due list took 4%
        # longer than with 4 kB pages and the report 14% (the spread shape, interleaved
        # runs); with 128 MB, 1% less and 3% less. The mapped pages count in the reader's
        # resident memory (the due list's peak: 175 → 239 MB at a million owners).
        connection.execute("PRAGMA mmap_size = 134217728")
    if write:
        # 64 MB page cache (default 2 MB): a bulk import updates nine owner indexes per row.
        # Readers keep the default: a large cache costs more to fill than it saves them.
        connection.execute("PRAGMA cache_size = -65536")
    # Erased personal data (owner forget) is overwritten, not left in free pages.
    connection.execute("PRAGMA secure_delete = ON")


# Files made here are private from the first byte (0600 whatever the umask), made new (never
# an existing file, never through a symlink: O_EXCL refuses both).
_NEW_PRIVATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
_NEW_PRIVATE |= getattr(os, "O_CLOEXEC", 0)
_COMPANIONS = ("-wal", "-shm", "-journal")


def create_private(path: Path) -> bool:
    """Create ``path`` empty, mode 0600; False if something is there already."""
    try:
        handle = os.open(path, _NEW_PRIVATE, 0o600)
    except FileExistsError:
        return False
    try:
        os.fchmod(handle, 0o600)
    finally:
        os.close(handle)
    return True


def make_private(path: Path) -> None:
    """A database from an older release may be readable by everyone: 0600 for it and its
    -wal/-shm, if they are this user's (a stat when they are private already)."""
    for name in (path.name, *(path.name + suffix for suffix in _COMPANIONS)):
        file = path.with_name(name)
        try:
            found = os.lstat(file)
        except OSError:
            continue
        mine = stat.S_ISREG(found.st_mode) and found.st_uid == os.geteuid()
        if found.st_mode & 0o077 and mine:
            with suppress(OSError):  # a read-only file system: nothing to do there
                os.chmod(file, 0o600)


# Pages of a new database: 16 kB (SQLite's default is 4 kB). A million-row import took
# 21.7 s with 4 kB pages, 21.1 s with 8 kB and 20.6 s with 16 kB (the hand-kept ledger,
# interleaved runs); readers map more of the file to read as fast (``_prepare``). A
# database keeps the page size it was made with.
PAGE_SIZE = 16384


def connect(path: Path, *, write: bool, create: bool = False) -> sqlite3.Connection:
    """A prepared connection. Without ``create`` the file is opened read-write only if it is
    there (``mode=rw``): one removed since ``usable_path`` looked is not made again. A new
    database file is made 0600 before SQLite opens it: SQLite gives its -wal, -shm and
    journal the database file's mode."""
    make_private(path)
    if create:
        new = create_private(path)
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
        if new:
            connection.execute(f"PRAGMA page_size = {PAGE_SIZE}")
    else:
        mode = "rw" if write or not _read_only_folder(path) else _read_only_mode(path)
        uri = f"file:{quote(str(path.absolute()))}?mode={mode}"
        connection = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        _prepare(connection, write=write)
    except BaseException:
        connection.close()
        raise
    return connection


def _read_only_mode(path: Path) -> str:
    """How a reading command opens a database on a read-only file system (a mounted backup,
    a snapshot, write-protected media), where SQLite cannot make the -shm file a WAL database
    is otherwise read through. Nothing can change the file there, so it is opened as
    immutable, unless a -wal file holds commits not yet folded into it (a database copied
    while in use): those are read through the -wal and -shm beside it, if both are there."""
    try:
        pending = path.with_name(path.name + "-wal").stat().st_size > 0
    except OSError:
        pending = False
    return "ro" if pending else "ro&immutable=1"


def begin(connection: sqlite3.Connection, *, write: bool) -> None:
    connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")


def commit(connection: sqlite3.Connection) -> None:
    connection.execute("COMMIT")


def rollback(connection: sqlite3.Connection) -> None:
    if connection.in_transaction:
        connection.execute("ROLLBACK")


def convert(sql: str) -> str:
    """Queries are written with ``:name`` parameters, which SQLite takes as they are."""
    return sql


def bind(sql: str, params: object) -> tuple[str, object]:
    """The statement to run and its values, as they are."""
    return sql, params


def convert_ddl(statement: str) -> str:
    return statement


def page(limit: int, offset: int) -> str:
    """``LIMIT``/``OFFSET`` for a page of ``limit`` rows (0: all) after ``offset``: SQLite
    takes an offset only after a limit, -1 for none."""
    if not limit and not offset:
        return ""
    return f" LIMIT {int(limit) or -1}" + (f" OFFSET {int(offset)}" if offset else "")


def insert_returning_id(connection: sqlite3.Connection, table: str, values: dict) -> int:
    """Insert one row with the id ``next_id`` gives; that id."""
    values = {"id": next_id(connection, table), **values}
    connection.execute(insert_sql(table, values), values)
    return values["id"]


def next_id(connection: sqlite3.Connection, table: str) -> int:
    """The id the next insert into ``table`` gets: past its highest row and past the highest
    id it ever gave (``id_counter``: SQLite alone would give MAX + 1, an id freed by a
    delete again)."""
    return connection.execute(
        f"SELECT MAX(COALESCE((SELECT MAX(id) FROM {table}), 0), COALESCE((SELECT last_id "
        "FROM id_counter WHERE tbl = ?), 0)) + 1",
        (table,),
    ).fetchone()[0]


def role(connection: sqlite3.Connection) -> str | None:
    """The database's own name for who is connected: a file has none."""
    return None


def table_names(connection: sqlite3.Connection) -> set[str]:
    """The database's own tables (not SQLite's: sqlite_sequence, sqlite_stat1, ...)."""
    found = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    return {row[0] for row in found if not row[0].startswith("sqlite_")}


def table_columns(connection: sqlite3.Connection, table: str) -> list[str]:
    """A table's columns, in their order (as ``postgres.table_columns`` reads them)."""
    return [row[1] for row in connection.execute(f'PRAGMA table_info("{table}")')]


def sync_ids(connection: sqlite3.Connection, tables: Sequence[str]) -> None:
    """Nothing to do: SQLite's ids are given by ``next_id``."""


def after_migration_check(connection: sqlite3.Connection) -> None:
    """Once the file is known to be ours and not too new: WAL lets readers and writers work
    side by side (a no-op when already set)."""
    connection.execute("PRAGMA journal_mode = WAL")


# A constraint the database enforces, in the user's terms (the store checks these first and
# names the flat or owner; this is for what slips past, e.g. a race with another process).
_CONSTRAINTS = (
    ("UNIQUE constraint failed: owner.project_id, owner.unit",
     N_("that flat already belongs to another owner: each flat has one owner")),
    ("UNIQUE constraint failed: index 'ux_owner_flat'",
     N_("that flat already belongs to another owner: each flat has one owner")),
    ("UNIQUE constraint failed: project.code", N_("a project with that code already exists")),
    ("FOREIGN KEY constraint failed",
     N_("it names an owner, project or case that does not exist (or no longer does)")),
    ("NOT NULL constraint failed", N_("a required value is missing")),
)  # fmt: skip


def describe_error(exc: Exception, path: object) -> SixPlusTwoError:
    message = str(exc)
    if isinstance(exc, sqlite3.IntegrityError):
        for found, words in _CONSTRAINTS:
            if message.startswith(found):
                return Conflict(words)
        return Conflict("the database refused the change ({reason})", reason=message)
    if "file is not a database" in message or "malformed" in message:
        return StoreError(
            "{path} is not a sixplustwo database ({reason})", path=path, reason=message
        )
    if "readonly" in message or "read-only" in message:
        return StoreError("{path} is read-only ({reason})", path=path, reason=message)
    if "unable to open" in message:
        if _read_only_folder(Path(str(path))):
            # A WAL database needs its -shm file beside it, even to be read.
            return StoreError(
                "{path} is read-only (its folder is on a read-only file system)", path=path
            )
        return StoreError("cannot open database {path} ({reason})", path=path, reason=message)
    if "disk is full" in message or "database or disk is full" in message:
        return StoreError("no space left for database {path}", path=path)
    return StoreError("database {path}: {reason}", path=path, reason=message)


def _read_only_folder(path: Path) -> bool:
    try:
        return bool(os.statvfs(path.parent).f_flag & os.ST_RDONLY)
    except OSError:
        return False


# -- bulk load ------------------------------------------------------------------------------


def insert_many(
    connection: sqlite3.Connection,
    table: str,
    columns: Sequence[str],
    rows: Sequence[tuple],
    constants: dict[str, str] | None = None,
    first: int = 0,
) -> None:
    """Insert positional rows; ``constants`` are SQL literals written into the statement
    (binding them on every row cost a quarter of a million-row insert). With ``first`` the
    rows get ids from it on: the first row's given, the others follow it (SQLite gives
    MAX + 1)."""
    constants = constants or {}
    names = [*columns, *constants]
    values = ["?"] * len(columns) + list(constants.values())
    if first and rows:
        connection.execute(
            f"INSERT INTO {table} (id, {', '.join(names)}) VALUES (?, {', '.join(values)})",
            (first, *rows[0]),
        )
        rows = rows[1:]
    connection.executemany(
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(values)})", rows
    )


def insert_new(
    connection: sqlite3.Connection, table: str, columns: Sequence[str], rows: Sequence[tuple]
) -> None:
    """Insert positional rows, but those a unique key of the table already holds."""
    marks = ", ".join("?" * len(columns))
    connection.executemany(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) ON CONFLICT DO NOTHING",
        rows,
    )


def update_many(
    connection: sqlite3.Connection,
    table: str,
    assignments: Sequence[str],
    key: str,
    rows: Sequence[tuple],
    where: str = "",
) -> None:
    """``UPDATE table SET …`` for positional rows: the assigned values, then the key.
    Each assignment is ``column = {}``, where ``{}`` stands for the bound value."""
    sets = ", ".join(assignment.format("?") for assignment in assignments)
    extra = f" AND {where}" if where else ""
    connection.executemany(f"UPDATE {table} SET {sets} WHERE {key} = ?{extra}", rows)


def stream(
    connection: sqlite3.Connection, sql: str, params: object, size: int
) -> Iterator[tuple[list[str], list[tuple]]]:
    """A query's rows in chunks of ``size``, each with the column names: sqlite3 steps
    through the result as it is fetched, so only a chunk is in memory at a time."""
    cursor = connection.execute(*bind(sql, params))
    try:
        columns = [column[0] for column in cursor.description]
        while rows := cursor.fetchmany(size):
            yield columns, rows
    finally:
        cursor.close()


def own_indexes(connection: sqlite3.Connection, table: str) -> list[tuple[str, str]]:
    """A table's own indexes (not UNIQUE constraints' automatic ones): each one's name and
    the statement that makes it."""
    return connection.execute(
        "SELECT name, sql FROM sqlite_master "
        "WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
        (table,),
    ).fetchall()


def own_constraints(connection: sqlite3.Connection, table: str) -> list[tuple[str, str, str]]:
    """None to drop: SQLite cannot drop a constraint from a table, and checks its UNIQUE
    constraints and foreign keys by index lookups in this process, cheaply."""
    return []


def rebuild_indexes(connection: sqlite3.Connection, statements: Sequence[str]) -> None:
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


def analyze(connection: sqlite3.Connection) -> None:
    connection.execute("ANALYZE")


# -- locks, maintenance, erasure ------------------------------------------------------------


@contextmanager
def lock(path: Path, name: str, wait: float) -> Iterator[None]:
    """One holder of ``name`` at a time per database, whatever path names it (a symlink, a
    folder reached through one, ``..``): the lock file is beside the database file's real
    path, and a database file with a second name (a hard link) is refused, as is a lock file
    that is a symlink or has a second name. Another holder waits up to ``wait`` seconds and
    is then refused."""
    import fcntl

    real = Path(os.path.realpath(path))
    try:
        database = os.stat(real)
    except FileNotFoundError:
        raise StoreError("no database at {path}", path=path) from None
    if database.st_nlink > 1:
        # Two names of one file, each with a lock beside it, would be two locks (and SQLite
        # keeps a write-ahead log per name).
        raise StoreError(
            "database {path} has {links} names (hard links): refused, one lock needs one name",
            path=path,
            links=database.st_nlink,
        )
    lock_path = real.with_name(f"{real.name}.{name}.lock")
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        handle = os.open(lock_path, flags, 0o600)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # a symlink planted where the lock file goes
            raise StoreError(
                "lock file {lock} is a symbolic link: refused (remove it)", lock=lock_path
            ) from None
        raise
    try:
        found = os.fstat(handle)
        if not stat.S_ISREG(found.st_mode):
            raise StoreError("lock file {lock} is not a regular file", lock=lock_path)
        if found.st_nlink != 1:
            # Another name of some other file: its mode is not ours to change.
            raise StoreError(
                "lock file {lock} has another name (a hard link): refused (remove it)",
                lock=lock_path,
            )
        if found.st_uid == os.geteuid() and found.st_mode & 0o077:
            os.fchmod(handle, 0o600)  # one made by an older release may be readable by all
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise Conflict(
                        "another {name} is still running (lock {lock}); "
                        "waited {wait:g} s, wrote nothing",
                        name=name,
                        lock=lock_path,
                        wait=wait,
                    ) from None
                time.sleep(0.1)
        yield
    finally:
        os.close(handle)  # closing releases the lock


def scrub(path: Path) -> bool:
    """Fold the WAL into the database file and truncate it, so that overwritten data (an
    erased owner) no longer lingers in old WAL frames. Another process may keep the database
    open meanwhile; one in the middle of a read holds the checkpoint back (up to the busy
    timeout): False if it could not be completed."""
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        connection.close()
    return not busy


def backup(path: Path, target: Path) -> int:
    """A consistent copy while others use the database (SQLite's online backup API), written
    beside the target and renamed into place; returns the page count copied."""
    if not path.exists():
        raise StoreError("no database at {path}", path=path)
    if not target.parent.is_dir():
        raise StoreError(
            "cannot write backup: folder {folder} does not exist", folder=target.parent
        )
    from sixplustwo.faults import fault_point

    temporary = target.with_name(f".{target.name}.partial")
    # A leftover (a killed run's), or a symlink: removed, never followed. Its journal too: a
    # journal left beside the new copy would be rolled back into it as it is opened.
    _remove_partial(temporary)
    if not create_private(temporary):
        raise StoreError("cannot write backup: {path} appeared meanwhile", path=temporary)
    source = sqlite3.connect(_source_uri(path), uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        copy = sqlite3.connect(temporary)
        try:
            source.backup(copy, pages=1024, progress=lambda *_: fault_point("backup:copying"))
            pages = copy.execute("PRAGMA page_count").fetchone()[0]
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        finally:
            copy.close()
        os.replace(temporary, target)
    except sqlite3.Error as exc:
        _remove_partial(temporary)
        raise StoreError("backup failed: {reason}", reason=str(exc)) from None
    except BaseException:  # a full disk at the rename, an interrupt: nothing partial left
        _remove_partial(temporary)
        raise
    finally:
        source.close()
    return pages


def _remove_partial(temporary: Path) -> None:
    """A partial backup and the journal SQLite keeps beside it while writing it."""
    for name in (temporary.name, *(temporary.name + suffix for suffix in _COMPANIONS)):
        with suppress(FileNotFoundError):
            temporary.with_name(name).unlink()


def _source_uri(path: Path) -> str:
    """The database to back up, never made where it is missing; on a read-only file system,
    read as ``connect`` reads it there."""
    mode = _read_only_mode(path) if _read_only_folder(path) else "rw"
    return f"file:{quote(str(path.absolute()))}?mode={mode}"


def check(path: Path) -> tuple[list[str], int, str | None, int]:
    """Integrity problems (["ok"] when none), foreign-key problems, schema, owners."""
    if not path.exists():
        raise StoreError("no database at {path}", path=path)
    mode = _read_only_mode(path) if _read_only_folder(path) else "ro"
    connection = sqlite3.connect(
        f"file:{quote(str(path.absolute()))}?mode={mode}",
        uri=True,
        timeout=BUSY_TIMEOUT_MS / 1000,
    )
    try:
        try:
            integrity = [row[0] for row in connection.execute("PRAGMA integrity_check")]
            foreign = connection.execute("PRAGMA foreign_key_check").fetchall()
            refused = unrecognised(table_names(connection), path)
            if refused:
                raise refused
            schema = connection.execute("SELECT MAX(name) FROM schema_migration").fetchone()[0]
            owners = connection.execute("SELECT COUNT(*) FROM owner").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise describe_error(exc, path) from None
    finally:
        connection.close()
    return integrity, len(foreign), schema, owners
