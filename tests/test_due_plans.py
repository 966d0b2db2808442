"""The morning list's one-action rules are answered through the index of their anchor column,
also when most owners leave that column empty (the partial indexes of migration 0018 hold
only filled values: a query must still find its way to them)."""

from __future__ import annotations

import sqlite3

import pytest

from dbsql import is_server


def test_each_anchor_is_read_through_its_index(cli, project, tmp_path, db_path, sqlite_statements):
    if is_server(db_path):
        pytest.skip("EXPLAIN QUERY PLAN and sqlite_stat1 are SQLite's")
    # 3,000 owners, most with only a visit on record (no subscription, signing, contract
    # delivery date, handover, birthday or referrer), as a sales opening leaves them.
    lines = ["姓名,手机,项目,房号,来访日期,认购日期,签约日期,合同交付日期,实际交付日期,生日"]
    for i in range(3000):
        later = i % 50 == 0
        dates = ("2024-05-01", "2024-05-20", "2024-06-01", "2025-06-30", "2025-07-02",
                 "1980-03-04") if later else ("2024-05-01", "", "", "", "", "")  # fmt: skip
        lines.append(f"客户{i},139{i:08d},HY1,{i}-1-101," + ",".join(dates))
    path = tmp_path / "ledger.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cli("owner", "import", str(path))
    with sqlite3.connect(db_path) as connection:
        connection.execute("ANALYZE")

    statements = sqlite_statements  # from here on
    statements.clear()
    cli("due", "--date", "2025-07-09", "--format", "json")
    anchors = ("subscribed_on", "signed_on", "delivery_date", "delivered_on", "visited_on")
    checked = {}
    with sqlite3.connect(db_path) as connection:
        for sql in statements:
            for column in anchors:
                if f"o.{column} BETWEEN" in sql and sql.startswith(f"SELECT o.{column}, "):
                    plan = [row[-1] for row in connection.execute("EXPLAIN QUERY PLAN " + sql)]
                    checked[column] = plan
            if "o.birthday_md IN (" in sql and "SELECT e." not in sql:
                plan = [row[-1] for row in connection.execute("EXPLAIN QUERY PLAN " + sql)]
                checked["birthday_md"] = plan
    assert set(checked) == {*anchors, "birthday_md"}
    for column, plan in checked.items():
        assert any(f"ix_owner_{column}" in step for step in plan), (column, plan)
        assert not any(step.startswith("SCAN o") for step in plan), (column, plan)


def test_the_report_finds_who_wants_no_greetings_through_their_index(
    cli, project, tmp_path, db_path, sqlite_statements
):
    """The report counts festival greetings as every signed owner less those who want none,
    found through an index that holds only them (migration 0019): never a walk over every
    owner, and a large import writes no entries into it."""
    if is_server(db_path):
        pytest.skip("EXPLAIN QUERY PLAN and sqlite_stat1 are SQLite's")
    lines = ["姓名,手机,项目,房号,签约日期"]
    lines += [f"客户{i},139{i:08d},HY1,{i}-1-101,2024-06-01" for i in range(2000)]
    path = tmp_path / "ledger.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cli("owner", "import", str(path))
    cli("owner", "edit", "7", "--no-greetings")
    with sqlite3.connect(db_path) as connection:
        entries = connection.execute(
            "SELECT COUNT(*) FROM owner INDEXED BY ix_owner_no_greetings "
            "WHERE wants_greetings = FALSE"
        ).fetchone()[0]
        connection.execute("ANALYZE")
    assert entries == 1
    statements = sqlite_statements
    statements.clear()
    cli("report", "--from", "2026-01-01", "--to", "2026-03-31", "--format", "json")
    opted_out = [sql for sql in statements if "o.wants_greetings = FALSE" in sql]
    assert opted_out
    with sqlite3.connect(db_path) as connection:
        for sql in opted_out:
            plan = [row[-1] for row in connection.execute("EXPLAIN QUERY PLAN " + sql)]
            assert any("ix_owner_no_greetings" in step for step in plan), plan
