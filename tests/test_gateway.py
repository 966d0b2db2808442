"""The one way into the database (store/database.py): every statement through a Database,
the driver imported by its backend part alone, reads that never write, and the command's
unit of work naming who ran it."""

from __future__ import annotations

import ast
import getpass
from pathlib import Path

import pytest

from dbsql import is_server, sql
from sixplustwo.store.backends import pyformat
from sixplustwo.store.database import open_database

SOURCE = Path(__file__).resolve().parents[1] / "src" / "sixplustwo"


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_only_the_backend_part_imports_a_database_driver():
    drivers = {"sqlite3", "psycopg", "sqlalchemy", "sqlmodel"}
    offenders = {
        str(path.relative_to(SOURCE)): sorted(_imports(path) & drivers)
        for path in SOURCE.rglob("*.py")
        if _imports(path) & drivers
    }
    assert offenders == {
        "store/backends/sqlite.py": ["sqlite3"],
        "store/backends/postgres.py": ["psycopg"],
    }


def test_a_reading_transaction_refuses_to_write(cli, project, db_path):
    with open_database(db_path, write=False) as db, pytest.raises(RuntimeError):
        db.change("UPDATE project SET name = :n", {"n": "x"})
    with open_database(db_path, write=True) as db:
        assert db.change("UPDATE project SET city = :c", {"c": "广州"}) == 1


def test_queries_are_written_once_in_named_style_and_converted_for_psycopg():
    sql = "SELECT 1 FROM e WHERE e.a LIKE '%:x%' AND e.d::date = :day AND k = :kind"
    assert pyformat(sql) == (
        "SELECT 1 FROM e WHERE e.a LIKE '%%:x%%' AND e.d::date = %(day)s AND k = %(kind)s"
    )


def test_reveal_is_audited_in_a_write_of_its_own_even_when_another_process_commits(
    cli, cli_json, project, db_path, monkeypatch
):
    """`owner show --reveal` used to write its audit row inside the read transaction, which
    failed with "database is locked" once another process had committed meanwhile."""
    owner = cli_json(
        "owner", "add", "--name", "王伟", "--phone", "13812345678", "--project", "HY1",
        "--unit", "1-101",
    )["id"]  # fmt: skip
    from sixplustwo.store.journey import Journey

    read = Journey.checklist_results

    def read_then_another_process_writes(self, owner_id):
        found = read(self, owner_id)
        sql(db_path, "UPDATE project SET city = '广州'")  # another butler's command, committed
        return found

    monkeypatch.setattr(Journey, "checklist_results", read_then_another_process_writes)
    shown = cli_json("owner", "show", owner, "--reveal")
    assert shown["phone"] == "13812345678"
    entry = cli_json("audit")[0]
    assert entry["command"] == "owner show --reveal"
    assert entry["user"] == _who(db_path)


def _who(db) -> str:
    """The audit's user: the operating system's, and on a server the database role first."""
    if is_server(db):
        return f"{sql(db, 'SELECT current_user')[0][0]} ({getpass.getuser()})"
    return getpass.getuser()


def test_export_names_the_user_in_the_audit_log(cli, cli_json, project, tmp_path, db_path):
    cli("export", "--format", "json", "--out", tmp_path / "out.json")
    assert cli_json("audit")[0]["user"] == _who(db_path)


def test_a_server_url_without_its_driver_says_how_to_install_it(cli, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if not installed
    import sixplustwo.store.backends as backends

    monkeypatch.delitem(sys.modules, "sixplustwo.store.backends.postgres", raising=False)
    monkeypatch.delattr(backends, "postgres", raising=False)
    result = cli("--db", "postgresql://li:secret@db.example.cn/butlers", "due", ok=False)
    assert result.exit_code == 1
    assert 'pip install "sixplustwo[postgres]"' in result.stderr
    assert "secret" not in result.stderr


@pytest.mark.parametrize("size", [3, 300])
def test_insert_new_skips_rows_a_unique_key_holds_and_writes_the_others(
    cli, project, db_path, size
):
    """``Database.insert_new`` with a few rows (a statement each) and with many (on
    PostgreSQL COPYed into a temporary table and inserted by one statement): rows whose key
    is there already (an action exported again, also twice in one call) are skipped, their
    stored values kept; the others are written with their values, None as NULL."""
    from sixplustwo.store.audit import Audit

    with open_database(db_path, write=True) as db:
        entry = Audit(db).record("export", "csv for test", size, "test.csv")
        first = [("sms", "o0:visit-followup", entry, "2026-11-22 08:00:00.000000", None)]
        db.insert_new("export_log", EXPORT_LOG_COLUMNS, first * 2)
    rows = [
        ("sms", f"o{i}:visit-followup", entry, f"2026-11-23 08:{i % 60:02d}:00", None)
        for i in range(size)
    ]
    with open_database(db_path, write=True) as db:
        db.insert_new("export_log", EXPORT_LOG_COLUMNS, [*rows, rows[-1]])
    stored = sql(
        db_path,
        "SELECT destination, action_id, audit_id, exported_at, batch_id FROM export_log "
        "ORDER BY action_id",
    )
    expected = sorted([first[0], *rows[1:]], key=lambda row: row[1])
    assert [tuple(row) for row in stored] == expected


EXPORT_LOG_COLUMNS = ("destination", "action_id", "audit_id", "exported_at", "batch_id")
