"""Processes killed with SIGKILL mid-command leave a consistent database and no partial file;
on a server, their transaction rolled back and no lock of theirs held."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dbsql import advisory_locks_left, is_server, sql

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")


def _script() -> str:
    found = shutil.which("sixplustwo", path=str(Path(sys.executable).parent))
    assert found, "the sixplustwo console script is not installed"
    return found


def _run(env, *args: str) -> None:
    subprocess.run([_script(), *args], env=env, check=True, capture_output=True, timeout=120)


def _kill_after(env, args: list[str], delay: float) -> int:
    process = subprocess.Popen(
        [_script(), *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    time.sleep(delay)
    os.kill(process.pid, signal.SIGKILL)
    return process.wait(timeout=30)


def _processes_with(text: str) -> list[int]:
    """Processes whose command line mentions ``text`` (a file only this test uses)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command_line = (entry / "cmdline").read_bytes()
            except OSError:
                continue  # gone meanwhile
            if text.encode() in command_line:
                found.append(int(entry.name))
    return found


def _none_left(text: str, within: float = 1.0) -> list[int]:
    """Wait up to ``within`` seconds for every process mentioning ``text`` to be gone; those
    left (zombies count: no one reaped them)."""
    deadline = time.monotonic() + within
    while (left := _processes_with(text)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def _db(env):
    where = env["SIXPLUSTWO_DB"]
    return where if is_server(where) else Path(where)


def _big_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as stream:
        stream.write("name,phone,project,unit,signed\n")
        for index in range(rows):
            stream.write(f"客户{index},139{index:08d},HY1,{index},2024-01-01\n")


def _count(db, table):
    """The table's rows once the killed command is over: on a server, once its session ended
    (its transaction rolled back or committed, its locks gone)."""
    assert advisory_locks_left(db) == 0
    if not is_server(db):
        assert sql(db, "PRAGMA integrity_check") == [("ok",)]
    return sql(db, f"SELECT COUNT(*) FROM {table}")[0][0]


@pytest.fixture
def env(db_path):
    environment = {**os.environ, "SIXPLUSTWO_DB": str(db_path)}
    _run(
        environment, "project", "add", "HY1", "--name", "华苑一期", "--delivery-date", "2024-06-30"
    )
    return environment


def test_import_killed_midway_writes_all_or_nothing(env, tmp_path):
    rows = 200_000  # a few seconds to import: the kills land before, during and after
    path = tmp_path / "big.csv"
    _big_csv(path, rows)
    db = _db(env)
    outcomes = set()
    for delay in (0.5, 1.0, 2.0, 4.0):
        _kill_after(env, ["owner", "import", str(path)], delay)
        assert _none_left(str(path)) == []  # its reader process went with it
        count = _count(db, "owner")
        assert count in (0, rows)
        outcomes.add(count)
        if count:
            break
    assert 0 in outcomes  # at least one kill landed before the commit


@pytest.mark.parametrize(
    "how", ["SIGKILL", "SIGTERM", "SIGINT to the process", "Ctrl-C (SIGINT to the group)"]
)
def test_interrupted_import_leaves_no_process_behind(env, tmp_path, how):
    path = tmp_path / f"big-{how.split()[0]}.csv"
    _big_csv(path, 200_000)
    process = subprocess.Popen(
        [_script(), "owner", "import", str(path)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    deadline = time.monotonic() + 60
    while len(_processes_with(str(path))) < 2:  # the import and its forked reader
        assert process.poll() is None and time.monotonic() < deadline, "no reader started"
        time.sleep(0.05)
    time.sleep(0.3)  # reading and inserting
    if how.startswith("Ctrl-C"):
        os.killpg(process.pid, signal.SIGINT)
    else:
        os.kill(process.pid, getattr(signal, how.split()[0]))
    status = process.wait(timeout=5)
    assert status != 0
    assert _none_left(str(path)) == []
    assert _count(_db(env), "owner") == 0


def test_done_killed_leaves_a_consistent_database(env):
    _run(env, "owner", "add", "--name", "王伟", "--phone", "13812345678", "--project", "HY1",
         "--unit", "1-101", "--visited", "2024-01-01")  # fmt: skip
    db = _db(env)
    _kill_after(env, ["done", "o1:visit-followup", "--date", "2024-01-02"], 0.4)
    assert _count(db, "event") in (0, 1)


def test_export_killed_leaves_no_partial_target(env, tmp_path):
    owners = tmp_path / "owners.csv"
    _big_csv(owners, 30)
    _run(env, "owner", "import", str(owners))
    target = tmp_path / "out" / "sms.csv"
    target.parent.mkdir()
    for delay in (0.3, 0.5, 0.7, 0.9):
        _kill_after(
            env, ["export", "--date", "2024-06-15", "--format", "csv", "--out", str(target)], delay
        )
        if target.exists():
            text = target.read_text("utf-8-sig")
            assert text.count("\n") == 31  # header and every row: whole, never partial
            assert "delivery-notice" in text
        assert _count(_db(env), "owner") == 30
