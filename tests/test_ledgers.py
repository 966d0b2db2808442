"""owner import of ledgers as sales systems write them (issue 28): 楼栋/单元/房号 columns
joined into the flat, date-times at midnight, the header below a title row."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from dbsql import sql


def _units(db_path):
    return [row[0] for row in sql(db_path, "SELECT unit FROM owner ORDER BY id")]


def test_building_entrance_and_room_columns_are_joined(cli, project, tmp_path, db_path):
    path = tmp_path / "sales.csv"
    path.write_text(
        "姓名,手机,项目,楼栋,单元,房号\n"
        "王伟,13812345678,HY1,5,1,1201\n"
        "李娜,13900001111,HY1,5栋,1单元,1202\n"
        "张敏,13900002222,HY1,5号楼,2,1201室\n"
        "刘强,13900003333,HY1,,,6-1-101\n"
        "陈静,13900004444,HY1,7,1,7-1-302\n",
        encoding="utf-8",
    )
    result = cli("owner", "import", path)
    assert "ignored columns" not in result.stderr
    assert _units(db_path) == ["5-1-1201", "5-1-1202", "5-2-1201", "6-1-101", "7-1-302"]


def test_joined_columns_from_an_xlsx_with_numbers(cli, project, tmp_path, db_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["客户姓名", "联系电话", "项目名称", "楼号", "单元号", "房间号"])
    sheet.append(["王伟", 13812345678, "华苑一期", 5, 1.0, 1201])
    sheet.append(["李娜", 13900001111, "华苑一期", 5, 2, 1201])
    workbook.save(path := tmp_path / "明源.xlsx")
    cli("owner", "import", path)
    assert _units(db_path) == ["5-1-1201", "5-2-1201"]


def test_flat_parts_are_joined_in_an_update_too(cli, project, tmp_path, db_path):
    path = tmp_path / "sales.csv"
    path.write_text("姓名,手机,项目,房号\n王伟,13812345678,HY1,5-1-1201\n", encoding="utf-8")
    cli("owner", "import", path)
    path.write_text("项目,楼栋,单元,房号,管家\nHY1,5,1,1201,李晓\n", encoding="utf-8")
    result = cli("owner", "import", path, "--update")
    assert "管家: 1 changed" in result.stdout
    assert sql(db_path, "SELECT unit, butler FROM owner") == [("5-1-1201", "李晓")]


@pytest.mark.parametrize(
    "cell", ["2023-12-18 00:00:00", "2023/12/18 0:00", "2023-12-18T00:00:00", "2023/12/18 00:00"]
)
def test_date_times_at_midnight_are_read_as_dates(cli, project, tmp_path, db_path, cell):
    path = tmp_path / "sales.csv"
    path.write_text(f"姓名,手机,项目,房号,签约日期\n王伟,13812345678,HY1,1-101,{cell}\n")
    cli("owner", "import", path)
    assert sql(db_path, "SELECT signed_on FROM owner") == [("2023-12-18",)]


def test_a_time_of_day_is_refused_naming_the_cell(cli, project, tmp_path, db_path):
    path = tmp_path / "sales.csv"
    path.write_text(
        "姓名,手机,项目,房号,签约日期\n"
        "王伟,13812345678,HY1,1-101,2023-12-18 00:00:00\n"
        "李娜,13900001111,HY1,1-102,2023-12-18 14:30:00\n"
    )
    result = cli("owner", "import", path, ok=False)
    assert "row 3, column 签约日期: '2023-12-18 14:30:00' has a time of day" in result.stderr
    assert _units(db_path) == []


def test_excel_date_time_cells(cli, project, tmp_path, db_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["姓名", "手机", "项目", "房号", "签约日期"])
    sheet.append(["王伟", "13812345678", "HY1", "1-101", datetime(2023, 12, 18)])
    sheet.append(["李娜", "13900001111", "HY1", "1-102", datetime(2023, 12, 18, 9, 5)])
    sheet.append(["张敏", "13900002222", "HY1", "1-103", 45278.5])
    workbook.save(path := tmp_path / "erp.xlsx")
    result = cli("owner", "import", path, ok=False)
    assert "row 3, column 签约日期: '2023-12-18 09:05:00' has a time of day" in result.stderr
    assert "row 4, column 签约日期: '45278.5' has a time of day" in result.stderr
    assert "row 2" not in result.stderr
    sheet.delete_rows(3, 2)
    workbook.save(path)
    cli("owner", "import", path)
    assert sql(db_path, "SELECT signed_on FROM owner") == [("2023-12-18",)]


def test_date_messages_are_all_chinese(cli, project, tmp_path, chinese):
    path = tmp_path / "sales.csv"
    path.write_text(
        "姓名,手机,项目,房号,签约日期,生日\n"
        "王伟,13812345678,HY1,1-101,去年,\n"
        "李娜,13900001111,HY1,1-102,2023-02-30,\n"
        "张敏,13900002222,HY1,1-103,2023-12-18 08:00,\n",
        encoding="utf-8",
    )
    stderr = cli("owner", "import", path, ok=False).stderr
    assert "2024年3月5日" in stderr
    for english in (" or ", "day is out of range", "time of day", "use ", "month"):
        assert english not in stderr, stderr


def test_the_header_is_found_below_a_title_row(cli, project, tmp_path, db_path):
    path = tmp_path / "sales.csv"
    path.write_text(
        "华苑一期业主台账（2024年12月导出）,,,\n"
        ",,,\n"
        "姓名,手机,项目,房号\n"
        "王伟,13812345678,HY1,1-101\n"
        "李娜,12345,HY1,1-102\n",
        encoding="utf-8",
    )
    result = cli("owner", "import", path, ok=False)
    assert "row 5, column 手机" in result.stderr  # the file's own row number
    path.write_text(path.read_text(encoding="utf-8").replace("12345,", "13900001111,"))
    cli("owner", "import", path)
    assert _units(db_path) == ["1-101", "1-102"]


def test_a_title_row_and_merged_cells_in_an_xlsx(cli, project, tmp_path, db_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["华苑一期业主台账（2024年12月导出）"])
    sheet.merge_cells("A1:E1")
    sheet.append([])
    sheet.append(["姓名", "手机", "项目", "房号", "签约日期"])
    sheet.append(["王伟", "13812345678", "HY1", "1-101", datetime(2024, 1, 9)])
    workbook.save(path := tmp_path / "手工台账.xlsx")
    cli("owner", "import", path)
    assert _units(db_path) == ["1-101"]


def test_a_header_lacking_a_column_says_where_it_was_read(cli, project, tmp_path):
    path = tmp_path / "sales.csv"
    path.write_text("华苑一期业主台账\n姓名,项目,房号\n王伟,HY1,1-101\n", encoding="utf-8")
    result = cli("owner", "import", path, ok=False)
    assert "header lacks 手机" in result.stderr
    assert "row 2 names the most columns" in result.stderr


def test_a_dry_run_needs_no_database_and_creates_none(cli, tmp_path, db_path):
    path = tmp_path / "sales.csv"
    path.write_text("姓名,手机,项目,房号\n王伟,13812345678,HY1,1-101\n", encoding="utf-8")
    result = cli("owner", "import", path, "--dry-run", ok=False)
    assert "no database at" in result.stderr
    assert "checked as on a new installation" in result.stderr
    assert "unknown project 'HY1'" in result.stderr
    assert not db_path.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sales.csv"]


def test_every_problem_of_a_row_is_named(cli, project, tmp_path):
    path = tmp_path / "sales.csv"
    path.write_text(
        "姓名,手机,项目,房号,签约日期,生日\n王伟,12345,HY1,1-101,2023-02-30,明年\n",
        encoding="utf-8",
    )
    stderr = cli("owner", "import", path, ok=False).stderr
    line = next(line for line in stderr.splitlines() if line.startswith("row 2"))
    assert "column 手机" in line and "column 签约日期" in line and "column 生日" in line
    assert "1 bad row(s)" in stderr


# The ledgers of tests/fixtures/ledgers (made by its make.py, kept as files): a 明源-style
# export, a hand-kept workbook, an ERP's GB18030 CSV; 320 rows each.
LEDGERS = Path(__file__).parent / "fixtures" / "ledgers"
FILES = {"明源导出.xlsx": "HY1", "手工台账.xlsx": "HY2", "ERP导出.csv": "YQF"}


def test_the_three_ledgers_import_dry_run_first_on_an_empty_installation(
    cli, cli_json, tmp_path, db_path
):
    for name in FILES:
        result = cli("owner", "import", LEDGERS / name, "--dry-run", ok=False)
        assert "checked as on a new installation" in result.stderr
        assert "unknown project" in result.stderr
        assert "320 bad row(s)" in result.stderr
    assert not db_path.exists()
    cli("project", "add", "HY1", "--name", "华苑一期", "--delivery-date", "2024-06-30")
    cli("project", "add", "HY2", "--name", "华苑二期")
    cli("project", "add", "YQF", "--name", "云栖府")
    for name in FILES:
        summary = cli_json("owner", "import", LEDGERS / name, "--dry-run")
        assert (summary["rows"], summary["imported"]) == (320, 0)
    for name in FILES:
        assert cli_json("owner", "import", LEDGERS / name)["imported"] == 320
    stored = sql(
        db_path,
        "SELECT p.code, o.unit, o.phone, o.subscribed_on, o.signed_on, o.delivered_on "
        "FROM owner o JOIN project p ON p.id = o.project_id ORDER BY o.id",
    )
    assert len(stored) == 960
    by_project: dict[str, list[tuple]] = {}
    for row in stored:
        by_project.setdefault(row[0], []).append(row)
    assert {code: len(rows) for code, rows in by_project.items()} == {
        "HY1": 320,
        "HY2": 320,
        "YQF": 320,
    }
    # 楼栋/单元/房号 joined, whatever the cells' spelling (5栋, 1单元, 1201室, numbers).
    for code in ("HY1", "YQF"):
        assert all(re.fullmatch(r"\d+-\d-\d{3,4}", row[1]) for row in by_project[code])
    assert all(re.fullmatch(r"1\d{10}", row[2]) for row in stored)  # +86, spaces, numbers
    # Date-time cells and ERP date-times read as their dates.
    assert all(row[4] and re.fullmatch(r"\d{4}-\d\d-\d\d", row[4]) for row in stored)
    assert all(row[3] <= row[4] for row in by_project["YQF"])
    assert any(row[5] for row in by_project["YQF"]) and any(row[5] for row in by_project["HY2"])


def test_the_fixture_ledgers_are_what_make_py_writes(tmp_path):
    """make.py is deterministic: the CSV it writes is the committed one, byte for byte."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_ledgers", LEDGERS / "make.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.erp(tmp_path / "erp.csv")
    assert (tmp_path / "erp.csv").read_bytes() == (LEDGERS / "ERP导出.csv").read_bytes()


def test_a_problem_on_many_rows_is_folded_into_one_line(cli, tmp_path, chinese):
    path = tmp_path / "sales.csv"
    rows = "".join(f"王伟,138{n:08d},云栖府,1-{n}\n" for n in range(300))
    path.write_text("姓名,手机,项目,房号\n" + rows + "李娜,12345,云栖府,2-1\n", encoding="utf-8")
    stderr = cli("owner", "import", path, "--dry-run", ok=False).stderr
    assert "未知的项目 '云栖府'：第 2–301 行，共 300 行；先运行 sixplustwo project add" in stderr
    assert "第 302 行，手机 列" in stderr  # its other problem, on its own line
    assert "301 " in stderr.splitlines()[-1]
    assert len(stderr.splitlines()) < 10


# -- two records of one flat with different phones: both named, neither changed ------------


def _ledger(tmp_path, text: str):
    path = tmp_path / "ledger.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_flat_on_record_with_another_phone_names_both(cli, project, tmp_path, db_path):
    cli("owner", "add", "--name", "周杰", "--phone", "13800000001", "--project", "HY1",
        "--unit", "2-1-1801")  # fmt: skip
    path = _ledger(tmp_path, "姓名,手机,项目,房号\n周杰,13900000002,HY1,2栋1单元1801\n")
    stderr = cli("owner", "import", path, ok=False).stderr
    assert (
        "row 2, unit: flat HY1 2栋1单元1801 already belongs to owner 1, with another phone "
        "(139****0002; owner 1: 138****0001): neither is changed" in stderr
    )
    assert "13900000002" not in stderr and "13800000001" not in stderr
    refused = cli("owner", "import", path, "--update", ok=False)
    assert (
        "row 2: flat HY1 2-1-1801 belongs to owner 1, with another phone (139****0002; owner 1: "
        "138****0001): neither is changed" in refused.stderr
    )
    assert sql(db_path, "SELECT phone FROM owner") == [("13800000001",)]
    # The same phone, however written, is the same person: the update goes through.
    path.write_text("姓名,手机,项目,房号,管家\n周杰,+86 138 0000 0001,HY1,2-1-1801,李晓\n")
    cli("owner", "import", path, "--update")
    assert sql(db_path, "SELECT butler FROM owner") == [("李晓",)]
    # Named by its id, the row changes the phone: a new number, not a new owner.
    path.write_text("编号,手机\n1,13900000002\n")
    cli("owner", "import", path, "--update")
    assert sql(db_path, "SELECT phone FROM owner") == [("13900000002",)]


@pytest.mark.parametrize("update", [False, True])
def test_two_rows_of_one_flat_with_different_phones_name_both(
    cli, project, tmp_path, db_path, update
):
    path = _ledger(
        tmp_path,
        "姓名,手机,项目,房号\n张敏,13900000003,HY1,5-1-1301\n赵刚,13900000004,HY1,5栋1单元1301\n",
    )
    stderr = cli("owner", "import", path, *(["--update"] if update else []), ok=False).stderr
    assert (
        "row 3, unit: flat HY1 5栋1单元1301 is also on row 2, with another phone (139****0004; "
        "row 2: 139****0003): neither is imported" in stderr
    )
    assert sql(db_path, "SELECT COUNT(*) FROM owner") == [(0,)]


def test_an_update_names_every_problem_of_a_row_and_folds_repeats(cli, project, tmp_path):
    cli("owner", "add", "--name", "王伟", "--phone", "13812345678", "--project", "HY1",
        "--unit", "5-1-1201")  # fmt: skip
    path = _ledger(
        tmp_path,
        "项目,房号,手机,签约日期,生日\nHY1,5-1-1201,12345,2023-02-30,明年\n"
        + "".join(f"HY1,6-1-{n},,去年,\n" for n in range(101, 131)),
    )
    stderr = cli("owner", "import", path, "--update", ok=False).stderr
    line = next(line for line in stderr.splitlines() if line.startswith("row 2,"))
    assert "column 手机" in line and "column 签约日期" in line and "column 生日" in line
    assert "the same on rows 3–32, 30 rows" in stderr
    assert "31 bad row(s)" in stderr


def test_the_summary_at_the_end_of_an_import(cli, cli_json, project, tmp_path, db_path):
    path = _ledger(
        tmp_path,
        "姓名,手机,项目,房号,管家,总价\n王伟,13900000001,HY1,5-1-1201,李晓,1\n"
        "张敏,13900000002,HY1,5-1-1301,李晓,2\n",
    )
    out = cli("owner", "import", path).stdout
    assert "summary: 2 new, 0 updated, 0 unchanged, 0 set aside; columns ignored: 总价" in out
    cli("owner", "add", "--name", "赵刚", "--phone", "13900000003", "--project", "HY1",
        "--unit", "5-1-1401")  # fmt: skip
    cli("owner", "forget", "3", "--yes")
    path.write_text(
        "姓名,手机,项目,房号,管家\n王伟,13900000001,HY1,5-1-1201,李晓\n"
        "张敏,13900000002,HY1,5栋1单元1301,陈静\n钱进,13900000004,HY1,5-1-1501,陈静\n",
        encoding="utf-8",
    )
    summary = cli_json("owner", "import", path, "--update", "--dry-run")
    assert (summary["new"], summary["changed"], summary["unchanged"]) == (1, 1, 1)
    assert summary["set_aside"] == 0 and summary["ignored_columns"] == []
    out = cli("owner", "import", path, "--update").stdout
    assert "summary: 1 new, 1 updated, 1 unchanged, 0 set aside" in out
    path.write_text("编号,管家\n1,陈静\n3,陈静\n", encoding="utf-8")
    out = cli("owner", "import", path, "--update").stdout
    assert "summary: 0 new, 1 updated, 0 unchanged, 1 set aside" in out


def test_merged_cells_give_their_value_to_every_cell_they_cover(cli, project, tmp_path, db_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["华苑一期业主台账"])
    sheet.merge_cells("A1:G1")  # a title over the columns
    sheet.append(["项目", "楼栋", "单元", "房号", "姓名", "手机", "管家"])
    sheet.append(["HY1", "5栋", "1单元", 101, "王伟", "13800000001", "李晓"])
    sheet.append([None, None, None, 102, "李娜", "13800000002", None])
    sheet.append([None, None, "2单元", 101, "张敏", "13800000003", "陈静"])
    sheet.append(["HY1", "6栋", "1单元", 101, "赵刚", "13800000004", "陈静"])
    for cells in ("A3:A5", "B3:B5", "C3:C4", "G3:G4"):  # 项目, 楼栋 and 单元 merged down
        sheet.merge_cells(cells)
    workbook.save(path := tmp_path / "手工台账.xlsx")
    cli("owner", "import", path)
    assert sql(db_path, "SELECT unit, butler FROM owner ORDER BY id") == [
        ("5-1-101", "李晓"),
        ("5-1-102", "李晓"),
        ("5-2-101", "陈静"),
        ("6-1-101", "陈静"),
    ]


def test_the_hand_kept_fixture_has_its_project_merged_down_blocks_of_rows():
    from sixplustwo.io.sheets import merged_ranges, xlsx_rows

    path = LEDGERS / "手工台账.xlsx"
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True)
    assert (6, 2, 15, 2) in merged_ranges(path, workbook.worksheets[0])
    workbook.close()
    rows = list(xlsx_rows(path))
    assert all(row[1] in ("华苑二期", "HY2") for row in rows[5:15])
