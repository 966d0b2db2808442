"""Imports read the whole file as it is: an XLSX's stored dimension is not trusted, a CSV's
encoding is decided for the whole file, and a file built to mislead a reader is imported
whole or refused in one line, the same inline and in the background reader."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from dbsql import sql
from sixplustwo.io.background import can_fork

HEADER = "姓名,手机,项目,房号,签约日期,管家\n"
NAMES = ["王伟", "李娜", "张敏", "刘洋", "陈静", "杨帆", "赵磊", "黄丽", "周杰", "吴芳"]


def _row(index: int, name: str | None = None) -> str:
    signed = f"2024-01-0{1 + index % 9}"
    return f"{name or NAMES[index]},1390000{index:04d},HY1,1-{101 + index},{signed},李晓\n"


def _names(db_path) -> list[str]:
    return [name for (name,) in sql(db_path, "SELECT name FROM owner ORDER BY id")]


def _refused(result, *words: str) -> str:
    """A refusal: exit 1, no traceback, one error line last; stderr names ``words`` (in that
    line, or in a bad row's line before it)."""
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("sixplustwo: error: "), result.stderr
    for word in words:
        assert word in result.stderr, result.stderr
    return result.stderr


# ---------------------------------------------------------------------------------------
# XLSX: the stored <dimension> is not trusted


def _xlsx(path, rows, *, dimension: str | None = None, sheets=None) -> None:
    """An XLSX of ``rows`` on its first sheet (and ``sheets``: title → rows, or
    (rows, state)), its first sheet's stored dimension then set to ``dimension``."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "台账"
    for row in rows:
        sheet.append(row)
    for title, content in (sheets or {}).items():
        extra_rows, state = content if isinstance(content, tuple) else (content, "visible")
        extra = workbook.create_sheet(title)
        extra.sheet_state = state
        for row in extra_rows:
            extra.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    if dimension is None:
        path.write_bytes(buffer.getvalue())
        return
    _rewrite(
        buffer.getvalue(),
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(
            rb'<dimension ref="[^"]*"', f'<dimension ref="{dimension}"'.encode(), xml
        ),
    )


def _rewrite(data: bytes, path, member: str, change) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == member:
                changed = change(content)
                assert changed != content, "the member was not changed"
                content = changed
            target.writestr(item, content)


def _sheet_rows(count: int, bad_at: int | None = None) -> list[list[object]]:
    rows: list[list[object]] = [HEADER.strip().split(",")]
    for index in range(count):
        cells = _row(index).strip().split(",")
        if index == bad_at:
            cells[1] = "12345"
        rows.append(cells)
    return rows


@pytest.mark.parametrize("dimension", ["A1:F5", "A1", "A1:B2"])
def test_an_xlsx_with_a_stale_dimension_is_read_to_its_last_row(
    cli, project, tmp_path, db_path, dimension
):
    path = tmp_path / "sales.xlsx"
    _xlsx(path, _sheet_rows(10), dimension=dimension)
    result = cli("owner", "import", path)
    assert "imported 10 customers" in result.stdout
    assert _names(db_path) == NAMES


def test_an_xlsx_with_a_stale_dimension_has_its_later_rows_checked(cli, project, tmp_path, db_path):
    path = tmp_path / "sales.xlsx"
    _xlsx(path, _sheet_rows(10, bad_at=8), dimension="A1:F5")
    result = cli("owner", "import", path, ok=False)
    _refused(result, "1 bad row")
    assert "row 10, column 手机" in result.stderr
    assert _names(db_path) == []


def test_an_xlsx_dimension_larger_than_its_rows_and_empty_trailing_rows(
    cli, project, tmp_path, db_path
):
    rows = [*_sheet_rows(3), [None] * 6, [], ["", " ", None]]
    path = tmp_path / "sales.xlsx"
    _xlsx(path, rows, dimension="A1:Z100000")
    assert "imported 3 customers" in cli("owner", "import", path).stdout
    assert _names(db_path) == NAMES[:3]


def test_an_xlsx_with_the_ledger_on_a_later_sheet(cli, project, tmp_path, db_path):
    path = tmp_path / "sales.xlsx"
    _xlsx(path, [], sheets={"客户": _sheet_rows(2), "说明": []})
    assert "imported 2 customers" in cli("owner", "import", path).stdout
    assert _names(db_path) == NAMES[:2]


def test_an_xlsx_with_rows_on_several_sheets_is_refused(cli, project, tmp_path, db_path):
    path = tmp_path / "sales.xlsx"
    _xlsx(path, _sheet_rows(2), sheets={"二期": _sheet_rows(3)})
    _refused(cli("owner", "import", path, ok=False), "台账", "二期")
    assert _names(db_path) == []


def test_a_hidden_sheet_of_lists_is_not_read(cli, project, tmp_path, db_path):
    path = tmp_path / "sales.xlsx"
    _xlsx(path, _sheet_rows(2), sheets={"字典": ([["HY1"], ["HY2"]], "hidden")})
    assert "imported 2 customers" in cli("owner", "import", path).stdout


def test_an_xlsx_damaged_inside_its_sheet_is_one_line(cli, project, tmp_path, db_path):
    from openpyxl import Workbook

    workbook = Workbook()
    for row in _sheet_rows(10):
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    path = tmp_path / "sales.xlsx"
    _rewrite(
        buffer.getvalue(),
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: xml[: xml.index(b'<row r="6"')] + b'<row r="6"><c r="A6" t="inlineStr"><is>',
    )
    _refused(cli("owner", "import", path, ok=False), "sales.xlsx", "not a readable .xlsx")
    assert _names(db_path) == []


# ---------------------------------------------------------------------------------------
# CSV: one encoding for the whole file, and the files that mislead a reader


def _mixed_utf8_with_gb18030_row() -> bytes:
    rows = [_row(index) for index in range(6)]
    return (
        HEADER.encode()
        + "".join(rows[:3]).encode()
        + rows[3].encode("gb18030")
        + "".join(rows[4:]).encode()
    )


MISLEADING = {
    # name: (bytes, words the refusal names)
    "utf-8 with a GB18030 row": (_mixed_utf8_with_gb18030_row(), ("row 5", "UTF-8")),
    "a UTF-8 BOM and a GB18030 body": (
        b"\xef\xbb\xbf" + b"name,phone,project,unit\n" + _row(0).encode("gb18030"),
        ("row 2", "UTF-8"),
    ),
    "a UTF-8 BOM and a GB18030 header": (
        b"\xef\xbb\xbf" + (HEADER + _row(0)).encode("gb18030"),
        ("row 1", "UTF-8"),
    ),
    "GB18030 with a UTF-8 row": (
        (HEADER + _row(0) + _row(1)).encode("gb18030")
        + _row(2).encode()
        + _row(3).encode("gb18030"),
        ("row 4", "GB18030"),
    ),
    "UTF-16 with a BOM": ((HEADER + _row(0)).encode("utf-16"), ("UTF-16",)),
    "UTF-16 big-endian with a BOM": (
        b"\xfe\xff" + (HEADER + _row(0)).encode("utf-16-be"),
        ("UTF-16",),
    ),
    "UTF-16 without a BOM": ((HEADER + _row(0)).encode("utf-16-le"), ("UTF-16",)),
    "UTF-32 with a BOM": ((HEADER + _row(0)).encode("utf-32"), ("UTF-16",)),
    "a NUL byte in a row": (
        (HEADER + _row(0)).encode() + _row(1).replace("李晓", "李\0晓").encode() + _row(2).encode(),
        ("row 3, column 管家", "\\x00"),
    ),
    "a BOM in the middle (two files joined)": (
        b"\xef\xbb\xbf"
        + (HEADER + _row(0)).encode()
        + b"\xef\xbb\xbf"
        + (HEADER + _row(1)).encode(),
        ("row 3", "U+FEFF"),
    ),
    "a BOM inside a cell": (
        (HEADER + _row(0) + _row(1, "\ufeff李娜")).encode(),
        ("row 3", "U+FEFF"),
    ),
    "neither UTF-8 nor GB18030": ((HEADER + _row(0)).encode() + b"\x80\xff,1\n", ("row 3",)),
    "an .xlsx workbook under .csv": (b"PK\x03\x04" + b"\0" * 40, ("xlsx",)),
    "an .xls workbook under .csv": (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 20,
        (".xls",),
    ),
    "a file of NUL bytes after its rows (a crash)": (
        (HEADER + _row(0)).encode() + b"\0" * 5000,
        ("row 3, column 姓名", "too long"),
    ),
}


@pytest.mark.parametrize("name", list(MISLEADING))
def test_a_misleading_csv_is_refused_in_one_line_naming_its_row(
    cli, project, tmp_path, db_path, monkeypatch, name
):
    from sixplustwo.cli import owners_import

    data, words = MISLEADING[name]
    path = tmp_path / "sales.csv"
    path.write_bytes(data)
    outcomes = []
    thresholds = (10**9, 1) if can_fork() else (10**9,)
    for threshold in thresholds:  # inline, then in the background reader
        monkeypatch.setattr(owners_import, "_BACKGROUND_FROM_ROWS", threshold)
        result = cli("owner", "import", path, ok=False)
        outcomes.append((_refused(result, "sales.csv", *words), result.stdout))
        assert _names(db_path) == []
        _refused(cli("owner", "import", path, "--update", ok=False), *words)
        _refused(cli("owner", "import", path, "--dry-run", ok=False), *words)
    assert len(set(outcomes)) == 1  # the same refusal both ways


def test_a_gb18030_file_is_read_as_gb18030(cli, project, tmp_path, db_path, monkeypatch):
    from sixplustwo.cli import owners_import

    # English headers (ASCII), and a row that is also valid UTF-8 by chance: 汛 is C5 D1 in
    # GB18030, not UTF-8; 茅 (C3 A9) is, as é.
    body = "name,phone,project,unit\n" + "".join(
        f"{name},1390000{index:04d},HY1,1-{101 + index}\n"
        for index, name in enumerate(["茅", *NAMES])
    )
    path = tmp_path / "sales.csv"
    path.write_bytes(body.encode("gb18030"))
    assert "茅".encode("gb18030").decode("utf-8") == "é"
    monkeypatch.setattr(owners_import, "_BACKGROUND_FROM_ROWS", 1)
    assert "imported 11 customers" in cli("owner", "import", path).stdout
    assert _names(db_path) == ["茅", *NAMES]


def test_a_utf8_file_with_empty_trailing_rows_and_a_leading_bom_imports_whole(
    cli, project, tmp_path, db_path
):
    body = HEADER + _row(0) + _row(1) + ",,,,,\n\n,,,,,\n"
    path = tmp_path / "sales.csv"
    path.write_bytes(b"\xef\xbb\xbf" + body.encode())
    assert "imported 2 customers" in cli("owner", "import", path).stdout
    assert _names(db_path) == NAMES[:2]


def test_the_refused_row_of_a_file_with_quoted_newlines_is_its_row(cli, project, tmp_path):
    body = HEADER.replace("管家", "管家,备注") + '王伟,13900000000,HY1,1-101,,李晓,"两\n行"\n'
    data = body.encode() + _row(1).encode("gb18030")
    path = tmp_path / "sales.csv"
    path.write_bytes(data)
    _refused(cli("owner", "import", path, ok=False), "row 3")


def test_a_mixed_survey_file_is_refused(cli, project, tmp_path, db_path):
    path = tmp_path / "survey.csv"
    path.write_bytes(
        "业主编号,日期,评分,意见\n".encode()
        + "o1,2025-03-01,5,管家很负责\n".encode()
        + "o1,2025-03-02,4,维修及时\n".encode("gb18030")
    )
    _refused(cli("survey", "import", path, ok=False), "survey.csv", "row 3", "UTF-8")


WHOLE_FILE = [name for name in MISLEADING if "NUL" not in name]


@pytest.mark.parametrize("name", WHOLE_FILE)
def test_a_misleading_survey_file_is_one_line(cli, project, tmp_path, name):
    data, words = MISLEADING[name]
    path = tmp_path / "survey.csv"
    path.write_bytes(data)
    _refused(cli("survey", "import", path, ok=False), *words)


def test_a_mixed_list_for_assign_is_refused(cli, project, tmp_path, db_path):
    path = tmp_path / "sales.csv"
    path.write_text(HEADER + _row(0) + _row(1), encoding="utf-8")
    cli("owner", "import", path)
    names = tmp_path / "list.csv"
    names.write_bytes("项目,房号\nHY1,1-101\n".encode() + "HY1,1幢102\n".encode("gb18030"))
    _refused(
        cli("owner", "assign", "--butler", "陈静", "--file", names, ok=False), "row 3", "UTF-8"
    )
    nul = HEADER.encode() + _row(0).replace("李晓", "李\0晓").encode()
    for data, words in [*(MISLEADING[name] for name in WHOLE_FILE), (nul, ("row 2", "NUL"))]:
        names.write_bytes(data)
        _refused(cli("owner", "assign", "--butler", "陈静", "--file", names, ok=False), *words)
    assert sql(db_path, "SELECT butler FROM owner ORDER BY id") == [("李晓",), ("李晓",)]


@pytest.mark.skipif(not can_fork(), reason="no fork on this platform")
def test_a_file_error_past_the_header_reads_the_same_in_the_background(
    cli, project, tmp_path, monkeypatch
):
    from sixplustwo.cli import owners_import
    from sixplustwo.io.encodings import CSV_CELL_MAX

    path = tmp_path / "sales.csv"
    with path.open("w", encoding="utf-8") as file:
        file.write(HEADER + _row(0))
        file.write('"' + "x" * (CSV_CELL_MAX + 1) + '",13900000001,HY1,1-2,,\n')
    lines = []
    for threshold in (10**9, 1):
        monkeypatch.setattr(owners_import, "_BACKGROUND_FROM_ROWS", threshold)
        lines.append(_refused(cli("owner", "import", path, ok=False), "sales.csv, line 3"))
    assert lines[0] == lines[1]
    assert lines[0].count("sales.csv") == 1


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7])
def test_the_encoding_is_decided_the_same_whatever_the_chunks(tmp_path, monkeypatch, chunk):
    from sixplustwo.domain.errors import InvalidInput
    from sixplustwo.io import encodings

    def decided(data: bytes) -> str:
        path = tmp_path / "sales.csv"
        path.write_bytes(data)
        try:
            return encodings.text_encoding(path)
        except InvalidInput as exc:
            return str(exc)

    files = [data for data, _ in MISLEADING.values()]
    files += [
        (HEADER + _row(0)).encode("gb18030"),
        b"\xef\xbb\xbf\xef\xbb\xbf" + (HEADER + _row(0)).encode(),
        (HEADER + _row(0)).encode(),
        (HEADER + _row(0)).encode()[:-2],  # a character cut at the end
    ]
    whole = [decided(data) for data in files]
    monkeypatch.setattr(encodings, "_CHUNK", chunk)
    assert [decided(data) for data in files] == whole
    assert whole[-4:-1] == ["gb18030", "utf-8-sig", "utf-8"]
    assert "row 2: not UTF-8 like the rows before it" in whole[-1]
