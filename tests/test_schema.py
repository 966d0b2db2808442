"""The migrations and the store's records (the owner's from its one definition) describe the
same schema."""

from __future__ import annotations

import sqlite3

from sixplustwo.domain.fields import OWNER_FIELDS
from sixplustwo.store import records
from sixplustwo.store.database import open_database
from sixplustwo.store.migrations import MIGRATIONS


def test_migrated_schema_matches_tables(tmp_path):
    path = tmp_path / "schema.db"
    with open_database(path, write=True, create=True):
        pass
    kinds = [records.Project, records.Milestone, records.Owner, records.Event, records.Case]
    kinds += [records.ChecklistResult, records.AuditEntry, records.ExportBatch]
    with sqlite3.connect(path) as connection:
        for record in kinds:
            found = [row[1] for row in connection.execute(f"PRAGMA table_info({record.TABLE})")]
            assert set(found) == set(record.columns()), record.TABLE
        owner = [row[1] for row in connection.execute("PRAGMA table_info(owner)")]
        assert set(owner) == {field.name for field in OWNER_FIELDS}
        applied = [row[0] for row in connection.execute("SELECT name FROM schema_migration")]
        assert applied == [name for name, _ in MIGRATIONS]
        assert applied[:3] == ["0001_initial", "0002_export_log", "0003_statistics"]
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_file_that_is_not_ours_is_refused(cli, tmp_path):
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE customers (id INTEGER)")
    result = cli("--db", other, "due", ok=False)
    assert result.exit_code == 1
    assert "not a sixplustwo database" in result.stderr
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not sqlite at all" * 100)
    result = cli("--db", garbage, "due", ok=False)
    assert result.exit_code == 1 and "not a sixplustwo database" in result.stderr
