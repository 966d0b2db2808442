"""Membership tiers (seed 004 会员俱乐部): 铂金卡/金卡/银卡/蓝卡 from flats owned and referrals."""

from __future__ import annotations

import pytest

from dbsql import is_server
from sixplustwo.domain.playbook import DEFAULT_TIERS, membership_tier


def test_default_tiers_best_first():
    assert membership_tier(DEFAULT_TIERS, 0, 5) is None  # not a customer with a flat yet
    assert membership_tier(DEFAULT_TIERS, 1, 0) == "蓝卡"
    assert membership_tier(DEFAULT_TIERS, 1, 1) == "银卡"
    assert membership_tier(DEFAULT_TIERS, 2, 0) == "金卡"
    assert membership_tier(DEFAULT_TIERS, 1, 2) == "金卡"
    assert membership_tier(DEFAULT_TIERS, 3, 0) == "铂金卡"
    assert membership_tier(DEFAULT_TIERS, 1, 3) == "铂金卡"


def _add(cli_json, name, unit, phone, *extra):
    added = cli_json("owner", "add", "--name", name, "--phone", phone, "--project", "HY1",
                     "--unit", unit, *extra)  # fmt: skip
    return added["id"]


def test_tier_on_owner_and_as_a_due_filter(cli, cli_json, project, tmp_path, monkeypatch):
    signed = ("--signed", "2024-01-02", "--delivered", "2024-06-30")
    two_flats = _add(cli_json, "王伟", "1-101", "13812345678", *signed)
    _add(cli_json, "王伟", "1-102", "13812345678", *signed)
    referrer = _add(cli_json, "李娜", "2-101", "13900001111", *signed)
    _add(cli_json, "张敏", "2-102", "13700002222", *signed, "--referred-by", str(referrer))
    prospect = _add(cli_json, "刘强", "3-101", "13600003333", "--visited", "2024-09-20")
    tiers = {o["id"]: o["membership"] for o in cli_json("owner", "list")}
    assert tiers[two_flats] == "金卡" and tiers[referrer] == "银卡" and tiers[prospect] is None
    monkeypatch.setenv("SIXPLUSTWO_LANG", "zh")  # the screen as a Chinese team reads it
    assert "会员：金卡" in cli("owner", "show", str(two_flats)).stdout
    monkeypatch.setenv("SIXPLUSTWO_LANG", "en")
    day = "2024-10-01"  # the 3-month revisits are open for every delivered owner
    gold = cli_json("due", "--date", day, "--membership", "金卡")
    assert {r["owner"] for r in gold} == {"王伟"} and len(gold) >= 2
    everyone = {r["owner"] for r in cli_json("due", "--date", day)}
    assert {"王伟", "李娜", "张敏"} <= everyone
    refused = cli("due", "--membership", "钻石卡", ok=False)
    assert refused.exit_code == 1 and "tiers are 铂金卡, 金卡, 银卡, 蓝卡" in refused.stderr
    book = tmp_path / "club.toml"
    book.write_text('[membership."VIP"]\nflats = 2\n\n[membership."会员"]\nflats = 1\n', "utf-8")
    assert {r["owner"] for r in cli_json("--playbook", book, "due", "--date", day,
                                          "--membership", "VIP")} == {"王伟"}  # fmt: skip
    out = tmp_path / "gold.csv"
    cli("export", "--date", day, "--format", "csv", "--out", out, "--membership", "金卡")
    assert "李娜" not in out.read_text("utf-8-sig") and "王伟" in out.read_text("utf-8-sig")


def test_owner_list_reads_referrals_by_index_whatever_the_statistics(
    cli, cli_json, project, db_path, sqlite_statements
):
    """After an import of a million owners nobody referred, ANALYZE counts the NULL referrer
    as one value a million rows wide; the membership query then scanned every owner for each
    listed one (26 s for `owner list`). The referrals must be read through their index."""
    import sqlite3

    if is_server(db_path):
        pytest.skip("SQLite's query planner and statistics: a SQLite database only")

    signed = ("--signed", "2024-01-02", "--delivered", "2024-06-30")
    referrer = _add(cli_json, "李娜", "2-101", "13900001111", *signed)
    _add(cli_json, "张敏", "2-102", "13700002222", *signed, "--referred-by", str(referrer))
    with sqlite3.connect(db_path) as connection:  # the statistics of benchmarks/data/1000000
        connection.execute("ANALYZE")
        connection.execute("DELETE FROM sqlite_stat1 WHERE tbl = 'owner'")
        connection.executemany(
            "INSERT INTO sqlite_stat1 VALUES ('owner', ?, ?)",
            [("ix_owner_referred_by", "1000000 1000000"), ("ix_owner_phone", "1000000 1"),
             ("sqlite_autoindex_owner_1", "1000000 50000 1")],
        )  # fmt: skip
    statements = sqlite_statements  # from here on
    statements.clear()
    tiers = {o["id"]: o["membership"] for o in cli_json("owner", "list")}
    assert tiers[referrer] == "银卡"  # still counted
    with sqlite3.connect(db_path) as connection:
        plans = {
            sql: [row[-1] for row in connection.execute("EXPLAIN QUERY PLAN " + sql)]
            for sql in statements
            if "referred_by = " in sql
        }
    assert plans
    scans = {sql: plan for sql, plan in plans.items() if any("SCAN" in p for p in plan)}
    assert not scans, scans
