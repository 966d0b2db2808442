"""Owner files from a sales system: CSV (UTF-8, UTF-8 with BOM, GB18030) or XLSX → records."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from operator import itemgetter
from pathlib import Path
from typing import ClassVar

from sixplustwo.domain.errors import InvalidInput
from sixplustwo.domain.fields import (
    OWNER_ID,
    accepted_headers,
    header_aliases,
    input_field,
    input_fields,
    owner_field,
    owner_id_headers,
    plain_fields,
)
from sixplustwo.domain.owners import (
    KEY_FIELDS,
    PLAIN_INPUT_FIELDS,
    REQUIRED_FIELDS,
    FieldError,
    OwnerRecord,
    OwnerValues,
    SurveyRow,
    cell_text,
    owner_cells,
    owner_record,
    owner_values,
    parse_owner_id,
    plain_owner_values,
    survey_row,
)
from sixplustwo.io.encodings import CSV_CELL_MAX, text_encoding

# Excel stores dates as days since 1899-12-30 (the 1900 leap-year bug included).
_EXCEL_EPOCH = date(1899, 12, 30)


# A row of an update file: (owner id or None, project, unit, cells, the owner it adds).
OwnerUpdate = tuple


@dataclass(frozen=True)
class ParsedFile:
    records: list[tuple[int, OwnerRecord]]
    problems: list[InvalidInput]
    rows: int


_CHUNK = 1 << 20


def _line_count(path: Path) -> int:
    count = 0
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            count += chunk.count(b"\n")
    return count


# A CSV cell is read up to CSV_CELL_MAX characters (Python's csv stops at 131,072, with a
# traceback): a longer name or note is then refused by its field's own limit, naming the row
# and the column. A cell longer than this stops the file, naming its line.


def _csv_rows(path: Path) -> Iterator[list[object]]:
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


def _xlsx_rows(path: Path) -> Iterator[list[object]]:
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


def _holds_rows(sheet) -> bool:
    return any(not _blank(row) for row in _sheet_rows(sheet))


def _unreadable(path: Path, exc: Exception) -> InvalidInput:
    return InvalidInput(
        "{path}: not a readable .xlsx file ({reason})",
        path=path,
        reason=str(exc) or type(exc).__name__,
    )


def _cell(field: str, value: object, is_date: bool) -> object:
    """Excel cells arrive as datetimes, numbers or text; dates may be serial numbers."""
    if type(value) is str and not (is_date and len(value.strip()) == 5):
        return value  # the common CSV case, kept cheap
    if isinstance(value, datetime):
        return value.date()
    if is_date and isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 100000:
            return _EXCEL_EPOCH + timedelta(days=int(value))
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # phone numbers typed as numbers in Excel
    if is_date and isinstance(value, str) and value.strip().isdigit():
        digits = value.strip()
        if len(digits) == 5:  # a serial number exported as text
            return _EXCEL_EPOCH + timedelta(days=int(digits))
    return value


def _blank(row: list[object] | tuple) -> bool:
    return all(cell is None or str(cell).strip() == "" for cell in row)


class TableFile:
    """A CSV or XLSX file opened for streaming, its header mapped to input fields through
    ``aliases``. Iterating validates one row at a time and yields ``(row_number, item)``, or
    ``(row_number, problem)`` naming the row (header = row 1) and the column as the file
    calls it. A problem is a message (an InvalidInput), put into words by the CLI."""

    aliases: ClassVar[dict[str, str]] = {}
    required: tuple[str, ...] = ()
    date_fields: frozenset[str] = frozenset()

    def __init__(self, path: Path, today: date) -> None:
        if not path.exists():
            raise InvalidInput("{path}: no such file", path=path)
        suffix = path.suffix.lower()
        # CSV cells are all text; XLSX ones may be numbers and datetimes.
        self._plain_text = suffix not in (".xlsx", ".xlsm")
        if not self._plain_text:
            self._rows = _xlsx_rows(path)
        elif suffix in (".csv", ".txt", ""):
            self._rows = _csv_rows(path)
        else:
            raise InvalidInput(
                "{path}: import reads .csv or .xlsx files, not {suffix}", path=path, suffix=suffix
            )
        self.path = path
        self.today = today
        self.rows = 0  # non-blank data rows seen so far
        header = next(self._rows, None)
        if header is None:
            raise InvalidInput("{path}: the file is empty", path=path)
        self._fields: list[str | None] = []
        aliases = self.header_aliases()
        names = [str(cell).strip().lstrip("\ufeff") if cell is not None else "" for cell in header]
        for name in names:
            self._fields.append(aliases.get(name) or aliases.get(name.lower()))
        self.check_header()
        self._labels = {
            field: name for field, name in zip(self._fields, names, strict=False) if field
        }
        # The columns no field reads: unknown headers, and a repeated one but its last
        # (the last wins). Columns without a header are not named.
        last = {field: index for index, field in enumerate(self._fields) if field}
        self.ignored: list[str] = [
            name
            for index, (name, field) in enumerate(zip(names, self._fields, strict=False))
            if name and (field is None or last[field] != index)
        ]

    def header_aliases(self) -> dict[str, str]:
        return self.aliases

    def check_header(self) -> None:
        missing = [f for f in self.required if f not in self._fields]
        if missing:
            raise InvalidInput(
                "{path}: header lacks column(s) {columns}",
                path=self.path,
                columns=", ".join(missing),
            )

    def headers(self) -> dict[str, str]:
        """The fields the file gives, each with its column's header as the file writes it."""
        return dict(self._labels)

    def column_name(self, field: str) -> str:
        """A field's name in a problem: its column's header as the file writes it."""
        return self._labels.get(field, field)

    def estimated_rows(self) -> int:
        """For a progress bar: lines for CSV (a quoted newline counts twice), 0 for XLSX."""
        return max(0, _line_count(self.path) - 1) if self._plain_text else 0

    def validate(self, values: dict[str, object]) -> object:
        raise NotImplementedError

    def _data_rows(self) -> Iterator[tuple[int, list[object]]]:
        """The file's rows but blank ones, numbered as a spreadsheet shows them."""
        for row_number, row in enumerate(self._rows, start=2):
            first = row[0] if row else None
            if not (type(first) is str and first.strip()) and _blank(row):
                continue
            self.rows += 1
            yield row_number, row

    def _values(self, row: list[object]) -> dict[str, object]:
        """A row's cells by field (the last of a repeated header)."""
        dates = self.date_fields
        return {
            # Plain text cells, nearly all of a CSV, skip _cell.
            field: cell
            if type(cell) is str and not (field in dates and cell.strip().isdigit())
            else _cell(field, cell, field in dates)
            for field, cell in zip(self._fields, row, strict=False)
            if field is not None
        }

    def _validated(self, row_number: int, row: list[object]) -> object:
        """One row validated, or the problem naming it."""
        try:
            return self.validate(self._values(row))
        except InvalidInput as exc:
            return self._problem(row_number, exc)

    def __iter__(self) -> Iterator[tuple[int, object]]:
        for row_number, row in self._data_rows():
            yield row_number, self._validated(row_number, row)

    def _problem(self, row_number: int, exc: InvalidInput) -> InvalidInput:
        field = getattr(exc, "field", None)
        reason = getattr(exc, "reason", exc)
        column = self.column_name(field) if field else None
        if column:
            return InvalidInput(
                "row {row}, column {column}: {reason}", row=row_number, column=column, reason=reason
            )
        return InvalidInput("row {row}: {reason}", row=row_number, reason=reason)


class OwnerFile(TableFile):
    """A sales system's customer file: rows become OwnerRecords. With ``update``, the file
    may also name owners already on record by their flat (项目 + 房号) or their id, with any
    subset of the other columns (``updates``)."""

    required = REQUIRED_FIELDS

    def header_aliases(self) -> dict[str, str]:
        # Read when the file is opened: the owner definition is the one place a field is added.
        aliases = header_aliases()
        if self.update:  # the owner id is a key, which only an update uses
            aliases.update(dict.fromkeys(owner_id_headers(), OWNER_ID))
        return aliases

    def __init__(self, path: Path, today: date, *, update: bool = False) -> None:
        self.update = update
        super().__init__(path, today)
        self.date_fields = frozenset(f.input for f in input_fields() if f.kind == "date")

    def check_header(self) -> None:
        """Every column a new owner needs; with ``update``, only a key: the flat (项目 and
        房号) or the owner id. A missing column is named with the headers that would do."""
        if self.update and OWNER_ID in self._fields:
            return
        required = KEY_FIELDS if self.update else self.required
        missing = [field for field in required if field not in self._fields]
        if not missing:
            return
        columns: InvalidInput | None = None
        for name in missing:
            field = input_field(name)
            column = InvalidInput(
                "{column} (accepted: {headers})",
                column=field.label,
                headers=", ".join(accepted_headers(field)),
            )
            columns = (
                column
                if columns is None
                else InvalidInput("{first}; {second}", first=columns, second=column)
            )
        if self.update:
            raise InvalidInput(
                "{path}: header lacks {columns}; or an owner id column ({headers})",
                path=self.path,
                columns=columns,
                headers=", ".join(owner_id_headers()),
            )
        raise InvalidInput("{path}: header lacks {columns}", path=self.path, columns=columns)

    def column_name(self, field: str) -> str:
        """The column's header as the file writes it, else the field's Chinese name."""
        if field in self._labels:
            return self._labels[field]
        if field == OWNER_ID:
            return owner_field("id").label or field
        try:
            return input_field(field).label or field
        except KeyError:
            return field

    def updated_columns(self) -> dict[str, str]:
        """The fields an update file may change (all but its key), with their headers."""
        return {
            field: header
            for field, header in self._labels.items()
            if field != OWNER_ID and field not in KEY_FIELDS
        }

    def updates(
        self, clear_empty: bool = False
    ) -> Iterator[tuple[int, OwnerUpdate | InvalidInput]]:
        """The rows of an update file, each ``(owner_id, project, unit, cells, new)``, or a
        problem: the key (the owner id, else None; project and unit as written, or None), the
        cells the file gives (``owner_cells``: only present columns, empty ones only with
        ``clear_empty``), and for a row keyed by its flat, the owner it adds if the flat has
        none yet (stored values; or the problem that stops it; or the input field the file
        lacks that a new owner needs)."""
        by_id = OWNER_ID in self._fields
        # A column every new owner needs that the file lacks: no row of it can add one.
        lacking = next((field for field in self.required if field not in self._fields), None)
        present = tuple(
            input_field(field)
            for field in dict.fromkeys(self._fields)
            if field is not None and field != OWNER_ID and not (by_id and field in KEY_FIELDS)
        )
        for row_number, row in self._data_rows():
            values = self._values(row)
            try:
                if by_id:
                    cell = values.get(OWNER_ID)
                    if cell is None or not str(cell).strip():
                        raise FieldError(OWNER_ID, "is required")
                    owner_id: int | None = parse_owner_id(cell, OWNER_ID)
                    project = cell_text(values.get("project"))
                    unit = cell_text(values.get("unit"))
                else:
                    owner_id = None
                cells = owner_cells(values, present, clear_empty)
            except InvalidInput as exc:
                yield row_number, self._problem(row_number, exc)
                continue
            new: OwnerValues | InvalidInput | str | None = None
            if not by_id:
                project, unit = cells.pop("project_id"), cells.pop("unit")
                if lacking:
                    new = lacking  # cheaper than a problem a row, made if the flat is new
                else:
                    try:
                        new = owner_values(owner_record(values, self.today))
                    except InvalidInput as exc:
                        new = self._problem(row_number, exc)
            yield row_number, (owner_id, project, unit, cells, new)

    def validate(self, values: dict[str, object]) -> OwnerRecord:
        return owner_record(values, self.today)

    def __iter__(self) -> Iterator[tuple[int, OwnerRecord | str]]:  # type: ignore[override]
        return super().__iter__()  # type: ignore[return-value]

    def values(self) -> Iterator[tuple[int, OwnerValues | InvalidInput]]:
        """The rows as stored values (for the bulk import), or problems. CSV rows in the plain
        form sales systems mostly write take the domain's fast check; the rest, and every
        XLSX row, the full validation."""
        if not self._plain_text or plain_fields():
            # XLSX cells, and the fields beyond the fast check's, take the full path.
            for row_number, item in self:
                yield row_number, owner_values(item) if isinstance(item, OwnerRecord) else item
            return
        # Last column wins for a repeated header, as in the full path; absent ones read "".
        position = {field: index for index, field in enumerate(self._fields) if field}
        pick = itemgetter(*(position.get(field, -1) for field in PLAIN_INPUT_FIELDS))
        width = len(self._fields)
        today_text = self.today.isoformat()
        for row_number, row in self._data_rows():
            if len(row) == width:
                row.append("")
                plain = plain_owner_values(pick(row), today_text)
                row.pop()
                if plain is not None:
                    yield row_number, plain
                    continue
            item = self._validated(row_number, row)
            yield row_number, owner_values(item) if isinstance(item, OwnerRecord) else item


SURVEY_ALIASES: dict[str, str] = {
    "业主编号": "owner_id",
    "客户编号": "owner_id",
    "owner": "owner_id",
    "owner_id": "owner_id",
    "项目": "project",
    "project": "project",
    "房号": "unit",
    "unit": "unit",
    "日期": "date",
    "调查日期": "date",
    "回访日期": "date",
    "date": "date",
    "评分": "score",
    "满意度": "score",
    "得分": "score",
    "score": "score",
    "意见": "comment",
    "评价": "comment",
    "备注": "comment",
    "comment": "comment",
    "调查机构": "source",
    "来源": "source",
    "source": "source",
}


class SurveyFile(TableFile):
    """A third-party satisfaction survey's results: owner (id, or project and unit), date,
    score 1–5, comment."""

    aliases = SURVEY_ALIASES
    required = ("date", "score")
    date_fields = frozenset({"date"})

    def validate(self, values: dict[str, object]) -> SurveyRow:
        return survey_row(values)


def read_owner_file(path: Path, today: date) -> ParsedFile:
    """Read and validate a whole (small) file at once."""
    owner_file = OwnerFile(path, today)
    records: list[tuple[int, OwnerRecord]] = []
    problems: list[InvalidInput] = []
    for row_number, item in owner_file:
        if isinstance(item, InvalidInput):
            problems.append(item)
        else:
            records.append((row_number, item))
    return ParsedFile(records, problems, owner_file.rows)
