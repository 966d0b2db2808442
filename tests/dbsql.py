"""Tests' own look into the database under test, beside the CLI: a file or a server URL."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager


def sql(db, statement: str, params: tuple = ()) -> list[tuple]:
    """Run one statement (``?`` parameters) on its own, committed; the rows it returns."""
    text = str(db)
    if text.startswith(("postgresql://", "postgres://")):
        import psycopg

        with psycopg.connect(text, autocommit=True) as connection:
            cursor = connection.execute(statement.replace("?", "%s"), params or None)
            return cursor.fetchall() if cursor.description else []
    connection = sqlite3.connect(db)
    try:
        with connection:
            return connection.execute(statement, params).fetchall()
    finally:
        connection.close()


def is_server(db) -> bool:
    return str(db).startswith(("postgresql://", "postgres://"))


def erase(db) -> None:
    """The database gone (a file) or emptied (a server's): the next command starts afresh."""
    if is_server(db):
        sql(db, "DROP SCHEMA public CASCADE")
        sql(db, "CREATE SCHEMA public")
        return
    for suffix in ("", "-wal", "-shm"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)


def stored_text(db) -> bytes:
    """Everything the database keeps, as bytes to search for personal data: the file and its
    WAL, or on a server every row of every table (old row versions are the server's to
    vacuum: ``owner forget`` does)."""
    if is_server(db):
        tables = sql(db, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return repr([sql(db, f'SELECT * FROM "{table}"') for (table,) in tables]).encode()
    content = db.read_bytes()
    wal = db.with_name(db.name + "-wal")
    return content + (wal.read_bytes() if wal.exists() else b"")


@contextmanager
def holding_lock(db, name: str) -> Iterator[None]:
    """Hold the lock ``name`` (e.g. "export") as another process would."""
    if is_server(db):
        import psycopg

        from sixplustwo.store.backends.postgres import _LOCK_SPACE

        with psycopg.connect(str(db), autocommit=True) as connection:
            connection.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", (_LOCK_SPACE, name))
            yield
        return
    import fcntl
    import os

    handle = os.open(f"{db}.{name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)


def advisory_locks_left(db, within: float = 10.0) -> int:
    """The advisory locks still held on a server once ``within`` seconds allow the sessions
    of killed processes to end (the server notices a closed connection at its next read);
    a file has none (0)."""
    import time

    if not is_server(db):
        return 0
    deadline = time.monotonic() + within
    look = "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
    while (held := sql(db, look)[0][0]) and time.monotonic() < deadline:
        time.sleep(0.05)
    return held
