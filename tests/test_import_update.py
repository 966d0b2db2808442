"""owner import --update changes only what the file says: the columns it has, the cells it
fills, for the flats (or owner ids) it names; a dry run counts what would change."""

from __future__ import annotations

import pytest

from dbsql import erase, sql
from sixplustwo.io.background import can_fork

LEDGER = "姓名,手机,项目,房号,来访日期,认购日期,签约日期,合同交付日期,实际交付日期,生日,管家\n"


def _ledger(rows: int = 8) -> str:
    """A first import: every flat visited, the first three with a contract delivery date."""
    return LEDGER + "".join(
        f"客户{i},139{i:08d},HY1,1-{101 + i},2023-03-0{1 + i % 9},,2023-05-{10 + i % 18},"
        f"{'2024-06-30' if i < 3 else ''},,,管家甲\n"
        for i in range(rows)
    )


def _stored(db_path) -> list[tuple]:
    return sql(
        db_path,
        "SELECT id, name, phone, unit, visited_on, signed_on, delivery_date, delivered_on, "
        "birthday, butler, referred_by FROM owner ORDER BY id",
    )


@pytest.fixture
def ledger(cli, project, tmp_path):
    path = tmp_path / "ledger.csv"
    path.write_text(_ledger(), encoding="utf-8")
    cli("owner", "import", path)
    return path


def test_a_file_without_some_columns_leaves_them_alone(cli, cli_json, ledger, tmp_path, db_path):
    """The ledger's visit and contract delivery dates survive an update from a file that has
    neither column (they were all erased before)."""
    before = _stored(db_path)
    assert sum(row[4] is not None for row in before) == 8
    assert sum(row[6] is not None for row in before) == 3
    path = tmp_path / "signed.csv"
    path.write_text(
        "姓名,手机,项目,房号,签约日期,实际交付日期,管家\n"
        + "".join(
            f"客户{i},139{i:08d},HY1,1-{101 + i},2023-06-01,2024-07-0{1 + i},管家乙\n"
            for i in range(8)
        ),
        encoding="utf-8",
    )
    assert cli_json("owner", "import", path, "--update")["updated"] == 8
    after = _stored(db_path)
    assert [row[4] for row in after] == [row[4] for row in before]  # visits kept
    assert [row[6] for row in after] == [row[6] for row in before]  # delivery dates kept
    assert {row[5] for row in after} == {"2023-06-01"}
    assert [row[7] for row in after] == [f"2024-07-0{1 + i}" for i in range(8)]
    assert {row[9] for row in after} == {"管家乙"}


def test_the_flat_and_one_column_reassign_butlers(cli, cli_json, ledger, tmp_path, db_path):
    before = _stored(db_path)
    path = tmp_path / "butlers.csv"
    path.write_text("项目,房号,管家\nHY1,1-101,管家乙\n华苑一期,1-102,管家丙\n", encoding="utf-8")
    summary = cli_json("owner", "import", path, "--update")
    assert summary["updated"] == 2 and summary["imported"] == 0
    after = _stored(db_path)
    assert [row[9] for row in after[:3]] == ["管家乙", "管家丙", "管家甲"]
    assert [row[:9] for row in after] == [row[:9] for row in before]  # nothing else moved
    # Without --update the same file is refused: a new owner needs a name and a phone.
    refused = cli("owner", "import", path, ok=False)
    assert refused.exit_code == 1 and "header lacks 姓名 (accepted: 姓名," in refused.stderr


def test_empty_cells_keep_the_stored_value_unless_clear_empty(cli, ledger, tmp_path, db_path):
    path = tmp_path / "partial.csv"
    path.write_text("项目,房号,合同交付日期,管家\nHY1,1-101,,\nHY1,1-102,2024-09-30,\n", "utf-8")
    cli("owner", "import", path, "--update")
    kept = _stored(db_path)
    assert [(row[6], row[9]) for row in kept[:2]] == [
        ("2024-06-30", "管家甲"),
        ("2024-09-30", "管家甲"),
    ]
    cli("owner", "import", path, "--update", "--clear-empty")
    cleared = _stored(db_path)
    assert [(row[6], row[9]) for row in cleared[:2]] == [(None, None), ("2024-09-30", None)]
    assert cleared[2:] == kept[2:]
    # A name every owner has cannot be cleared; --clear-empty is for updates only.
    path.write_text("项目,房号,姓名\nHY1,1-101,\n", "utf-8")
    refused = cli("owner", "import", path, "--update", "--clear-empty", ok=False)
    assert "row 2, column 姓名: is required" in refused.stderr
    assert cli("owner", "import", path, "--update").exit_code == 0  # kept, not cleared
    assert (
        "--clear-empty works with --update"
        in cli("owner", "import", path, "--clear-empty", ok=False).stderr
    )
    assert _stored(db_path) == cleared


def test_dry_run_counts_the_values_that_would_change(cli, cli_json, ledger, tmp_path, db_path):
    before = _stored(db_path)
    path = tmp_path / "dry.csv"
    path.write_text(
        "项目,房号,姓名,手机,管家,来访日期\n"
        "HY1,1-101,,,管家乙,\n"
        "HY1,1-102,,,管家乙,2023-03-02\n"  # the visit it already has
        "HY1,1-103,,,管家甲,2023-01-01\n"
        "HY1,9-901,新客户,13700001111,管家乙,\n",
        encoding="utf-8",
    )
    result = cli("owner", "import", path, "--update", "--dry-run")
    lines = result.stdout.splitlines()
    assert "4 rows valid (dry run, nothing written)" in lines[0]
    assert lines[1:] == [
        "new owners: 1",
        "姓名: 0 changed",
        "手机: 0 changed",
        "管家: 2 changed",
        "来访日期: 1 changed",
        "summary: 1 new, 3 updated, 0 unchanged, 0 set aside",
    ]
    summary = cli_json("owner", "import", path, "--update", "--dry-run")
    assert summary == {
        "rows": 4,
        "imported": 0,
        "updated": 0,
        "dry_run": True,
        "changes": {"new": 1, "name": 0, "phone": 0, "butler": 2, "visited": 1},
        "forgotten": 0,  # rows naming owners erased on request, left alone
        "new": 1,
        "changed": 3,
        "unchanged": 0,
        "set_aside": 0,
        "ignored_columns": [],
    }
    assert _stored(db_path) == before
    written = cli_json("owner", "import", path, "--update")
    assert (written["imported"], written["updated"]) == (1, 3)
    assert written["changes"] == summary["changes"]


def test_the_journey_is_checked_on_the_merged_owner_and_nothing_half_writes(
    cli, ledger, tmp_path, db_path
):
    before = _stored(db_path)
    path = tmp_path / "bad.csv"
    path.write_text(
        "项目,房号,管家,签约日期,出生日期\n"
        "HY1,1-101,管家乙,,\n"  # fine alone
        "HY1,1-102,,2023-01-01,\n"  # before the stored visit (2023-03-02)
        "HY1,1-103,,,2999-01-01\n"  # a birthday in the future
        "HY1,1-104,,2023-05-01,\n",  # before its stored contract delivery? no: after visit
        encoding="utf-8",
    )
    result = cli("owner", "import", path, "--update", ok=False)
    assert result.exit_code == 1
    assert "row 3, column 签约日期: signed 2023-01-01 is before visited 2023-03-02" in result.stderr
    assert "row 4, column 出生日期: birthday 2999-01-01 is in the future" in result.stderr
    assert "2 bad row(s); nothing imported" in result.stderr
    assert _stored(db_path) == before


def test_a_new_flat_in_an_update_file_still_needs_a_name_and_phone(cli, ledger, tmp_path, db_path):
    before = _stored(db_path)
    path = tmp_path / "new.csv"
    path.write_text("项目,房号,管家\nHY1,1-101,管家乙\nHY1,9-999,管家乙\n", "utf-8")
    result = cli("owner", "import", path, "--update", ok=False)
    assert (
        "row 3, column 姓名: is required (no owner in flat HY1 9-999 yet: the row adds one)"
        in result.stderr
    )
    assert _stored(db_path) == before
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("项目,房号,管家\nXX9,1-101,管家乙\n", "utf-8")
    assert (
        "row 2, project: unknown project 'XX9'"
        in cli("owner", "import", unknown, "--update", ok=False).stderr
    )


def test_owners_named_by_id(cli, cli_json, ledger, tmp_path, db_path):
    path = tmp_path / "ids.csv"
    path.write_text("业主编号,管家\n1,管家乙\no2,管家丙\n", "utf-8")
    assert cli_json("owner", "import", path, "--update")["updated"] == 2
    assert [row[9] for row in _stored(db_path)[:3]] == ["管家乙", "管家丙", "管家甲"]
    # An id on record only; a flat given beside it must be the owner's; an id twice.
    path.write_text(
        "id,项目,房号,管家\n99,,,管家丁\n1,HY1,1-102,管家丁\n2,HY1,1-102,管家丁\n2,,,管家戊\n",
        "utf-8",
    )
    result = cli("owner", "import", path, "--update", ok=False)
    assert "row 2, column id: no owner with id 99" in result.stderr
    assert "row 3: owner 1 lives in HY1 1-101, not HY1 1-102" in result.stderr
    assert "row 5: owner 2 is also on row 4" in result.stderr
    # Without --update an id column is not read, and said so.
    plain = tmp_path / "plain.csv"
    plain.write_text("编号,姓名,手机,项目,房号\n5,新客户,13700001111,HY1,9-901\n", "utf-8")
    added = cli("owner", "import", plain)
    assert "sixplustwo: warning: ignored columns: 编号" in added.stderr


def test_the_first_referrer_wins_and_must_exist(cli, ledger, tmp_path, db_path):
    path = tmp_path / "referrals.csv"
    path.write_text("项目,房号,推荐人\nHY1,1-102,o1\n", "utf-8")
    cli("owner", "import", path, "--update")
    path.write_text("项目,房号,推荐人\nHY1,1-102,o3\n", "utf-8")
    cli("owner", "import", path, "--update")
    assert _stored(db_path)[1][10] == 1
    path.write_text("项目,房号,推荐人\nHY1,1-103,o77\n", "utf-8")
    refused = cli("owner", "import", path, "--update", ok=False)
    assert "row 2, column 推荐人: no owner 77" in refused.stderr


def test_a_forgotten_owner_is_not_updated(cli, ledger, tmp_path, db_path):
    cli("owner", "forget", "1", "--yes")
    before = _stored(db_path)
    path = tmp_path / "forgotten.csv"
    path.write_text("业主编号,管家,姓名\n1,管家乙,王伟\n2,管家乙,\n", "utf-8")
    cli("owner", "import", path, "--update")
    after = _stored(db_path)
    assert after[0] == before[0]
    assert after[1][9] == "管家乙"


@pytest.mark.skipif(not can_fork(), reason="no fork on this platform")
@pytest.mark.parametrize("bad", [False, True])
def test_the_background_reader_updates_the_same(cli, project, tmp_path, db_path, monkeypatch, bad):
    from sixplustwo.cli import owners_import

    ledger = tmp_path / "ledger.csv"
    ledger.write_text(_ledger(300), encoding="utf-8")
    update = tmp_path / "update.csv"
    body = "项目,房号,管家,实际交付日期\n" + "".join(
        f"HY1,1-{101 + i},管家{i % 3},{'2024-07-01' if i % 2 else ''}\n" for i in range(300)
    )
    if bad:
        body = body.replace("HY1,1-108,管家1,2024-07-01", "HY1,1-108,管家1,2023-01-01")
        body += "HY1,1-105,,\nHY1,9-999,管家乙,\n"
    update.write_text(body, encoding="utf-8")
    outcomes = []
    for threshold in (10**9, 1):  # inline, then in the background
        erase(db_path)
        cli("project", "add", "HY1", "--name", "华苑一期", "--delivery-date", "2024-06-30")
        cli("owner", "import", ledger)
        monkeypatch.setattr(owners_import, "_BACKGROUND_FROM_ROWS", threshold)
        result = cli("owner", "import", update, "--update", ok=False)
        dry = cli("owner", "import", update, "--update", "--dry-run", ok=False)
        outcomes.append((result.exit_code, result.stderr, dry.stdout, _stored(db_path)))
    assert outcomes[0] == outcomes[1]
    if bad:
        errors = outcomes[1][1].splitlines()
        assert errors[:2] == [
            "row 302: owner 5 is also on row 6",
            "row 303, column 姓名: is required (no owner in flat HY1 9-999 yet: the row adds one)",
        ]
        assert errors[2].startswith("row 9, column 实际交付日期: delivered 2023-01-01 is before")
    else:
        stored = outcomes[1][3]
        assert [row[9] for row in stored[:4]] == ["管家0", "管家1", "管家2", "管家0"]
        assert [row[7] for row in stored[:2]] == [None, "2024-07-01"]
        assert all(row[4] is not None for row in stored)  # visits kept
        assert "管家: 0 changed" in outcomes[1][2]  # the dry run after the update


def test_a_large_update_writes_each_row_its_values_and_undo_takes_them_back(
    cli, cli_json, project, tmp_path, db_path
):
    """Hundreds of owners in one update, written in bulk (on PostgreSQL the rows are COPYed
    into a temporary table and written by one UPDATE): each owner gets its own row's values,
    an emptied cell (--clear-empty) is stored empty, the rest is left, and undo takes it all
    back."""
    count = 400
    ledger = tmp_path / "ledger.csv"
    ledger.write_text(_ledger(count), encoding="utf-8")
    cli("owner", "import", ledger)
    before = _stored(db_path)
    butlers = ["" if i % 3 == 0 else f"管家{i % 7}" for i in range(count)]
    deliveries = [f"2024-0{1 + i % 9}-15" if i % 2 else "" for i in range(count)]
    path = tmp_path / "update.csv"
    path.write_text(
        "项目,房号,管家,合同交付日期\n"
        + "".join(f"HY1,1-{101 + i},{butlers[i]},{deliveries[i]}\n" for i in range(count)),
        encoding="utf-8",
    )
    summary = cli_json("owner", "import", path, "--update", "--clear-empty")
    assert summary["updated"] == count
    after = _stored(db_path)
    assert [row[9] for row in after] == [butler or None for butler in butlers]
    assert [row[6] for row in after] == [delivery or None for delivery in deliveries]
    untouched = [(*row[:6], *row[7:9], row[10]) for row in after]
    assert untouched == [(*row[:6], *row[7:9], row[10]) for row in before]
    cli("undo")
    assert _stored(db_path) == before


def test_a_large_update_with_a_bad_row_names_it_and_writes_nothing(cli, project, tmp_path, db_path):
    count = 400
    ledger = tmp_path / "ledger.csv"
    ledger.write_text(_ledger(count), encoding="utf-8")
    cli("owner", "import", ledger)
    before = _stored(db_path)
    path = tmp_path / "update.csv"
    referrers = [f"o{count - i}" for i in range(count)]
    referrers[250] = "o9999"
    path.write_text(
        "项目,房号,管家,推荐人\n"
        + "".join(f"HY1,1-{101 + i},管家乙,{referrers[i]}\n" for i in range(count)),
        encoding="utf-8",
    )
    refused = cli("owner", "import", path, "--update", ok=False)
    assert refused.exit_code == 1
    assert "row 252, column 推荐人: no owner 9999" in refused.stderr
    assert "1 bad row(s); nothing imported" in refused.stderr
    assert _stored(db_path) == before


@pytest.mark.parametrize("size", [3, 300])
def test_the_gateway_bulk_update_writes_nulls_and_only_where_asked(
    cli, project, tmp_path, db_path, size
):
    """``Database.update_many`` with a few rows (a statement each) and with many (on
    PostgreSQL COPYed and written by one UPDATE … FROM): each row its values, None as NULL,
    an assignment's expression (COALESCE) applied, only the rows ``where`` admits; a key
    given twice: the last row wins."""
    from sixplustwo.store.database import open_database

    ledger = tmp_path / "ledger.csv"
    ledger.write_text(_ledger(size), encoding="utf-8")
    cli("owner", "import", ledger)
    cli("owner", "forget", "2", "--yes")
    before = {row[0]: row for row in _stored(db_path)}
    ids = sorted(before)
    butler = {i: None if i % 4 == 0 else f"管家{i}" for i in ids}
    delivery = {i: None if i % 2 else f"2025-01-{1 + i % 28:02d}" for i in ids}
    with open_database(db_path, write=True) as db:
        db.update_many(
            "owner",
            ["butler = {}", "delivery_date = COALESCE({}, delivery_date)"],
            "id",
            [(butler[i], delivery[i], i) for i in ids],
            where="forgotten_on IS NULL",
        )
    after = {row[0]: row for row in _stored(db_path)}
    for i in ids:
        if i == 2:  # forgotten: the where clause leaves it
            assert after[i] == before[i]
            continue
        assert after[i][9] == butler[i]
        assert after[i][6] == (delivery[i] or before[i][6])
        assert after[i][:6] == before[i][:6] and after[i][7:9] == before[i][7:9]
    with open_database(db_path, write=True) as db:
        rows = [("管家甲", i) for i in ids] + [("管家乙", ids[0])]
        db.update_many("owner", ["butler = {}"], "id", rows)
    assert [row[9] for row in _stored(db_path)] == ["管家乙"] + ["管家甲"] * (len(ids) - 1)
    # A row that breaks a constraint fails them all, worded as a row's own UPDATE was.
    from sixplustwo.domain.errors import Conflict

    rows = [(ids[0], i) for i in ids[1:]] + [(9999, ids[0])]
    with pytest.raises(Conflict) as refused, open_database(db_path, write=True) as db:
        db.update_many("owner", ["referred_by = {}"], "id", rows)
    assert refused.value.msgid.startswith("it names an owner, project or case that does not")
    assert [row[10] for row in _stored(db_path)] == [before[i][10] for i in ids]
