"""Writers wait behind big imports rather than fail: several 100,000-row imports at once and
eight writers, nothing refused with "database is locked", nothing lost (SQLite holds its
write lock for an import's whole run; PostgreSQL takes row locks)."""

from __future__ import annotations

import multiprocessing
import sqlite3
import time

import pytest

from dbsql import sql
from test_contention import _run, _writer


def _import(db: str, path: str, failures) -> None:
    code, _, err = _run(["--db", db, "owner", "import", path])
    if code:
        failures.put(("owner import", err))


def _owner_file(path, number: int, rows: int) -> None:
    lines = (
        f"客户{number}-{i},13{number}{i:08d},HY1,I{number}-{i},2024-01-01\n" for i in range(rows)
    )
    path.write_text("name,phone,project,unit,signed\n" + "".join(lines), encoding="utf-8")


def _imports_and_writers(cli, db_path, tmp_path, imports: int, rows: int, writers: int) -> None:
    commands = 8  # a writer's: two owners, each added, called, visited, given a case
    files = []
    for number in range(imports):
        files.append(tmp_path / f"owners-{number}.csv")
        _owner_file(files[-1], number + 1, rows)
    context = multiprocessing.get_context("spawn")
    failures = context.Queue()
    importing = [
        context.Process(target=_import, args=(str(db_path), str(path), failures)) for path in files
    ]
    writing = [
        context.Process(target=_writer, args=(str(db_path), 20 + w, failures, commands))
        for w in range(writers)
    ]
    for process in importing:
        process.start()
    time.sleep(1)  # the imports under way (reading their files, or holding the lock)
    for process in writing:
        process.start()
    for process in importing + writing:
        process.join(timeout=1200)
    found = []
    while not failures.empty():
        found.append(failures.get())
    assert found == []
    assert [p.exitcode for p in importing + writing] == [0] * (imports + writers)
    owners = sql(db_path, "SELECT COUNT(*) FROM owner")[0][0]
    assert owners == imports * rows + writers * commands // 4
    assert sql(db_path, "SELECT COUNT(*) FROM service_case")[0][0] == writers * commands // 4
    assert "integrity ok; 0 foreign-key problem(s)" in cli("check").stdout


@pytest.mark.slow  # six 100,000-row imports and eight writers: minutes on a shared machine
def test_eight_writers_wait_for_six_big_imports(cli, project, db_path, tmp_path):
    _imports_and_writers(cli, db_path, tmp_path, imports=6, rows=100_000, writers=8)


def test_writers_wait_for_two_imports(cli, project, db_path, tmp_path):
    """The quick sibling of the one above."""
    _imports_and_writers(cli, db_path, tmp_path, imports=2, rows=5_000, writers=3)


def _hold_the_write_lock(path: str, seconds: float, held) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    held.set()
    time.sleep(seconds)
    connection.execute("ROLLBACK")
    connection.close()


@pytest.mark.slow  # holds the write lock for 25 s by design
def test_a_writer_waits_longer_than_the_old_busy_timeout(cli, project, db_path):
    """The write lock held for 25 s, as a large import holds it: a writer waits it out (it
    was refused after 20 s) and then writes."""
    context = multiprocessing.get_context("spawn")
    held = context.Event()
    holder = context.Process(target=_hold_the_write_lock, args=(str(db_path), 25, held))
    holder.start()
    assert held.wait(timeout=60)
    started = time.monotonic()
    code, _, err = _run(["--db", str(db_path), "project", "add", "HY2", "--name", "华苑二期"])
    waited = time.monotonic() - started
    holder.join(timeout=60)
    assert code == 0, err
    assert waited > 20
    assert sql(db_path, "SELECT COUNT(*) FROM project")[0][0] == 2
