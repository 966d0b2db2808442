"""Owner files from a sales system: CSV (UTF-8, UTF-8 with BOM, GB18030) or XLSX → records."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import ClassVar

from sixplustwo.domain.errors import InvalidInput
from sixplustwo.domain.fields import (
    OWNER_ID,
    accepted_headers,
    flat_part_aliases,
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
    cell_text,
    owner_cells,
    owner_record,
    owner_values,
    parse_owner_id,
    plain_owner_values,
)
from sixplustwo.io.encodings import CSV_CELL_MAX  # noqa: F401  (tests read it here)
from sixplustwo.io.referrers import with_referrer
from sixplustwo.io.sheets import blank as _blank
from sixplustwo.io.sheets import cell as _cell
from sixplustwo.io.sheets import csv_rows, joined_flat, line_count, xlsx_rows
from sixplustwo.io.update_problems import update_problems

# A row of an update file: (owner id or None, project, unit, cells, the owner it adds).
OwnerUpdate = tuple


@dataclass(frozen=True)
class ParsedFile:
    records: list[tuple[int, OwnerRecord]]
    problems: list[InvalidInput]
    rows: int


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
            self._rows = xlsx_rows(path)
        elif suffix in (".csv", ".txt", ""):
            self._rows = csv_rows(path)
        else:
            raise InvalidInput(
                "{path}: import reads .csv or .xlsx files, not {suffix}", path=path, suffix=suffix
            )
        self.path = path
        self.today = today
        self.rows = 0  # non-blank data rows seen so far
        header, self.header_row = self._header()
        names = self._names(header)
        aliases = self.header_aliases()
        self._fields = [aliases.get(name) or aliases.get(name.lower()) for name in names]
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
        # 楼栋 and 单元 columns are joined into 房号's (the last of each); they are no field.
        self._joined: tuple[int, int, int] | None = None
        parts = {part: last.get(part, -1) for part in ("building", "entrance")}
        if "unit" in last and max(parts.values()) >= 0:
            self._joined = (parts["building"], parts["entrance"], last["unit"])
        self._fields = [
            None if field in ("building", "entrance") else field for field in self._fields
        ]

    # The header is looked for among the file's first rows, below a title (华苑一期业主台账…),
    # a blank row or merged cells; the rows above it are left out.
    HEADER_WITHIN = 10

    @staticmethod
    def _names(row: list[object]) -> list[str]:
        return [str(cell).strip().lstrip("\ufeff") if cell is not None else "" for cell in row]

    def _header(self) -> tuple[list[object], int]:
        """The header row and its number: the first of the first HEADER_WITHIN rows that
        names every column the file needs; if none does, the one that names the most (whose
        refusal then says where it was read)."""
        aliases = self.header_aliases()
        seen: list[list[object]] = []
        best: tuple[int, int] | None = None  # (columns named, index in seen)
        for row in self._rows:
            seen.append(row)
            fields = [aliases.get(name) or aliases.get(name.lower()) for name in self._names(row)]
            named = sum(1 for field in fields if field)
            if named and (best is None or named > best[0]):
                best = (named, len(seen) - 1)
            if named and not self._lacking(fields):
                best = (named, len(seen) - 1)
                break
            if len(seen) >= self.HEADER_WITHIN:
                break
        if best is None and all(_blank(row) for row in seen):
            raise InvalidInput("{path}: the file is empty", path=self.path)
        index = best[1] if best else next(i for i, row in enumerate(seen) if not _blank(row))
        header = seen[index]
        rest = seen[index + 1 :]
        if rest:
            self._rows = chain(rest, self._rows)
        fields = [aliases.get(n) or aliases.get(n.lower()) for n in self._names(header)]
        self._fields = fields
        try:
            self.check_header()
        except InvalidInput as exc:
            if index == 0:
                raise
            raise InvalidInput(
                "{error} (the header was looked for in the first {most} rows; row {row} "
                "names the most columns)",
                error=exc,
                most=self.HEADER_WITHIN,
                row=index + 1,
            ) from None
        return header, index + 1

    def _lacking(self, fields: list[str | None]) -> bool:
        """Whether a row with these fields lacks a column the file needs."""
        saved = getattr(self, "_fields", None)
        self._fields = fields
        try:
            self.check_header()
        except InvalidInput:
            return True
        finally:
            self._fields = saved  # type: ignore[assignment]
        return False

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
        return max(0, line_count(self.path) - 1) if self._plain_text else 0

    def validate(self, values: dict[str, object]) -> object:
        raise NotImplementedError

    def _data_rows(self) -> Iterator[tuple[int, list[object]]]:
        """The file's rows but blank ones, numbered as a spreadsheet shows them."""
        joined = self._joined
        for row_number, row in enumerate(self._rows, start=self.header_row + 1):
            first = row[0] if row else None
            if not (type(first) is str and first.strip()) and _blank(row):
                continue
            self.rows += 1
            if joined is not None:
                building, entrance, room = joined
                width = len(row)
                if room < width:
                    row[room] = joined_flat(
                        row[building] if 0 <= building < width else None,
                        row[entrance] if 0 <= entrance < width else None,
                        row[room],
                    )
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
        """One row validated, or the problem naming it (every problem of the row)."""
        try:
            return self.validate(self._values(row))
        except InvalidInput:
            return self._problems(row_number, row)

    # A value that passes its field's check, put in place of a bad one of a required field
    # while the rest of a bad row is checked for its other problems.
    STAND_INS: ClassVar[dict[str, object]] = {}

    def _problems(self, row_number: int, row: list[object]) -> InvalidInput:
        """Every problem of a bad row, in one message: each bad cell is set aside (emptied,
        or a stand-in for a required one) and the row checked again, until it passes. Only
        bad rows come here, so the cost of checking again is theirs."""
        dates = self.date_fields
        problems: list[InvalidInput] = []
        values: dict[str, object] = {}
        for field, cell in zip(self._fields, row, strict=False):
            if field is not None:
                try:
                    values[field] = _cell(field, cell, field in dates)
                except InvalidInput as exc:
                    problems.append(exc)
                    values[field] = self.STAND_INS.get(field)
        set_aside = {getattr(problem, "field", None) for problem in problems}
        for _ in range(len(self._fields) + 1):
            try:
                self.validate(values)
                break
            except InvalidInput as exc:
                field = getattr(exc, "field", None)
                if field in set_aside:  # its stand-in: no problem of the file's
                    break
                problems.append(exc)
                if field is None:
                    break
                set_aside.add(field)
                values[field] = self.STAND_INS.get(field)
        return self._combined(row_number, problems)

    def _combined(self, row_number: int, problems: list[InvalidInput]) -> InvalidInput:
        """A row's problems in one message: the first with its row, the others' columns."""
        message = self._problem(row_number, problems[0])
        for problem in problems[1:]:
            field = getattr(problem, "field", None)
            reason = getattr(problem, "reason", problem)
            if field:
                column = self.column_name(field)
                problem = InvalidInput("column {column}: {reason}", column=column, reason=reason)
            message = InvalidInput("{first}; {second}", first=message, second=problem)
        return message

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
    referrers: ClassVar[dict] = {}  # referrer texts → owner ids (io/referrers.py)
    STAND_INS: ClassVar[dict[str, object]] = {
        "name": "某",
        "phone": "13800000000",
        "project": "项目",
        "unit": "1",
    }

    def header_aliases(self) -> dict[str, str]:
        # Read when the file is opened: the owner definition is the one place a field is added.
        aliases = header_aliases()
        aliases.update(flat_part_aliases())
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
            try:
                values = with_referrer(self._values(row), self.referrers)
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
                found = update_problems(self, row, present, clear_empty) or [exc]
                yield row_number, self._combined(row_number, found)
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
        return owner_record(with_referrer(values, self.referrers), self.today)

    def __iter__(self) -> Iterator[tuple[int, OwnerRecord | str]]:  # type: ignore[override]
        return super().__iter__()  # type: ignore[return-value]

    def values(self) -> Iterator[tuple[int, OwnerValues | InvalidInput]]:
        """The rows as stored values (for the bulk import), or problems. CSV rows in the plain
        form sales systems mostly write take the domain's fast check; the rest, and every
        XLSX row, the full validation."""
        extra = plain_fields()
        if not self._plain_text or any(field.input in self._fields for field in extra):
            # XLSX cells, and a file with fields beyond the fast check's, take the full path.
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
