"""One line on stderr and exit 1, never a traceback: days outside the calendar's range, an
empty --db, a read-only file system (where reading commands work), a failed backup."""

from __future__ import annotations

import subprocess

import pytest

FIRST_DAY, LAST_DAY = "1901-01-01", "2099-12-31"  # domain/dates.py: the lunar calendar's years
RANGE = f"({FIRST_DAY} to {LAST_DAY})"


def _one_line(result, *words: str) -> None:
    assert result.exit_code == 1, (result.stdout, result.stderr, result.exception)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("sixplustwo: error:"), lines[0]
    for word in words:
        assert word in lines[0], lines[0]


@pytest.fixture
def company(cli, db_path):
    """An owner with a project, a delivered flat and a 农历 birthday to greet."""
    cli("project", "add", "HY1", "--name", "华苑一期", "--delivery-date", "2024-06-30")
    cli("owner", "add", "--name", "王伟", "--phone", "13912345678", "--project", "HY1",
        "--unit", "1-101", "--signed", "2024-01-05", "--delivered", "2024-07-01",
        "--birthday", "1980-03-05", "--lunar-birthday")  # fmt: skip
    return db_path


OUTSIDE = [
    ("due", "--date", "2101-01-01"),
    ("due", "--date", "2100-01-01"),
    ("due", "--date", "2100-02-01", "--workdays"),
    ("due", "--date", "1900-12-31"),
    ("due", "--date", "0001-01-01"),
    ("owner", "show", "1", "--date", "9999-12-31"),
    ("owner", "show", "1", "--date", "1900-06-01"),
    ("report", "--from", "0001-01-01", "--to", "9999-12-31"),
    ("report", "--from", "1900-01-01", "--to", "2000-12-31"),
    ("export", "--format", "ics", "--date", "2101-01-01", "--out", "{tmp}/out.ics"),
    ("referral", "list", "--as-of", "9999-12-31"),
    ("event", "add", "1", "call", "--date", "9999-12-31"),
    ("project", "add", "FAR", "--name", "远", "--delivery-date", "9999-12-31"),
]


@pytest.mark.parametrize("command", OUTSIDE, ids=" ".join)
def test_a_day_outside_the_supported_range_is_one_line_naming_it(cli, company, tmp_path, command):
    args = [part.format(tmp=tmp_path) for part in command]
    _one_line(cli(*args, ok=False), "outside the dates", RANGE)


@pytest.mark.parametrize("day", [FIRST_DAY, LAST_DAY])
def test_the_first_and_last_supported_days_work(cli, cli_json, company, tmp_path, day):
    cli("due", "--date", day)
    cli("due", "--date", day, "--workdays")
    cli("owner", "show", "1", "--date", day)
    cli("report", "--from", day, "--to", day)
    cli("export", "--format", "ics", "--date", day, "--out", tmp_path / "out.ics")
    cli("export", "--format", "json", "--date", day, "--out", tmp_path / "out.json")
    cli("referral", "list", "--as-of", day)


def test_the_whole_supported_range_reports(cli, company):
    cli("report", "--from", FIRST_DAY, "--to", LAST_DAY)


@pytest.mark.parametrize(
    "command", [("due",), ("check",), ("owner", "forget", "1"), ("backup", "{tmp}/b.db")]
)
def test_an_empty_db_option_is_refused_not_taken_for_the_default(cli, company, tmp_path, command):
    args = [part.format(tmp=tmp_path) for part in command]
    _one_line(cli("--db", "", *args, ok=False), "--db is empty")
    _one_line(cli("--db", "  ", *args, ok=False), "--db is empty")


# -- a read-only file system (SQLite: the file's folder) -----------------------------------


def _read_only(mount_point) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(mount_point)], check=True)


def test_reading_commands_work_on_a_read_only_file_system(cli, cli_json, small_disk, tmp_path):
    db = small_disk / "ro.db"
    cli("--db", db, "demo", "--format", "json")
    before = cli_json("--db", db, "due", "--date", "2026-03-01")
    _read_only(small_disk)
    checked = cli("--db", db, "check")
    assert "integrity ok" in checked.stdout
    assert cli_json("--db", db, "due", "--date", "2026-03-01") == before
    assert cli_json("--db", db, "owner", "list")
    cli("--db", db, "report", "--from", "2026-01-01", "--to", "2026-03-01")
    cli("--db", db, "backup", tmp_path / "copy.db")
    assert "integrity ok" in cli("--db", tmp_path / "copy.db", "check").stdout
    # Writing is still refused in one line.
    refused = cli("--db", db, "project", "add", "HY9", "--name", "九期", ok=False)
    _one_line(refused, "read-only")
    assert sorted(path.name for path in small_disk.iterdir()) == ["ro.db"]


def test_a_read_only_copy_with_commits_in_its_log_reads_them(cli, cli_json, small_disk):
    """A database copied while in use: its -wal holds commits (and its -shm is beside it)."""
    import shutil
    import sqlite3

    db = small_disk / "busy.db"
    cli("--db", db, "project", "add", "HY1", "--name", "华苑一期")
    holder = sqlite3.connect(db)  # keeps the -wal from being folded in at the last close
    try:
        holder.execute("PRAGMA wal_autocheckpoint = 0")
        holder.execute("SELECT COUNT(*) FROM project").fetchone()
        cli("--db", db, "project", "add", "HY2", "--name", "华苑二期")
        copy = small_disk / "copy"
        copy.mkdir()
        for name in ("busy.db", "busy.db-wal", "busy.db-shm"):
            shutil.copyfile(small_disk / name, copy / name)
    finally:
        holder.close()
    assert (copy / "busy.db-wal").stat().st_size > 0
    _read_only(small_disk)
    codes = {row["code"] for row in cli_json("--db", copy / "busy.db", "project", "list")}
    assert codes == {"HY1", "HY2"}


def test_a_failed_backup_leaves_nothing_behind(cli, small_disk, tmp_path):
    db = tmp_path / "big.db"
    cli("--db", db, "project", "add", "HY1", "--name", "华苑一期")
    path = tmp_path / "big.csv"
    lines = [f"客户{i},139{i:08d},HY1,{i}-{'楼' * 40}\n" for i in range(30000)]
    path.write_text("name,phone,project,unit\n" + "".join(lines), encoding="utf-8")
    cli("--db", db, "owner", "import", path)
    result = cli("--db", db, "backup", small_disk / "b.db", ok=False)  # 15 MB into 4 MiB
    _one_line(result, "backup failed")
    assert list(small_disk.iterdir()) == []  # neither the partial copy nor its journal
