"""Where the database lives, how it is opened, and how migrations are applied.

One engine and one transaction per command. SQLite runs in WAL mode with a busy timeout, and
commands that write take the write lock up front (BEGIN IMMEDIATE): a deferred transaction
that reads first and writes later fails at once with "database is locked" under contention.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sixplustwo.domain.errors import StoreError
from sixplustwo.store.migrations import MIGRATIONS

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlmodel import Session

DB_ENV = "SIXPLUSTWO_DB"
BUSY_TIMEOUT_MS = 5000


def default_db_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path("sixplustwo", appauthor=False) / "sixplustwo.db"


def resolve_db_path(explicit: str | os.PathLike | None) -> Path:
    """``--db`` first, then ``$SIXPLUSTWO_DB``, then the user data directory."""
    if explicit:
        return Path(explicit)
    from_env = os.environ.get(DB_ENV)
    if from_env:
        return Path(from_env)
    return default_db_path()


def _prepare(connection: sqlite3.Connection, *, write: bool) -> None:
    # Take transaction control from pysqlite so that BEGIN is ours to emit.
    connection.isolation_level = None
    connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    connection.execute("PRAGMA foreign_keys = ON")
    connection.execute("PRAGMA synchronous = NORMAL")
    if not write:
        # Readers map the first 64 MB of the file: a page fault costs less than a read()
        # call per page, which the due list makes tens of thousands of (measured: -0.1 s at
        # a million owners). More would count against the reader's memory.
        connection.execute("PRAGMA mmap_size = 67108864")
    if write:
        # 64 MB page cache (default 2 MB): a bulk import updates nine owner indexes per row.
        # Readers keep the default: a large cache costs more to fill than it saves them.
        connection.execute("PRAGMA cache_size = -65536")
    # Erased personal data (owner forget) is overwritten, not left in free pages.
    connection.execute("PRAGMA secure_delete = ON")


def _connect(path: Path, *, write: bool) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        _prepare(connection, write=write)
    except BaseException:
        connection.close()
        raise
    return connection


def _make_engine(path: Path, *, immediate: bool) -> Engine:
    from sqlalchemy import create_engine, event

    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record) -> None:
        _prepare(dbapi_connection, write=immediate)

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _applied(connection: sqlite3.Connection) -> set[str] | None:
    """Names of applied migrations; None when the file holds tables that are not ours."""
    tables = {
        row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    if "schema_migration" not in tables:
        return set() if not (tables - {"sqlite_sequence"}) else None
    return {row[0] for row in connection.execute("SELECT name FROM schema_migration")}


@contextmanager
def _transaction(connection: sqlite3.Connection, begin: str = "BEGIN") -> Iterator[None]:
    connection.execute(begin)
    try:
        yield
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def migrate(connection: sqlite3.Connection, path: Path) -> list[str]:
    """Apply the migrations this database lacks, each in one transaction with its record."""
    known = [name for name, _ in MIGRATIONS]
    with _transaction(connection):
        applied = _applied(connection)
    if applied is None:
        raise StoreError(f"{path} is not a sixplustwo database (it holds other tables)")
    unknown = applied - set(known)
    if unknown:
        raise StoreError(
            f"{path} was written by a newer sixplustwo (schema {max(unknown)}); "
            "upgrade sixplustwo to open it"
        )
    # Only now, with the file known to be ours and not too new, may it be changed:
    # WAL lets readers and writers work side by side (a no-op when already set).
    connection.execute("PRAGMA journal_mode = WAL")
    ran: list[str] = []
    if len(applied) == len(known):
        return ran
    for name, ddl in MIGRATIONS:
        with _transaction(connection, "BEGIN IMMEDIATE"):
            # Checked again under the write lock: another process may have just done it.
            if name in (_applied(connection) or set()):
                continue
            connection.execute(
                "CREATE TABLE IF NOT EXISTS schema_migration "
                "(name VARCHAR PRIMARY KEY, applied_at TIMESTAMP NOT NULL)"
            )
            for statement in ddl.split(";"):
                if statement.strip():
                    connection.execute(statement)
            connection.execute(
                "INSERT INTO schema_migration (name, applied_at) VALUES (?, ?)",
                (name, datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")),
            )
            ran.append(name)
    return ran


def _describe(exc: Exception, path: Path) -> str:
    message = str(getattr(exc, "orig", exc))
    if "file is not a database" in message or "malformed" in message:
        return f"{path} is not a sixplustwo database ({message})"
    if "readonly" in message or "read-only" in message:
        return f"{path} is read-only ({message})"
    if "unable to open" in message:
        if _read_only_folder(path):
            # A WAL database needs its -shm file beside it, even to be read.
            return f"{path} is read-only (its folder is on a read-only file system)"
        return f"cannot open database {path} ({message})"
    if "disk is full" in message or "database or disk is full" in message:
        return f"no space left for database {path}"
    return f"database {path}: {message}"


def _read_only_folder(path: Path) -> bool:
    try:
        return bool(os.statvfs(path.parent).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _usable_path(db: str | os.PathLike | None) -> Path:
    path = resolve_db_path(db)
    if path.is_dir():
        raise StoreError(f"database path {path} is a directory")
    if db is None and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    if not path.parent.exists():
        raise StoreError(f"cannot create database {path}: folder {path.parent} does not exist")
    return path


@contextmanager
def open_connection(db: str | os.PathLike | None, *, write: bool) -> Iterator[sqlite3.Connection]:
    """A migrated DBAPI connection in one transaction, without SQLAlchemy: the fast path for
    commands that read in bulk (the due list), which would otherwise pay ~0.5 s to import it."""
    path = _usable_path(db)
    try:
        connection = _connect(path, write=write)
    except sqlite3.Error as exc:
        raise StoreError(_describe(exc, path)) from None
    try:
        migrate(connection, path)
        with _transaction(connection, "BEGIN IMMEDIATE" if write else "BEGIN"):
            yield connection
    except sqlite3.Error as exc:
        raise StoreError(_describe(exc, path)) from None
    finally:
        connection.close()


@contextmanager
def open_session(db: str | os.PathLike | None, *, write: bool) -> Iterator[Session]:
    """One session in one transaction: committed if the block succeeds, else rolled back."""
    from sqlalchemy.exc import DatabaseError, OperationalError
    from sqlmodel import Session

    path = _usable_path(db)
    engine = _make_engine(path, immediate=write)
    try:
        # Migrated on the pooled connection that the session then reuses: one open file.
        pooled = engine.raw_connection()
        try:
            migrate(pooled.driver_connection, path)
        finally:
            pooled.close()
        with Session(engine, expire_on_commit=False) as session, session.begin():
            yield session
    except (OperationalError, DatabaseError, sqlite3.Error) as exc:
        raise StoreError(_describe(exc, path)) from None
    finally:
        engine.dispose()


def checkpoint(db: str | os.PathLike | None) -> None:
    """Fold the WAL into the database file and truncate it, so that overwritten data (an
    erased owner) no longer lingers in old WAL frames."""
    path = resolve_db_path(db)
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


def backup(db: str | os.PathLike | None, target: Path) -> int:
    """A consistent copy while others use the database (SQLite's online backup API), written
    beside the target and renamed into place; returns the page count copied."""
    source_path = resolve_db_path(db)
    if not source_path.exists():
        raise StoreError(f"no database at {source_path}")
    if not target.parent.is_dir():
        raise StoreError(f"cannot write backup: folder {target.parent} does not exist")
    temporary = target.with_name(f".{target.name}.partial")
    temporary.unlink(missing_ok=True)
    source = sqlite3.connect(source_path, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        copy = sqlite3.connect(temporary)
        try:
            source.backup(copy, pages=1024)
            pages = copy.execute("PRAGMA page_count").fetchone()[0]
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        finally:
            copy.close()
        os.chmod(temporary, 0o600)
        os.replace(temporary, target)
    except sqlite3.Error as exc:
        temporary.unlink(missing_ok=True)
        raise StoreError(f"backup failed: {exc}") from None
    finally:
        source.close()
    return pages


def check(db: str | os.PathLike | None) -> tuple[bool, str]:
    """Integrity and foreign-key checks, summed up in one line."""
    path = resolve_db_path(db)
    if not path.exists():
        raise StoreError(f"no database at {path}")
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        try:
            integrity = [row[0] for row in connection.execute("PRAGMA integrity_check")]
            foreign = connection.execute("PRAGMA foreign_key_check").fetchall()
            schema = connection.execute("SELECT MAX(name) FROM schema_migration").fetchone()[0]
            owners = connection.execute("SELECT COUNT(*) FROM owner").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise StoreError(_describe(exc, path)) from None
    finally:
        connection.close()
    healthy = integrity == ["ok"] and not foreign
    detail = "ok" if integrity == ["ok"] else f"{len(integrity)} problem(s): {integrity[0]}"
    line = (
        f"{path}: integrity {detail}; {len(foreign)} foreign-key problem(s); "
        f"schema {schema}; {owners} owners"
    )
    return healthy, line
