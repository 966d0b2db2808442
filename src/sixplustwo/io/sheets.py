"""A ledger file's rows as it holds them: a CSV's (its encoding decided for the whole file)
or an XLSX's one sheet (a merged range's value in each cell it covers); a cell as its value
(Excel dates, date-times, numbers); and a flat written over 楼栋, 单元 and 房号 columns,
joined."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sixplustwo.domain.errors import InvalidInput
from sixplustwo.domain.owners import FieldError
from sixplustwo.io.encodings import CSV_CELL_MAX, text_encoding

# Excel stores dates as days since 1899-12-30 (the 1900 leap-year bug included).
_EXCEL_EPOCH = date(1899, 12, 30)
_MIDNIGHT = time()


_CHUNK = 1 << 20


def line_count(path: Path) -> int:
    count = 0
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            count += chunk.count(b"\n")
    return count


# A CSV cell is read up to CSV_CELL_MAX characters (Python's csv stops at 131,072, with a
# traceback): a longer name or note is then refused by its field's own limit, naming the row
# and the column. A cell longer than this stops the file, naming its line.


def csv_rows(path: Path) -> Iterator[list[object]]:
    if csv.field_size_limit() < CSV_CELL_MAX:
        csv.field_size_limit(CSV_CELL_MAX)
    # The encoding is decided, and every row checked to decode, before the first row is read.
    with path.open(encoding=text_encoding(path), newline="") as file:
        reader = csv.reader(file)
        try:
            yield from reader
        except UnicodeDecodeError:  # the file changed since its encoding was decided
            raise InvalidInput(
                "{path}, line {line}: the file changed while it was read",
                path=path,
                line=reader.line_num,
            ) from None
        except csv.Error as exc:
            # The line of the file (a row with a quoted newline spans two), not the row.
            if "field larger than field limit" in str(exc):
                raise InvalidInput(
                    "{path}, line {line}: a cell is longer than {most} characters",
                    path=path,
                    line=reader.line_num,
                    most=CSV_CELL_MAX,
                ) from None
            raise InvalidInput(
                "{path}, line {line}: not a readable CSV row ({reason})",
                path=path,
                line=reader.line_num,
                reason=str(exc),
            ) from None


def xlsx_rows(path: Path) -> Iterator[list[object]]:
    """The rows of the workbook's one sheet that holds any, to its last row: the sheet's
    stored dimension (which openpyxl's read-only mode otherwise trusts, and which some
    programs leave stale) is not read. Hidden sheets (lists for drop-downs) are left out;
    rows on two visible sheets are refused, not half read."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise _unreadable(path, exc) from None
    try:
        try:
            sheets = [
                sheet
                for sheet in workbook.worksheets
                if sheet.sheet_state == "visible" and _holds_rows(sheet)
            ]
        except Exception as exc:
            raise _unreadable(path, exc) from None
        if len(sheets) > 1:
            raise InvalidInput(
                "{path}: sheets {sheets} all hold rows; import reads one sheet: keep the "
                "ledger alone in its workbook",
                path=path,
                sheets=", ".join(sheet.title for sheet in sheets),
            )
        if not sheets:
            return  # the file is empty
        rows = _sheet_rows(sheets[0])
        merged = merged_ranges(path, sheets[0])
        if merged:
            rows = _unmerged(rows, merged)
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except Exception as exc:  # a sheet damaged past its first rows
                raise _unreadable(path, exc) from None
            yield list(row)
    finally:
        workbook.close()


def _sheet_rows(sheet) -> Iterator[tuple]:
    sheet.reset_dimensions()  # every row the sheet holds, each as wide as its cells
    return sheet.iter_rows(values_only=True)


_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')
_SHEET_DATA_END = re.compile(rb"</(?:\w+:)?sheetData>")


def merged_ranges(path: Path, sheet) -> list[tuple[int, int, int, int]]:
    """The sheet's merged cells (a 楼栋 merged down the rows of its flats, a title over the
    columns), each as (first row, first column, last row, last column), 1-based. Read from
    the sheet's XML, whose merges follow its rows (openpyxl's read-only mode does not read
    them): streamed past the rows, so that a large sheet costs one more decompression."""
    import zipfile

    member = getattr(sheet, "_worksheet_path", None)  # openpyxl's read-only sheet
    if not member:
        return []
    tail, found = b"", []
    try:
        with zipfile.ZipFile(path) as archive, archive.open(member) as xml:
            after = False
            while chunk := xml.read(_CHUNK):
                text = tail + chunk
                if not after:
                    end = _SHEET_DATA_END.search(text)
                    if end is None:
                        tail = text[-32:]
                        continue
                    after, text = True, text[end.end() :]
                found.append(text)
                tail = b""
    except (OSError, KeyError, zipfile.BadZipFile):
        return []
    return [
        (int(r1), _column(c1), int(r2), _column(c2))
        for c1, r1, c2, r2 in _MERGE.findall(b"".join(found))
    ]


def _column(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _unmerged(rows: Iterator[tuple], merged: list[tuple[int, int, int, int]]) -> Iterator:
    """The rows with each merged range's value (its first cell's) in every cell it covers."""
    covering: dict[int, list[tuple[int, int, int, int]]] = {}
    for first_row, first_col, last_row, last_col in merged:
        for number in range(first_row, last_row + 1):
            covering.setdefault(number, []).append((first_row, first_col, last_row, last_col))
    values: dict[tuple[int, int], object] = {}
    for number, row in enumerate(rows, start=1):
        ranges = covering.get(number)
        if ranges is None:
            yield row
            continue
        cells = list(row)
        for first_row, first_col, _, last_col in ranges:
            if number == first_row:
                value = cells[first_col - 1] if first_col <= len(cells) else None
                values[(first_row, first_col)] = value
            value = values.get((first_row, first_col))
            if len(cells) < last_col:
                cells.extend([None] * (last_col - len(cells)))
            cells[first_col - 1 : last_col] = [value] * (last_col - first_col + 1)
        yield tuple(cells)


def _holds_rows(sheet) -> bool:
    return any(not blank(row) for row in _sheet_rows(sheet))


def _unreadable(path: Path, exc: Exception) -> InvalidInput:
    return InvalidInput(
        "{path}: not a readable .xlsx file ({reason})",
        path=path,
        reason=str(exc) or type(exc).__name__,
    )


_BUILDING_SUFFIXES = ("号楼", "栋", "幢", "座", "#", "号")
_ENTRANCE_SUFFIXES = ("单元", "号")
_ROOM_SUFFIXES = ("室", "号")


def _part(value: object, suffixes: tuple[str, ...]) -> str:
    """A building's, entrance's or room's cell, bare: ``5栋`` → ``5``, ``5.0`` → ``5``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    for suffix in suffixes:
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)].strip()
    return text


def joined_flat(building: object, entrance: object, room: object) -> object:
    """The flat a row writes over 楼栋, 单元 and 房号 columns, as ``B-E-R`` (``5``, ``1单元``,
    ``1201`` → ``5-1-1201``). A 房号 that holds the whole flat already (``5-1-1201``,
    ``5栋1单元1201``), or a row without building and entrance, is kept as it is."""
    b = _part(building, _BUILDING_SUFFIXES)
    e = _part(entrance, _ENTRANCE_SUFFIXES)
    r = _part(room, _ROOM_SUFFIXES)
    # A separator or a 栋/单元 in the room: it holds the whole flat.
    if not (b or e) or not r or not r.isalnum() or not r.isascii():
        return room
    return "-".join(part for part in (b, e, r) if part)


def blank(row: list[object] | tuple) -> bool:
    return all(cell is None or str(cell).strip() == "" for cell in row)


def cell(field: str, value: object, is_date: bool) -> object:
    """Excel cells arrive as datetimes, numbers or text; dates may be serial numbers."""
    if type(value) is str and not (is_date and len(value.strip()) == 5):
        return value  # the common CSV case, kept cheap
    if isinstance(value, datetime):
        if value.time() != _MIDNIGHT:  # a date-time cell is read as its date at midnight only
            raise FieldError(
                field,
                "{text!r} has a time of day; a date is read only at midnight (00:00)",
                text=value.isoformat(sep=" "),
            )
        return value.date()
    if is_date and isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 100000:
            if value != int(value):  # a serial number with a fraction of a day: a time
                raise FieldError(
                    field,
                    "{text!r} has a time of day; a date is read only at midnight (00:00)",
                    text=str(value),
                )
            return _EXCEL_EPOCH + timedelta(days=int(value))
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # phone numbers typed as numbers in Excel
    if is_date and isinstance(value, str) and value.strip().isdigit():
        digits = value.strip()
        if len(digits) == 5:  # a serial number exported as text
            return _EXCEL_EPOCH + timedelta(days=int(digits))
    return value
