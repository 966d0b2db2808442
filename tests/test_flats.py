"""A flat is a flat (issue 28): one key for every way a flat is written (``domain/flats.py``),
unique per project in the database, and every lookup by it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dbsql import sql
from sixplustwo.domain.flats import flat_key
from sixplustwo.domain.search import query_kinds, unit_key

_FULL_WIDTH = str.maketrans("0123456789-#", "０１２３４５６７８９－＃")

# How a building, an entrance and a room are written: (before, after) each number.
_BUILDING = [("", "-"), ("", "栋"), ("", "幢"), ("", "号楼"), ("", "座"), ("", "#"), ("", " 栋 "),
             ("", "-"), ("", "号")]  # fmt: skip
_ENTRANCE = [("", "-"), ("", "单元"), ("", " 单元 "), ("", "单元-"), ("0", "-")]
_ROOM = [("", ""), ("", "室"), ("", "号"), ("0", ""), ("", " 室")]


@st.composite
def spelled(draw, building: int, entrance: int, room: int) -> str:
    b, e = draw(st.sampled_from(_BUILDING)), draw(st.sampled_from(_ENTRANCE))
    r = draw(st.sampled_from(_ROOM))
    text = f"{b[0]}{building}{b[1]}{e[0]}{entrance}{e[1]}{r[0]}{room}{r[1]}"
    if draw(st.booleans()):
        text = text.translate(_FULL_WIDTH)
    if draw(st.booleans()):
        text = f" {text} "
    return text


triples = st.tuples(st.integers(1, 99), st.integers(1, 12), st.integers(1, 3399))


@given(triples, st.data())
def test_every_spelling_of_a_flat_gives_one_key(triple, data):
    key = flat_key(f"{triple[0]}-{triple[1]}-{triple[2]}")
    assert key == "-".join(map(str, triple))
    for _ in range(5):
        assert flat_key(data.draw(spelled(*triple))) == key


@given(triples, triples, st.data())
def test_different_flats_give_different_keys(one, other, data):
    if one != other:
        assert flat_key(data.draw(spelled(*one))) != flat_key(data.draw(spelled(*other)))


def test_the_spellings_the_team_met():
    spellings = ["5-1-1201", "5栋1单元1201", "5幢1单元1201室", "5号楼1单元1201",
                 "５－１－１２０１", "5 栋 1 单元 1201", "5座1单元1201", "5#1单元1201号",
                 "5-01-01201"]  # fmt: skip
    assert {flat_key(text) for text in spellings} == {"5-1-1201"}
    assert flat_key("A座1201") == "a-1201"


@given(st.sampled_from(["商铺", "别墅", "车位", "地下室"]), st.text("AB0123-", max_size=4))
def test_flats_that_are_not_numbers_keep_a_key_of_their_own(word, rest):
    text = word + rest + "1"
    key = flat_key(text)
    assert key == flat_key(text) == flat_key(key)  # stable, and a key is its own key
    assert word in key  # never a numbered flat's key
    assert key == flat_key(f" {text.translate(_FULL_WIDTH)} ")


def test_shops_and_villas_are_not_flats_of_the_same_numbers():
    assert flat_key("商铺A-3") == "商铺a-3" != flat_key("A-3")
    assert flat_key("别墅12") != flat_key("12") != flat_key("商铺12")


def test_search_reads_a_flat_by_the_same_key():
    assert unit_key("5幢1单元1201室") == flat_key("5-1-1201")
    assert unit_key(None) is None and unit_key("") is None
    assert query_kinds("5栋1单元1201")["flat"] == "5-1-1201"
    assert query_kinds("商铺A-3")["flat"] == "商铺a-3"


@given(st.text(max_size=12))
def test_a_key_is_its_own_key(text):
    # The store looks a flat up as `unit = key OR unit_key = key`: sound only so.
    assert flat_key(flat_key(text)) == flat_key(text)


# -- in the database: unique per project, every lookup by key -----------------------------


def _add(cli, unit: str, phone: str = "13800000001", name: str = "周杰", ok: bool = True):
    return cli("owner", "add", "--name", name, "--phone", phone, "--project", "HY1",
               "--unit", unit, "--butler", "李晓", ok=ok)  # fmt: skip


def test_owner_add_refuses_a_flat_on_record_however_written(cli, project):
    first = int(_add(cli, "5-1-1201").stdout)
    for spelling in ("5栋1单元1201", "5幢1单元1201室", "5号楼1单元1201", "５－１－１２０１",
                     "5 栋 1 单元 1201"):  # fmt: skip
        refused = _add(cli, spelling, phone="13900000002", ok=False)
        assert refused.exit_code == 1
        assert f"already belongs to owner {first} (written 5-1-1201)" in refused.stderr
    assert _add(cli, "商铺5-1-1201", phone="13900000002").exit_code == 0  # a shop is not a flat


def test_owner_edit_unit_refuses_a_flat_on_record(cli, project):
    first = int(_add(cli, "5栋1单元1201").stdout)
    other = int(_add(cli, "5-1-1202", phone="13900000002", name="王伟").stdout)
    refused = cli("owner", "edit", other, "--unit", "5-1-1201", ok=False)
    assert refused.exit_code == 1 and f"belongs to owner {first}" in refused.stderr
    cli("owner", "edit", first, "--unit", "5幢1单元1201室")  # its own flat, written otherwise


def test_owner_find_and_show_by_any_spelling(cli, cli_json, project):
    first = int(_add(cli, "5-1-1201").stdout)
    assert [row["id"] for row in cli_json("owner", "find", "5号楼1单元1201")] == [first]
    assert cli_json("owner", "show", "5 栋 1 单元 1201")["id"] == first


def test_import_refuses_one_flat_twice_in_a_file_and_one_on_record(cli, project, tmp_path):
    first = int(_add(cli, "2-1-1801").stdout)
    path = tmp_path / "ledger.csv"
    path.write_text(
        "姓名,手机,项目,房号\n王伟,13900000002,HY1,5-1-1201\n李娜,13900000003,HY1,5栋1单元1201\n"
        "周杰,13800000001,HY1,2栋1单元1801\n",
        encoding="utf-8",
    )
    refused = cli("owner", "import", path, ok=False)
    assert refused.exit_code == 1
    assert "row 3, unit: flat HY1 5栋1单元1201 is also on row 2" in refused.stderr
    assert f"row 4, unit: flat HY1 2栋1单元1801 already belongs to owner {first}" in refused.stderr


def test_import_update_finds_the_owner_by_key(cli, cli_json, project, tmp_path, db_path):
    first = int(_add(cli, "2-1-1801").stdout)
    path = tmp_path / "update.csv"
    path.write_text("姓名,手机,项目,房号,管家\n周杰,13800000001,HY1,2栋1单元1801,王敏\n", "utf-8")
    summary = cli_json("owner", "import", path, "--update")
    assert summary["updated"] == 1 and summary["imported"] == 0
    assert sql(db_path, "SELECT id, unit, butler FROM owner") == [(first, "2-1-1801", "王敏")]


def _twins(cli, db_path) -> tuple[int, int]:
    """A database from before the flat's key was unique, holding one flat twice."""
    first = int(_add(cli, "5-1-1201").stdout)
    twin = int(_add(cli, "5-1-1202", phone="13900000002", name="王伟").stdout)
    sql(db_path, "DROP INDEX ux_owner_flat")
    sql(db_path, "DELETE FROM schema_migration WHERE name = '0022_owner_flat_key'")
    # As the old import wrote it: the key of its day kept only where it differed.
    sql(db_path, "UPDATE owner SET unit = '5栋1单元1201', unit_key = '5-1-1201' WHERE id = ?",
        (twin,))  # fmt: skip
    return first, twin


def test_a_database_with_twins_migrates_and_check_names_them(cli, project, db_path):
    first, twin = _twins(cli, db_path)
    result = cli("check", ok=False)  # migrates: neither fails nor merges
    assert result.exit_code == 1
    assert f"owners {first} and {twin} both have flat HY1 5-1-1201" in result.stderr
    assert sorted(sql(db_path, "SELECT id FROM owner")) == [(first,), (twin,)]
    refused = _add(cli, "5幢1单元1201室", phone="13900000003", name="李娜", ok=False)
    assert refused.exit_code == 1 and f"owner {first}" in refused.stderr  # no third


def test_a_database_with_twins_is_copied_as_it_is(cli, project, db_path, tmp_path):
    first, twin = _twins(cli, db_path)
    target = tmp_path / "copy.db"
    cli("db", "copy", "--to", target)
    assert sorted(sql(target, "SELECT id FROM owner")) == [(first,), (twin,)]


def test_check_passes_without_twins(cli, project):
    _add(cli, "5-1-1201")
    assert cli("check").exit_code == 0


def test_import_update_of_twins_changes_neither(cli, cli_json, project, tmp_path, db_path):
    first, twin = _twins(cli, db_path)
    path = tmp_path / "update.csv"
    path.write_text("项目,房号,管家\nHY1,5幢1单元1201室,王敏\n", "utf-8")
    refused = cli("owner", "import", path, "--update", ok=False)
    assert refused.exit_code == 1
    assert f"flat HY1 5幢1单元1201室 has two owners, {first} and {twin}" in refused.stderr
    assert {butler for (butler,) in sql(db_path, "SELECT butler FROM owner")} == {"李晓"}


def test_a_large_load_names_a_flat_given_twice_by_key(cli, project, tmp_path, db_path):
    from datetime import date

    from sixplustwo.io.importing import OwnerFile
    from sixplustwo.store.bulk import import_owners, insert_rows, load_projects
    from sixplustwo.store.database import open_database

    path = tmp_path / "big.csv"
    rows = [f"客户{i},139{i:08d},HY1,{i}-1-101" for i in range(1, 30)]
    rows.append("重复,13800000009,HY1,7栋1单元101室")
    path.write_text("姓名,手机,项目,房号\n" + "\n".join(rows) + "\n", encoding="utf-8")
    try:
        with open_database(db_path, write=True) as connection:
            owners = OwnerFile(path, date(2026, 11, 22)).values()
            result = import_owners(
                connection, insert_rows(owners, load_projects(connection)), expected_rows=10**6
            )
            assert [str(p).split(", with another phone")[0] for p in result.problems] == [
                "row 31, unit: flat HY1 7栋1单元101室 is also on row 8"
            ]
            raise KeyboardInterrupt  # roll back
    except KeyboardInterrupt:
        pass
