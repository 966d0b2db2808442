"""The migrations and the store's records (the owner's from its one definition) describe the
same schema, on either backend: the same tables and columns, the same migrations recorded in
the same table in the same order."""

from __future__ import annotations

import sqlite3

from dbsql import sql
from sixplustwo.domain.fields import OWNER_FIELDS
from sixplustwo.store import records
from sixplustwo.store.database import open_database
from sixplustwo.store.migrations import MIGRATIONS


def test_migrated_schema_matches_tables(db_path):
    kinds = [records.Project, records.Milestone, records.Owner, records.Event, records.Case]
    kinds += [records.ChecklistResult, records.AuditEntry, records.ExportBatch]
    # Made here on SQLite; on PostgreSQL the test's database is migrated already.
    with open_database(db_path, write=True, create=True) as db:
        columns = {
            table: db.backend.table_columns(db.connection, table)
            for table in {record.TABLE for record in kinds} | {"owner"}
        }
    for record in kinds:
        assert set(columns[record.TABLE]) == set(record.columns()), record.TABLE
    assert set(columns["owner"]) == {field.name for field in OWNER_FIELDS}
    applied = [row[0] for row in sql(db_path, "SELECT name FROM schema_migration ORDER BY name")]
    assert applied == [name for name, _ in MIGRATIONS]
    assert applied[:3] == ["0001_initial", "0002_export_log", "0003_statistics"]


def test_a_sqlite_database_keeps_a_write_ahead_log(cli, db_path):
    cli("project", "add", "HY1", "--name", "华苑一期")
    assert sql(db_path, "PRAGMA journal_mode") == [("wal",)]


def test_a_new_sqlite_database_has_16_kb_pages_and_an_old_one_keeps_its_own(
    cli, tmp_path, monkeypatch
):
    from sixplustwo.store.backends import sqlite as backend

    new, old = tmp_path / "new.db", tmp_path / "old.db"
    with monkeypatch.context() as older_release:  # made with SQLite's default pages
        older_release.setattr(backend, "PAGE_SIZE", 4096)
        cli("--db", old, "project", "add", "HY0", "--name", "华苑")
    cli("--db", new, "project", "add", "HY1", "--name", "华苑一期")
    cli("--db", old, "project", "add", "HY1", "--name", "华苑一期")
    assert sql(new, "PRAGMA page_size") == [(16384,)]
    assert sql(old, "PRAGMA page_size") == [(4096,)]
    assert [len(sql(db, "SELECT * FROM project")) for db in (new, old)] == [1, 2]


def test_a_file_that_is_not_ours_is_refused(cli, tmp_path):
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE customers (id INTEGER)")
    for command in ("due", "check"):
        result = cli("--db", other, command, ok=False)
        assert result.exit_code == 1
        assert result.stderr == f"sixplustwo: error: {other} is not a sixplustwo database " \
            "(it holds other tables)\n"  # fmt: skip
    empty = tmp_path / "empty.db"
    empty.touch()
    for command in ("due", "check"):
        result = cli("--db", empty, command, ok=False)
        assert result.stderr == f"sixplustwo: error: no database at {empty}\n", command
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not sqlite at all" * 100)
    result = cli("--db", garbage, "due", ok=False)
    assert result.exit_code == 1 and "not a sixplustwo database" in result.stderr


def test_a_server_database_that_is_not_ours_is_refused_untouched(cli, pg_empty_database):
    """A database on the company's server that another application uses is neither read nor
    given our tables, by a reading command or by one that adds data."""
    url = pg_empty_database
    sql(url, "CREATE TABLE customers (id INTEGER)")
    tables = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    for command in (["due"], ["check"], ["project", "add", "HY1", "--name", "华苑一期"]):
        result = cli("--db", url, *command, ok=False)
        assert result.exit_code == 1, command
        assert "not a sixplustwo database" in result.stderr, command
        assert len(result.stderr.strip().splitlines()) == 1
    assert sql(url, tables) == [("customers",)]
