"""Trustworthy under faults: migrations, concurrent writers, backups, checks, odd paths."""

from __future__ import annotations

import multiprocessing
import shutil
import sqlite3
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from dbsql import is_server, sql
from sixplustwo.store.migrations import MIGRATIONS

FIXTURES = Path(__file__).parent / "fixtures"
# The first release's tables, parents first.
FIRST_TABLES = ["project", "milestone", "owner", "service_case", "event", "audit"]


def _rows(path, statement):
    return sql(path, statement)


def _first_release_on_server(url: str) -> None:
    """The first release's database (tests/fixtures/schema_0001.db) on the server: its one
    migration, then its rows."""
    from sixplustwo.store import database, migrations

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(migrations, "MIGRATIONS", MIGRATIONS[:1])
        with database.open_database(url, write=True, create=True):
            pass
    flags = "SELECT table_name, column_name FROM information_schema.columns WHERE data_type = ?"
    booleans = set(sql(url, flags, ("boolean",)))
    with sqlite3.connect(FIXTURES / "schema_0001.db") as old:
        for table in FIRST_TABLES:
            cursor = old.execute(f"SELECT * FROM {table}")
            names = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                values = tuple(
                    bool(value) if (table, name) in booleans and value is not None else value
                    for name, value in zip(names, row, strict=True)
                )
                marks = ", ".join("?" * len(names))
                sql(url, f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})", values)
            sql(url, f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                     f"(SELECT MAX(id) FROM {table}))")  # fmt: skip


def test_first_release_database_upgrades_and_keeps_every_row(cli, cli_json, tmp_path):
    old = tmp_path / "old.db"
    shutil.copy(FIXTURES / "schema_0001.db", old)
    _upgrades_and_keeps_every_row(cli, cli_json, tmp_path, old)


def test_first_release_server_database_upgrades_and_keeps_every_row(
    cli, cli_json, tmp_path, pg_empty_database
):
    """Every migration, its Python fills too, runs on a server database that holds rows (the
    test server's template was migrated empty)."""
    _first_release_on_server(pg_empty_database)
    _upgrades_and_keeps_every_row(cli, cli_json, tmp_path, pg_empty_database)


def _upgrades_and_keeps_every_row(cli, cli_json, tmp_path, old) -> None:
    tables = FIRST_TABLES
    # The columns the first release had: later migrations may add columns, never drop data.
    columns = {t: _columns(old, t) for t in tables}
    selects = {t: f"SELECT {', '.join(columns[t])} FROM {t} ORDER BY 1" for t in tables}
    before = {t: _rows(old, selects[t]) for t in tables}
    owners = cli_json("--db", old, "owner", "list")
    assert [o["name"] for o in owners] == ["王伟", "李娜", "张敏"]
    # The search keys were filled in for the owners on record (a migration's Python step).
    assert [o["name"] for o in cli_json("--db", old, "owner", "find", "lina")] == ["李娜"]
    applied = [r[0] for r in _rows(old, "SELECT name FROM schema_migration ORDER BY name")]
    assert applied[:2] == ["0001_initial", "0002_export_log"]
    assert applied == [name for name, _ in MIGRATIONS]
    for table in tables:
        assert _rows(old, selects[table]) == before[table], table
    shown = cli_json("--db", old, "owner", "show", "1", "--date", "2024-09-30")
    assert {a["rule"]: a["status"] for a in shown["actions"]}["signing-revisit"] == "done"
    out = tmp_path / "x.csv"
    cli("--db", old, "export", "--date", "2024-09-30", "--format", "csv", "--out", out)


def _columns(db, table: str) -> list[str]:
    if is_server(db):
        found = sql(
            db,
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = ? ORDER BY ordinal_position",
            (table,),
        )
        return [row[0] for row in found]
    return [row[1] for row in sql(db, f"PRAGMA table_info({table})")]


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


def test_a_server_database_from_a_newer_release_is_refused_untouched(cli, pg_empty_database):
    url = pg_empty_database
    _first_release_on_server(url)  # an old schema: a migration would run, were it let
    sql(url, "INSERT INTO schema_migration VALUES ('0099_future', '2030-01-01')")
    looks = [
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1",
        "SELECT * FROM schema_migration ORDER BY name",
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() ORDER BY 1, 2",
        "SELECT * FROM owner ORDER BY id",
    ]
    before = [sql(url, look) for look in looks]
    for command in (["owner", "list"], ["project", "add", "HY2", "--name", "华苑二期"]):
        result = cli("--db", url, *command, ok=False)
        assert result.exit_code == 1
        assert "newer sixplustwo (schema 0099_future)" in result.stderr
    assert [sql(url, look) for look in looks] == before


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
    """Each owner and its event in a transaction of their own, through the store. On a server
    each transaction is a new connection (a server process each): fewer of them there."""
    cli("project", "add", "HY1", "--name", "华苑一期")
    count, rounds = (40, 8) if is_server(db_path) else (200, 40)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(str(db_path), w, count)) for w in range(4)]
    workers += [context.Process(target=_reader, args=(str(db_path), rounds)) for _ in range(2)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=300)
        assert process.exitcode == 0
    assert _rows(db_path, "SELECT COUNT(*) FROM owner") == [(4 * count,)]
    assert _rows(db_path, "SELECT COUNT(*) FROM event") == [(4 * count,)]
    assert "integrity ok; 0 foreign-key problem(s)" in cli("check").stdout


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


def test_check_fails_on_a_server_constraint_left_unvalidated(cli, pg_database):
    """What a server's check can find wrong (a damaged page fails the read of its table):
    constraints a hand-made restore left NOT VALID, foreign keys counted apart."""
    url = pg_database
    cli("--db", url, "project", "add", "HY1", "--name", "华苑一期")
    sql(url, "ALTER TABLE owner ADD CONSTRAINT phone_given CHECK (phone <> '') NOT VALID")
    result = cli("--db", url, "check", ok=False)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert "integrity 1 problem(s): constraint phone_given not validated" in result.stderr
    sql(url, "ALTER TABLE owner DROP CONSTRAINT phone_given")
    sql(url, "ALTER TABLE event ADD CONSTRAINT event_owner_again FOREIGN KEY (owner_id) "
             "REFERENCES owner (id) NOT VALID")  # fmt: skip
    result = cli("--db", url, "check", ok=False)
    assert result.exit_code == 1 and "integrity ok; 1 foreign-key problem(s)" in result.stderr


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


@pytest.mark.parametrize(
    "command", [["due"], ["project", "add", "X1", "--name", "测试"]], ids=lambda c: c[0]
)
def test_unusable_server_urls_get_one_clear_line(cli, pg_server, command):
    from pg import _free_port

    nobody = f"postgresql://postgres@127.0.0.1:{_free_port()}/sixplustwo"  # nothing listens
    result = cli("--db", nobody, *command, ok=False)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"sixplustwo: error: cannot open database {nobody} (")
    assert len(result.stderr.strip().splitlines()) == 1
    # A database its administrator has not made: no command makes one on a server.
    missing = pg_server.url("not_made_yet")
    result = cli("--db", missing, *command, ok=False)
    assert result.stderr == f"sixplustwo: error: no database at {missing}\n"


def test_a_read_only_server_database_is_one_line(cli, pg_database):
    """A database the server lets only be read (a replica, a database set read-only)."""
    url = pg_database
    cli("--db", url, "project", "add", "HY1", "--name", "华苑一期")
    sql(url, f"ALTER DATABASE {urlsplit(url).path.lstrip('/')} "
             "SET default_transaction_read_only = on")  # fmt: skip
    result = cli("--db", url, "project", "add", "HY2", "--name", "华苑二期", ok=False)
    assert result.exit_code == 1
    assert f"{url} is read-only" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "HY1" in cli("--db", url, "project", "list").stdout  # reading still works


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
