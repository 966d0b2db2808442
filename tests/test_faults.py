"""Trustworthy under faults: migrations, concurrent writers, backups, checks, odd paths."""

from __future__ import annotations

import multiprocessing
import shutil
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from sixplustwo.store.migrations import MIGRATIONS

FIXTURES = Path(__file__).parent / "fixtures"


def _rows(path, sql):
    with sqlite3.connect(path) as connection:
        return connection.execute(sql).fetchall()


def test_first_release_database_upgrades_and_keeps_every_row(cli, cli_json, tmp_path):
    old = tmp_path / "old.db"
    shutil.copy(FIXTURES / "schema_0001.db", old)
    tables = ["project", "milestone", "owner", "event", "service_case", "audit"]
    # The columns the first release had: later migrations may add columns, never drop data.
    columns = {t: [r[1] for r in _rows(old, f"PRAGMA table_info({t})")] for t in tables}
    selects = {t: f"SELECT {', '.join(columns[t])} FROM {t} ORDER BY 1" for t in tables}
    before = {t: _rows(old, selects[t]) for t in tables}
    owners = cli_json("--db", old, "owner", "list")
    assert [o["name"] for o in owners] == ["王伟", "李娜", "张敏"]
    applied = [r[0] for r in _rows(old, "SELECT name FROM schema_migration ORDER BY name")]
    assert applied[:2] == ["0001_initial", "0002_export_log"]
    assert applied == [name for name, _ in MIGRATIONS]
    for table in tables:
        assert _rows(old, selects[table]) == before[table], table
    shown = cli_json("--db", old, "owner", "show", "1", "--date", "2024-09-30")
    assert {a["rule"]: a["status"] for a in shown["actions"]}["signing-revisit"] == "done"
    out = tmp_path / "x.csv"
    cli("--db", old, "export", "--date", "2024-09-30", "--format", "csv", "--out", out)


def test_a_database_from_a_newer_release_is_refused_untouched(cli, tmp_path):
    newer = tmp_path / "newer.db"
    shutil.copy(FIXTURES / "schema_0001.db", newer)
    with sqlite3.connect(newer) as connection:
        connection.execute("INSERT INTO schema_migration VALUES ('0099_future', '2030-01-01')")
    before = newer.read_bytes()
    result = cli("--db", newer, "owner", "list", ok=False)
    assert result.exit_code == 1
    assert "newer sixplustwo (schema 0099_future)" in result.stderr
    assert newer.read_bytes() == before


def _writer(db: str, worker: int, count: int) -> None:
    from sixplustwo.domain.owners import owner_record
    from sixplustwo.domain.playbook import default_playbook
    from sixplustwo.store.database import open_database
    from sixplustwo.store.unit import Store

    today = date(2026, 11, 22)
    for index in range(count):
        record = owner_record(
            {
                "name": f"客户{worker}-{index}",
                "phone": f"139{worker:04d}{index:04d}",
                "project": "HY1",
                "unit": f"{worker}-{index}",
                "signed": "2024-01-01",
            },
            today,
        )
        with open_database(db, write=True) as session:
            store = Store(session, default_playbook())
            owner = store.owners.add(record)
            store.journey.add_event(owner.id, "signing-revisit", date(2024, 1, 3), today=today)


def _reader(db: str, rounds: int) -> None:
    from sixplustwo.domain.playbook import default_playbook
    from sixplustwo.store.database import open_database
    from sixplustwo.store.queries import DueFilter
    from sixplustwo.store.unit import Store

    for _ in range(rounds):
        with open_database(db, write=False) as session:
            Store(session, default_playbook()).due(date(2024, 1, 5), DueFilter())


def test_four_writers_and_readers_lose_no_write(cli, db_path):
    cli("project", "add", "HY1", "--name", "华苑一期")
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(str(db_path), w, 200)) for w in range(4)]
    workers += [context.Process(target=_reader, args=(str(db_path), 40)) for _ in range(2)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=300)
        assert process.exitcode == 0
    assert _rows(db_path, "SELECT COUNT(*) FROM owner") == [(800,)]
    assert _rows(db_path, "SELECT COUNT(*) FROM event") == [(800,)]
    assert _rows(db_path, "PRAGMA integrity_check") == [("ok",)]


def test_backup_is_a_consistent_private_copy_and_check_reports_one_line(cli, cli_json, tmp_path):
    cli("project", "add", "HY1", "--name", "华苑一期")
    cli_json("owner", "add", "--name", "王伟", "--phone", "13812345678", "--project", "HY1",
             "--unit", "1-101")  # fmt: skip
    target = tmp_path / "nightly.db"
    assert "backup written" in cli("backup", target).stdout
    assert (target.stat().st_mode & 0o777) == 0o600
    assert _rows(target, "SELECT name FROM owner") == [("王伟",)]
    report = cli("--db", target, "check")
    assert report.stdout.count("\n") == 1
    assert (
        f"integrity ok; 0 foreign-key problem(s); schema {MIGRATIONS[-1][0]}; 1 owners"
        in report.stdout
    )


def test_check_fails_on_a_damaged_file(cli, tmp_path):
    damaged = tmp_path / "damaged.db"
    shutil.copy(FIXTURES / "schema_0001.db", damaged)
    data = bytearray(damaged.read_bytes())
    page = 4096
    data[page : 4 * page] = b"\xff" * (3 * page)  # scribble over three table pages
    damaged.write_bytes(bytes(data))
    result = cli("--db", damaged, "check", ok=False)
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("make", "command", "message"),
    [
        (lambda tmp: tmp / "no" / "such" / "folder" / "x.db", ["due"], "no database at"),
        (
            lambda tmp: tmp / "no" / "such" / "folder" / "x.db",
            ["project", "add", "X1", "--name", "测试"],
            "does not exist",
        ),
        (lambda tmp: tmp, ["due"], "is a directory"),
        (lambda tmp: tmp, ["project", "add", "X1", "--name", "测试"], "is a directory"),
    ],
)
def test_unusable_paths_get_one_clear_line(cli, tmp_path, make, command, message):
    result = cli("--db", make(tmp_path), *command, ok=False)
    assert result.exit_code == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.fixture
def small_disk(tmp_path):
    """A 2 MiB tmpfs (room for a new database's migrations and their journal): a full disk
    or, remounted, a read-only one. Needs root to mount."""
    import subprocess

    mount_point = tmp_path / "small"
    mount_point.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)],
        capture_output=True,
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {made.stderr.decode().strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_full_disk_is_one_line_and_changes_nothing(cli, small_disk, tmp_path):
    db = small_disk / "full.db"
    cli("--db", db, "project", "add", "HY1", "--name", "华苑一期")
    path = tmp_path / "big.csv"
    lines = [f"客户{i},139{i:08d},HY1,{i}-{'楼' * 40}\n" for i in range(20000)]
    path.write_text("name,phone,project,unit\n" + "".join(lines), encoding="utf-8")
    result = cli("--db", db, "owner", "import", path, ok=False)
    assert result.exit_code == 1
    assert "no space left" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert _rows(db, "SELECT COUNT(*) FROM owner") == [(0,)]


def test_read_only_database_is_one_line(cli, small_disk):
    import subprocess

    db = small_disk / "ro.db"
    cli("--db", db, "project", "add", "HY1", "--name", "华苑一期")
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    result = cli("--db", db, "project", "add", "HY2", "--name", "华苑二期", ok=False)
    assert result.exit_code == 1
    assert "read-only" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
