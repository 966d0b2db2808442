"""``db copy``: a database moved between a SQLite file and a PostgreSQL server, either way
(each test runs from each backend into the other; see BOTH_BACKENDS in conftest)."""

from __future__ import annotations

import json

import pytest

from dbsql import is_server, sql

DAY = "2024-06-10"


@pytest.fixture
def target(db_path, tmp_path, request):
    """An empty database of the other kind than the test's own."""
    if is_server(db_path):
        return str(tmp_path / "copy.db")
    return request.getfixturevalue("pg_empty_database")


def _team(cli, cli_json, tmp_path):
    cli("project", "add", "HY1", "--name", "华苑一期", "--delivery-date", "2024-06-30")
    cli("project", "milestone", "HY1", "封顶", "--date", "2024-05-01")
    people = (
        ("王伟", "13812345678", "1-101"),
        ("李娜", "13900001111", "1-102"),
        ("张敏", "13700002222", "1-103"),
    )
    dates = ["--visited", "2024-01-01", "--signed", "2024-01-02", "--birthday", "1985-06-10"]
    ids = []
    for name, phone, unit in people:
        options = ["--name", name, "--phone", phone, "--project", "HY1", "--unit", unit]
        ids.append(cli_json("owner", "add", *options, "--butler", "李晓", *dates)["id"])
    # A referrer added after the owner it refers: the copy fills such links in afterwards.
    cli("owner", "edit", ids[0], "--referred-by", ids[2])
    cli("event", "add", ids[1], "site-visit", "--date", "2024-06-01", "--note", "看房")
    case = cli_json(
        "case", "open", ids[1], "--kind", "repair", "--note", "漏水", "--date", "2024-06-02"
    )
    cli("case", "resolve", case["id"], "--note", "修好了", "--date", "2024-06-05")
    cli("export", "--date", DAY, "--format", "csv", "--new-only", "--out", tmp_path / "a.csv")
    cli("event", "add", ids[2], "site-visit", "--date", "2024-06-03")
    cli("undo")
    return ids


def test_a_database_moves_whole_and_works_there(cli, cli_json, tmp_path, db_path, target):
    ids = _team(cli, cli_json, tmp_path)
    due = cli_json("due", "--date", DAY)
    shown = cli_json("owner", "show", ids[1], "--date", DAY)

    copied = json.loads(cli("db", "copy", "--to", target, "--format", "json").stdout)

    assert copied["ok"] is True
    tables = copied["tables"]
    for table in ("project", "milestone", "owner", "event", "service_case", "audit",
                  "export_log", "journal", "journal_change"):  # fmt: skip
        assert tables[table]["source"] == tables[table]["target"] > 0, table
    assert "integrity ok" in copied["source_check"] and "integrity ok" in copied["target_check"]
    # The same answers from the copy.
    assert cli_json("--db", target, "due", "--date", DAY) == due
    assert cli_json("--db", target, "owner", "show", ids[1], "--date", DAY) == shown
    assert sql(target, "SELECT referred_by FROM owner WHERE id = ?", (ids[0],)) == [(ids[2],)]
    # The export's bookkeeping came along: nothing is sent twice.
    again = cli("--db", target, "export", "--date", DAY, "--format", "csv", "--new-only",
                "--out", tmp_path / "b.csv")  # fmt: skip
    assert "0 reminders" in again.stderr
    # New rows get new ids after the copied ones.
    added = cli_json(
        "--db", target, "owner", "add", "--name", "赵磊", "--phone", "13600003333",
        "--project", "HY1", "--unit", "1-104",
    )["id"]  # fmt: skip
    assert added == max(ids) + 1


def test_only_into_an_empty_database(cli, cli_json, tmp_path, db_path, target):
    _team(cli, cli_json, tmp_path)
    cli("db", "copy", "--to", target)
    before = sql(target, "SELECT COUNT(*) FROM owner")
    refused = cli("db", "copy", "--to", target, ok=False)
    assert refused.exit_code == 1
    assert "only into an empty database" in refused.stderr and "project" in refused.stderr
    assert sql(target, "SELECT COUNT(*) FROM owner") == before


def test_not_onto_itself(cli, project, db_path):
    refused = cli("db", "copy", "--to", str(db_path), ok=False)
    assert refused.exit_code == 1 and "is the database itself" in refused.stderr


def test_every_table_has_its_place_in_the_copy_order(tmp_path):
    """A new migration's table must be placed after the tables it names: an unplaced one
    would be copied last, by name, and its foreign keys could refuse the copy."""
    from sixplustwo.store.copying import table_order
    from sixplustwo.store.database import open_database

    with open_database(tmp_path / "fresh.db", write=True, create=True) as db:
        tables = db.backend.table_names(db.connection) - {"schema_migration"}
    assert tables - set(table_order()) == set()


def test_referrers_across_many_chunks_are_all_copied(cli, tmp_path, db_path, target, monkeypatch):
    """Every owner refers another, earlier or later (a later one is filled in after all the
    owners are in), over many chunks of the copy and many bulk updates."""
    from sixplustwo.store import copying

    count = 60
    cli("project", "add", "HY1", "--name", "华苑一期", "--delivery-date", "2024-06-30")
    ledger = tmp_path / "ledger.csv"
    ledger.write_text(
        "姓名,手机,项目,房号\n"
        + "".join(f"客户{i},139{i:08d},HY1,1-{101 + i}\n" for i in range(count)),
        encoding="utf-8",
    )
    cli("owner", "import", ledger)
    referrals = tmp_path / "referrals.csv"
    referrals.write_text(
        "业主编号,推荐人\n"
        + "".join(f"{i},o{(i + 17) % count + 1}\n" for i in range(1, count + 1) if i % 5),
        encoding="utf-8",
    )
    cli("owner", "import", referrals, "--update")
    monkeypatch.setattr(copying, "_CHUNK", 7)
    if is_server(target) or is_server(db_path):  # on the server, some updates COPYed in bulk
        monkeypatch.setattr("sixplustwo.store.backends.postgres._COPY_UPDATE_FROM_ROWS", 5)

    assert json.loads(cli("db", "copy", "--to", target, "--format", "json").stdout)["ok"]
    query = "SELECT id, referred_by FROM owner ORDER BY id"
    copied = sql(target, query)
    assert copied == sql(db_path, query)
    assert sum(referrer is not None for _, referrer in copied) == count - count // 5


def test_a_server_source_is_read_through_a_server_side_cursor(
    cli, cli_json, tmp_path, db_path, target, monkeypatch
):
    """A large table is not taken whole into memory: while the copy writes, the source's
    session is fetching from a cursor declared on the server (psycopg's ordinary cursor
    would have received the whole result of the SELECT at once)."""
    if not is_server(db_path):
        pytest.skip("a SQLite file is read by sqlite3's own cursor, a step at a time")
    from sixplustwo.store import copying
    from sixplustwo.store.database import Database

    _team(cli, cli_json, tmp_path)
    monkeypatch.setattr(copying, "_CHUNK", 2)
    seen: list[str] = []
    insert_many = Database.insert_many

    def watched(self, table, columns, rows, constants=None):
        assert len(rows) <= 2
        if table == "owner":
            seen.extend(
                query
                for (query,) in sql(
                    db_path,
                    "SELECT query FROM pg_stat_activity WHERE datname = current_database() "
                    "AND application_name = 'sixplustwo'",
                )
            )
        return insert_many(self, table, columns, rows, constants)

    monkeypatch.setattr(Database, "insert_many", watched)
    assert json.loads(cli("db", "copy", "--to", target, "--format", "json").stdout)["ok"]
    assert seen and all(query.upper().startswith("FETCH") for query in seen), seen
