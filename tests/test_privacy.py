"""Personal data stays private: files created 0600 (folders 0700) whatever the umask, and
`owner forget` leaves no byte of the person in the database file or its WAL (on a server: in
no row of any table, its old row versions vacuumed), even while another process has the
database open."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
import subprocess
import sys

import pytest

from dbsql import is_server, sql, stored_text

NAME, PHONE = "欧阳娜娜", "13912345678"


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def loose_umask():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_every_file_the_tool_creates_is_private(cli, tmp_path, db_path, loose_umask):
    cli("project", "add", "HY1", "--name", "华苑一期", "--delivery-date", "2024-06-30")
    # A reader keeps the write-ahead log and its index in place while a butler writes.
    with contextlib.closing(sqlite3.connect(db_path)) as reader:
        reader.execute("SELECT COUNT(*) FROM project").fetchone()
        cli("owner", "add", "--name", NAME, "--phone", PHONE, "--project", "HY1",
            "--unit", "1-1", "--signed", "2024-01-05")  # fmt: skip
        for suffix in ("", "-wal", "-shm"):
            path = db_path.with_name(db_path.name + suffix)
            assert path.exists() and _mode(path) == 0o600, (suffix, oct(_mode(path)))
    cli("backup", tmp_path / "backup.db")
    cli("export", "--date", "2024-01-05", "--format", "csv", "--out", tmp_path / "sms.csv")
    cli("report", "--from", "2024-01-01", "--to", "2024-03-31", "--html", tmp_path / "r.html")
    for name in ("backup.db", "sms.csv", "r.html", f"{db_path.name}.export.lock"):
        assert _mode(tmp_path / name) == 0o600, name


def test_the_default_data_folder_is_private(cli, tmp_path, monkeypatch, loose_umask):
    monkeypatch.delenv("SIXPLUSTWO_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    cli("project", "add", "HY1", "--name", "华苑一期")
    folder = tmp_path / "data" / "sixplustwo"
    assert _mode(folder) == 0o700
    assert _mode(folder / "sixplustwo.db") == 0o600


# Another butler's process, which has the database open (idle, after a read): its connection
# must not keep the erased values (SQLite: in the WAL; PostgreSQL: as old row versions).
_IDLE_READER = {
    "sqlite": "import sqlite3\nc = sqlite3.connect(DB)\n",
    "postgres": "import psycopg\nc = psycopg.connect(DB, autocommit=True)\n",
}
# The tables the server vacuums after an erasure (store/backends/postgres.py scrub).
_VACUUMED = ("owner", "owner_tag", "event", "service_case", "checklist_result", "journal_change")


def _vacuums(db) -> dict[str, int]:
    rows = sql(db, "SELECT relname, vacuum_count FROM pg_stat_user_tables")
    return {table: count for table, count in rows if table in _VACUUMED}


def test_forget_leaves_no_byte_of_the_person(cli, cli_json, tmp_path, db_path, backend):
    """SQLite: no byte of the person in the file, its WAL or its index. PostgreSQL: no row of
    any table holds them (every column of every table the catalogue lists), and the tables
    that held them were vacuumed, so that their old row versions go too (the server's own
    write-ahead log and backups are the administrator's: README); the audit says who erased,
    with the database role."""
    cli("project", "add", "HY1", "--name", "华苑一期", "--delivery-date", "2024-06-30")
    owner = cli_json(
        "owner", "add", "--name", NAME, "--phone", PHONE, "--project", "HY1", "--unit", "3-1-1201",
        "--signed", "2024-01-05", "--birthday", "1980-05-06",
    )["id"]  # fmt: skip
    cli("owner", "edit", owner, "--profile-consent", "yes", "--tag", f"家庭:{NAME}的女儿")
    cli("event", "add", owner, "call", "--date", "2024-01-06", "--note", f"{NAME} 说请打 {PHONE}")
    cli("case", "open", owner, "--kind", "repair", "--note", f"{NAME}家漏水，回电{PHONE}",
        "--date", "2024-01-07")  # fmt: skip
    survey = tmp_path / "survey.csv"
    survey.write_text(f"业主编号,日期,评分,意见\n{owner},2024-01-08,5,{NAME}很满意\n", "utf-8")
    cli("survey", "import", survey)
    secrets = (NAME, PHONE, "1980-05-06", "漏水")
    assert all(secret.encode() in stored_text(db_path) for secret in secrets)  # it looks there
    vacuumed = _vacuums(db_path) if is_server(db_path) else {}
    other = subprocess.Popen(
        [sys.executable, "-c",
         f"DB = {str(db_path)!r}\n" + _IDLE_READER[backend]
         + "c.execute('SELECT COUNT(*) FROM owner').fetchone()\n"
         "print('ready', flush=True)\n"
         "import time; time.sleep(60)\n"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert other.stdout.readline().strip() == "ready"
        forgotten = cli("owner", "forget", owner, "--yes")
        if is_server(db_path):
            data = stored_text(db_path)
        else:
            files = [db_path.with_name(db_path.name + s) for s in ("", "-wal", "-shm")]
            data = b"".join(path.read_bytes() for path in files if path.exists())
    finally:
        other.kill()
        other.wait()
    assert forgotten.stderr == ""  # no reader held the old versions back
    for secret in secrets:
        assert secret.encode() not in data, secret
    if is_server(db_path):
        after = _vacuums(db_path)
        assert set(after) == set(_VACUUMED)
        assert all(after[table] > vacuumed.get(table, 0) for table in _VACUUMED), after
        dead = sql(db_path, "SELECT SUM(n_dead_tup) FROM pg_stat_user_tables WHERE relname = ?",
                   ("owner",))  # fmt: skip
        assert dead == [(0,)]  # the owner's old row version went with the vacuum
    entry = cli_json("audit")[0]
    assert entry["command"] == "owner forget" and entry["detail"] == f"owner {owner}"
    assert entry["user"] and entry["user"].startswith("postgres (") == is_server(db_path)
    shown = cli_json("owner", "show", owner)
    assert shown["name"] is None and shown["phone"] == "" and shown["tags"] == []
    assert all(event["note"] is None for event in shown["events"])
    # The flat is released: a resale to a new owner can be recorded.
    cli("owner", "add", "--name", "新业主", "--phone", "13700000000", "--project", "HY1",
        "--unit", "3-1-1201")  # fmt: skip


def test_an_export_into_a_pipe_writes_into_it_and_leaves_it_a_pipe(cli, project, tmp_path):
    """`--out /dev/null` once replaced the device with a file (a rename over it, as root)."""
    import threading

    fifo = tmp_path / "sms.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    cli("export", "--format", "csv", "--out", fifo)
    reader.join(timeout=10)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert received and received[0].startswith("\ufeff".encode())


def test_forget_on_a_server_says_so_while_a_reader_holds_the_old_row_versions(
    cli, cli_json, pg_database
):
    """A session still reading a snapshot taken before the erasure (another office's long
    report) keeps the person's old row versions from the vacuum: ``forget`` says so, as it
    does on SQLite for a reader holding the WAL back, and run again once it is done, erases
    them."""
    import psycopg

    url = pg_database
    cli("--db", url, "project", "add", "HY1", "--name", "华苑一期")
    owner = cli_json("--db", url, "owner", "add", "--name", NAME, "--phone", PHONE,
                     "--project", "HY1", "--unit", "1-101")["id"]  # fmt: skip
    dead = "SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'owner'"
    with psycopg.connect(url) as reader:
        reader.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        assert reader.execute("SELECT name FROM owner").fetchall() == [(NAME,)]
        held = cli("--db", url, "owner", "forget", owner, "--yes")
        assert "another process is reading the database" in held.stderr
        assert f"owner forget {owner} again" in held.stderr
        assert sql(url, dead) == [(1,)]  # the old version, name and phone, is still there
        reader.rollback()
    again = cli("--db", url, "owner", "forget", owner, "--yes")
    assert again.stderr == ""
    assert sql(url, dead) == [(0,)]
    assert NAME.encode() not in stored_text(url)
