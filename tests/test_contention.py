"""Many processes at once: eight writers and two readers looping `due` and `export
--new-only` lose nothing and fail nothing, and an export never holds the write lock for
more than a fraction of a second."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from dbsql import is_server, sql

WRITERS, COMMANDS = 8, 100  # commands per writer: owner add, event add, done, case open
SERVER_COMMANDS = 20  # on PostgreSQL (a connection, a server process, for each command)
DAY = "2024-01-05"


def _run(args: list[str]) -> tuple[int, str, str]:
    from typer.testing import CliRunner

    from sixplustwo.cli.app import app

    result = CliRunner().invoke(app, args)
    return result.exit_code, result.stdout, result.stderr + repr(result.exception or "")


def _writer(db: str, worker: int, failures, commands: int) -> None:
    for index in range(commands // 4):
        unit = f"{worker}-{index}"
        phone = f"139{worker:04d}{index:04d}"
        flat = ["--project", "HY1", "--unit", unit, "--signed", "2024-01-01"]
        add = ["owner", "add", "--name", f"客户{unit}", "--phone", phone, *flat, "-f", "json"]
        code, out, err = _run(["--db", db, *add])
        if code:
            failures.put(("owner add", err))
            continue
        owner = str(json.loads(out)["id"])
        for command in (
            ["event", "add", owner, "call", "--date", "2024-01-02"],
            ["done", f"o{owner}:signing-revisit", "--date", "2024-01-03"],
            ["case", "open", owner, "--kind", "repair", "--note", "漏水"],
        ):
            code, _, err = _run(["--db", db, *command])
            if code:
                failures.put((command[0], err))


def _reader(db: str, folder: str, number: int, stop, failures, rounds) -> None:
    done = 0
    while not stop.is_set() or done < 2:
        out = str(Path(folder) / f"sms-{number}-{done}.csv")
        for command in (
            ["due", "--date", DAY, "--format", "json"],
            ["export", "--date", DAY, "--format", "csv", "--new-only", "--out", out],
        ):
            code, _, err = _run(["--db", db, *command])
            if code:
                failures.put((command[0], err))
        done += 1
    rounds.put(done)


@pytest.mark.slow  # long contention: eight writers and two readers for ~15 s
def test_eight_writers_and_two_readers_lose_and_fail_nothing(cli, project, db_path, tmp_path):
    """On PostgreSQL with fewer commands each (tests/test_server.py has imports and adds from
    many processes too): the same writers and exporting readers, nothing lost, no lock error,
    each exported action in one file."""
    commands = SERVER_COMMANDS if is_server(db_path) else COMMANDS
    context = multiprocessing.get_context("spawn")
    failures, rounds, stop = context.Queue(), context.Queue(), context.Event()
    folder = tmp_path / "exports"
    folder.mkdir()
    writers = [
        context.Process(target=_writer, args=(str(db_path), w, failures, commands))
        for w in range(WRITERS)
    ]
    readers = [
        context.Process(target=_reader, args=(str(db_path), str(folder), r, stop, failures, rounds))
        for r in range(2)
    ]
    for process in readers + writers:
        process.start()
    for process in writers:
        process.join(timeout=300)
    stop.set()
    for process in readers:
        process.join(timeout=120)
    assert [p.exitcode for p in writers + readers] == [0] * (WRITERS + 2)
    found = []
    while not failures.empty():
        found.append(failures.get())
    assert found == []
    assert sum(rounds.get() for _ in readers) >= 4
    owners = WRITERS * commands // 4

    def count(statement: str) -> int:
        return sql(db_path, statement)[0][0]

    assert count("SELECT COUNT(*) FROM owner") == owners
    assert count("SELECT COUNT(*) FROM event WHERE kind = 'call'") == owners
    assert count("SELECT COUNT(*) FROM event WHERE kind = 'signing-revisit'") == owners
    assert count("SELECT COUNT(*) FROM service_case") == owners
    assert "integrity ok; 0 foreign-key problem(s)" in cli("check").stdout
    logged = count("SELECT COUNT(*) FROM export_log WHERE destination = 'sms'")
    # Each action the exports wrote is in exactly one of their files, and logged once.
    written = []
    for path in folder.iterdir():
        lines = path.read_text("utf-8-sig").splitlines()[1:]
        written += [line.split(",")[0] for line in lines]
    assert len(written) == len(set(written)) == logged


def _script() -> str:
    found = shutil.which("sixplustwo", path=str(Path(sys.executable).parent))
    assert found, "the sixplustwo console script is not installed"
    return found


def _longest_lock(db_path: Path, process: subprocess.Popen, result: list[float]) -> None:
    """The longest time the write lock could not be had while ``process`` runs."""
    connection = sqlite3.connect(db_path, timeout=0, isolation_level=None)
    longest, since = 0.0, None
    try:
        while process.poll() is None:
            try:
                connection.execute("BEGIN IMMEDIATE")
                connection.execute("ROLLBACK")
                since = None
            except sqlite3.OperationalError:
                now = time.monotonic()
                since = since or now
                longest = max(longest, now - since)
            time.sleep(0.01)
    finally:
        connection.close()
    result.append(longest)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX paths")
def test_a_large_export_holds_the_write_lock_a_fraction_of_a_second(cli, project, tmp_path):
    rows = 20_000
    path = tmp_path / "owners.csv"
    lines = (f"客户{i},139{i:08d},HY1,{i}-101,2024-01-01\n" for i in range(rows))
    path.write_text("name,phone,project,unit,signed\n" + "".join(lines), encoding="utf-8")
    cli("owner", "import", path)
    db_path = Path(os.environ["SIXPLUSTWO_DB"])
    for fmt in ("csv", "json"):
        export = subprocess.Popen(
            [_script(), "export", "--date", DAY, "--format", fmt, "--new-only",
             "--out", str(tmp_path / f"all.{fmt}")],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        result: list[float] = []
        watcher = threading.Thread(target=_longest_lock, args=(db_path, export, result))
        watcher.start()
        started = time.monotonic()
        assert export.wait(timeout=120) == 0, export.stderr.read()
        took = time.monotonic() - started
        watcher.join()
        # Reading and rendering take most of the run (the whole run held the lock before: 3.0 s
        # of 4.0); the rows are recorded in one short transaction after the file is written.
        # On a fast machine the run itself may take under a second: 0.3 s is still allowed.
        assert result[0] < min(1.0, max(took / 4, 0.3)), (fmt, result[0], took)
