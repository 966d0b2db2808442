"""Finding a customer: ``owner find`` by name, pinyin, initials, phone, last four digits and
flat; an owner named by phone or flat where an id is asked for."""

from __future__ import annotations

import pytest

from dbsql import is_server, sql, stored_text


@pytest.fixture
def owners(cli, project):
    """Three customers: two 王 with the same pinyin, one surname read as a surname (单 shan)."""
    return _add_owners(cli, project)


def _add_owners(cli, project) -> dict[str, int]:
    add = [
        ("王伟", "13812345678", "3-1-1201", "王磊"),
        ("单丽", "13912341234", "3幢1单元1202室", "李娜"),
        ("王维", "13712345678", "5-2-301", "王磊"),
    ]
    ids = {}
    for name, phone, unit, butler in add:
        result = cli("owner", "add", "--name", name, "--phone", phone, "--project", project,
                     "--unit", unit, "--butler", butler)  # fmt: skip
        ids[name] = int(result.stdout)
    return ids


def found(cli_json, *args) -> list[str]:
    return [row["name"] for row in cli_json("owner", "find", *args)]


def test_by_name_pinyin_and_initials(cli_json, owners):
    assert found(cli_json, "王伟") == ["王伟"]
    assert found(cli_json, "王") == ["王伟", "王维"]
    assert found(cli_json, "wangwei") == ["王伟", "王维"]  # the same sounds
    assert found(cli_json, "WangWei") == ["王伟", "王维"]
    assert found(cli_json, "ww") == ["王伟", "王维"]
    assert found(cli_json, "wangw") == ["王伟", "王维"]


def test_a_surname_is_read_as_a_surname(cli_json, owners):
    assert found(cli_json, "shanli") == ["单丽"]
    assert found(cli_json, "sl") == ["单丽"]
    assert found(cli_json, "danli") == []


def test_by_phone_whole_or_last_four(cli_json, owners):
    assert found(cli_json, "13812345678") == ["王伟"]
    assert found(cli_json, "138-1234-5678") == ["王伟"]
    assert found(cli_json, "1234") == ["单丽"]
    assert found(cli_json, "5678") == ["王伟", "王维"]
    assert found(cli_json, "*5678") == ["王伟", "王维"]


def test_a_server_database_in_a_languages_collation_finds_the_same(
    cli, cli_json, monkeypatch, pg_server
):
    """A server database made with a language's collation, which ignores punctuation (as
    en_US.UTF-8 does; here ICU's, which needs no locale installed): its text is still
    compared byte by byte, as on SQLite, so a building's flats are still found by their
    prefix ('3-1' found nothing)."""
    name = "sorted_by_words"
    try:
        pg_server.admin(f"CREATE DATABASE {name} TEMPLATE template0 LOCALE_PROVIDER icu "
                        "ICU_LOCALE 'en-US-u-ka-shifted' LOCALE 'C'")  # fmt: skip
    except Exception as exc:  # a server built without ICU
        pytest.skip(f"no ICU collation on the test server: {exc}")
    try:
        monkeypatch.setenv("SIXPLUSTWO_DB", pg_server.url(name))
        cli("project", "add", "HY1", "--name", "华苑一期", "--delivery-date", "2024-06-30")
        test_by_flat_in_either_spelling(cli_json, _add_owners(cli, "HY1"))
        assert found(cli_json, "wangwei") == ["王伟", "王维"]
    finally:
        pg_server.drop_database(name)


def test_by_flat_in_either_spelling(cli_json, owners):
    assert found(cli_json, "3-1-1201") == ["王伟"]
    assert found(cli_json, "3幢1单元1201") == ["王伟"]
    assert found(cli_json, "3栋1单元1201室") == ["王伟"]
    assert found(cli_json, "3-1-1202") == ["单丽"]  # stored as 3幢1单元1202室
    assert found(cli_json, "3-1") == ["王伟", "单丽"]  # the whole entrance
    assert found(cli_json, "03-01-1201") == ["王伟"]  # leading zeros are no part of a flat


def test_only_a_project(cli, cli_json, owners):
    cli("project", "add", "XLY", "--name", "西林苑", "--delivery-date", "2025-06-30")
    cli("owner", "add", "--name", "王伟", "--phone", "13612345678", "--project", "XLY",
        "--unit", "1-1-101")  # fmt: skip
    assert len(found(cli_json, "王伟")) == 2
    rows = cli_json("owner", "find", "王伟", "--project", "XLY")
    assert [(row["project"], row["unit"]) for row in rows] == [("XLY", "1-1-101")]


def test_output_is_owner_lists_with_phones_masked(cli, cli_json, owners):
    listed = {row["id"]: row for row in cli_json("owner", "list")}
    for row in cli_json("owner", "find", "ww"):
        assert row == listed[row["id"]]
        assert "****" in row["phone"]
    table = cli("owner", "find", "wangwei").stdout
    assert "王伟" in table and "138****5678" in table and "13812345678" not in table
    csv_text = cli("owner", "find", "ww", "--format", "csv").stdout
    assert csv_text.splitlines()[0].startswith("id,name,phone,project,unit,stage,butler")


def test_nothing_found_is_no_error(cli, cli_json, owners):
    result = cli("owner", "find", "zzz")
    assert result.exit_code == 0
    assert "no customer matches zzz" in result.stdout
    assert cli_json("owner", "find", "zzz") == []


def test_show_event_and_case_take_a_phone_or_flat(cli, cli_json, owners):
    wang = owners["王伟"]
    assert cli_json("owner", "show", "13812345678")["id"] == wang
    assert cli_json("owner", "show", "3幢1单元1201")["id"] == wang
    assert cli_json("owner", "show", "*1234")["id"] == owners["单丽"]
    assert cli_json("owner", "show", str(wang))["id"] == wang  # an id stays an id
    cli("event", "add", "3-1-1201", "call", "--date", "2024-01-05")
    assert [e["kind"] for e in cli_json("owner", "show", str(wang))["events"]] == ["call"]
    case = cli_json("case", "open", "138-1234-5678", "--kind", "repair", "--note", "漏水")
    assert [c["id"] for c in cli_json("owner", "show", str(wang))["cases"]] == [case["id"]]


def test_an_ambiguous_phone_or_flat_is_refused(cli, owners):
    result = cli("owner", "show", "*5678", ok=False)
    assert result.exit_code == 1
    assert "matches 2 customers" in result.stderr and "owner find" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    result = cli("event", "add", "3-1", "call", ok=False)
    assert result.exit_code == 1 and "matches 2 customers" in result.stderr
    result = cli("owner", "show", "9-9-999", ok=False)
    assert result.exit_code == 1 and "no owner" in result.stderr


def test_import_and_update_fill_the_keys(cli, cli_json, project, tmp_path):
    first = tmp_path / "owners.csv"
    first.write_text(
        "姓名,手机,项目,房号\n曾强,13800000001,HY1,8栋2单元1501\n李娜,13800000002,HY1,8-2-1502\n",
        encoding="utf-8",
    )
    cli("owner", "import", first)
    assert found(cli_json, "zengqiang") == ["曾强"]
    assert found(cli_json, "8-2-1501") == ["曾强"]
    assert found(cli_json, "0002") == ["李娜"]
    update = tmp_path / "update.csv"
    # By its id: a row keyed by the flat with another phone would change nothing (two people?).
    update.write_text("编号,姓名,手机\n2,赵敏,13900009999\n", encoding="utf-8")
    cli("owner", "import", update, "--update")
    assert found(cli_json, "ln") == []
    assert found(cli_json, "zm") == ["赵敏"]
    assert found(cli_json, "9999") == ["赵敏"]
    assert found(cli_json, "0002") == []


def test_edit_changes_the_keys(cli, cli_json, owners):
    cli("owner", "edit", str(owners["王伟"]), "--name", "张伟", "--phone", "13600001111")
    assert found(cli_json, "zw") == ["张伟"]
    assert found(cli_json, "1111") == ["张伟"]
    assert found(cli_json, "王") == ["王维"]


def test_forget_erases_the_keys(cli, cli_json, owners, db_path):
    shan = owners["单丽"]
    cli("owner", "forget", str(shan), "--yes")
    assert found(cli_json, "shanli") == []
    assert found(cli_json, "3-1-1202") == []
    assert found(cli_json, "1234") == []
    keys = sql(db_path, "SELECT name_pinyin, name_initials, unit_key FROM owner WHERE id = ?",
               (shan,))  # fmt: skip
    assert keys == [(None, None, None)]
    if is_server(db_path):
        data = stored_text(db_path)
    else:
        data = b"".join(p.read_bytes() for p in db_path.parent.glob(db_path.name + "*"))
    for erased in ("shanli", "3-1-1202"):
        assert erased.encode() not in data


def test_the_migration_fills_keys_for_owners_on_record(cli, cli_json, owners, db_path):
    # A database from before the search keys: no columns, no record of the migration (nor of
    # the flat key's unique index, 0022, which came after).
    sql(db_path, "DROP INDEX ux_owner_flat")
    sql(db_path, "DELETE FROM schema_migration WHERE name = '0022_owner_flat_key'")
    for column in ("name_pinyin", "unit_key"):
        sql(db_path, f"DROP INDEX ix_owner_{column}")
    sql(db_path, "DROP INDEX ix_owner_phone")
    sql(db_path, "CREATE INDEX ix_owner_phone ON owner (phone)")  # as 0006 made it
    for column in ("name_pinyin", "name_initials", "unit_key"):
        sql(db_path, f"ALTER TABLE owner DROP COLUMN {column}")
    sql(db_path, "DELETE FROM schema_migration WHERE name = '0013_owner_search'")
    assert found(cli_json, "ww") == ["王伟", "王维"]  # a reading command migrates
    assert found(cli_json, "3-1-1202") == ["单丽"]
    assert found(cli_json, "1234") == ["单丽"]


def test_find_uses_the_indexes(cli, owners, db_path):
    from sixplustwo.store.database import open_database
    from sixplustwo.store.search import find_owner_ids

    plans: list[str] = []
    with open_database(db_path, write=False) as db:
        real = db.query
        _no_scan_unless_forced(db)

        def explain(statement, params=None):
            plans.append(_plan(db, statement, params, query=real))
            return real(statement, params)

        db.query = explain  # type: ignore[method-assign]
        for text in ("王伟", "ww", "5678", "13812345678", "3-1-1201"):
            find_owner_ids(db, text)
    assert plans and all(_uses_an_index(plan) for plan in plans), plans


def _no_scan_unless_forced(db) -> None:
    """On the server, a scan only where no index serves (a handful of rows would make the
    planner scan them anyway)."""
    if db.backend.NAME == "postgres":
        db.connection.execute("SET LOCAL enable_seqscan = off")


def _plan(db, statement: str, params, query=None) -> str:
    query = query or db.query
    if db.backend.NAME == "postgres":
        return "\n".join(row[0] for row in query("EXPLAIN " + statement, params))
    return "\n".join(row[-1] for row in query("EXPLAIN QUERY PLAN " + statement, params))


def _uses_an_index(plan: str) -> bool:
    if "Seq Scan" in plan:
        return False
    lines = plan.splitlines()
    return all("USING INDEX" in line or "USING COVERING INDEX" in line for line in lines) or (
        "Index" in plan  # PostgreSQL: Index Scan, Index Only Scan, Bitmap Index Scan
    )


@pytest.mark.parametrize("width", [80, 120])
def test_find_fits_the_width(cli, cli_json, db_path, monkeypatch, width):
    from rich.cells import cell_len

    cli("--db", db_path, "demo", "--format", "json")
    monkeypatch.setenv("COLUMNS", str(width))
    everyone = cli_json("owner", "list", "--limit", "0")
    text = everyone[0]["unit"].split("-")[0]  # a building: several customers
    rows = cli_json("owner", "find", text)
    assert len(rows) > 1
    lines = cli("owner", "find", text).stdout.splitlines()
    assert len(lines) == len(rows) + 1  # a header, then one line a customer
    assert all(cell_len(line) <= width for line in lines), max(lines, key=cell_len)
    for row, line in zip(rows, lines[1:], strict=True):
        assert str(row["id"]) in line and row["name"] in line and row["unit"] in line


def test_membership_counts_flats_by_phone_through_the_index(cli, project, db_path):
    from sixplustwo.store.database import open_database

    with open_database(db_path, write=False) as db:
        _no_scan_unless_forced(db)
        plan = _plan(
            db,
            "SELECT COUNT(*) FROM owner o JOIN owner f ON f.phone = o.phone "
            "AND SUBSTR(f.phone, LENGTH(f.phone) - 3) = SUBSTR(o.phone, LENGTH(o.phone) - 3) "
            "WHERE o.id = 1",
            None,
        )
    assert "ix_owner_phone" in plan, plan


def test_many_names_are_read_alike_in_bulk_and_one_by_one():
    """An import reads names through translate tables that fill themselves as characters are
    seen (and a cache of names); they give the keys the character-by-character reading gives."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from sixplustwo.domain import search

    names = st.text(
        alphabet=st.one_of(
            st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
            st.sampled_from(list(search.SURNAME_READINGS) + list("Ab ·ｚ1")),
        ),
        min_size=1,
        max_size=5,
    )

    @settings(max_examples=300, deadline=None)
    @given(names)
    def same(name):
        search._NAMES.pop(name, None)
        assert search.name_keys(name) == search._spelled(name)

    same()
