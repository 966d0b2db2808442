"""The migrations and the SQLModel tables describe the same schema."""

from __future__ import annotations

import sqlite3

from sqlmodel import SQLModel

from sixplustwo.store import tables  # noqa: F401  (registers the tables)
from sixplustwo.store.db import open_session
from sixplustwo.store.migrations import MIGRATIONS


def test_migrated_schema_matches_tables(tmp_path):
    path = tmp_path / "schema.db"
    with open_session(path, write=True):
        pass
    with sqlite3.connect(path) as connection:
        for table in SQLModel.metadata.sorted_tables:
            columns = {row[1] for row in connection.execute(f"PRAGMA table_info({table.name})")}
            assert columns == {c.name for c in table.columns}, table.name
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
