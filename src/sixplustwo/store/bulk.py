"""The bulk owner import: a file's rows streamed into the database in batches, through the
gateway's bulk load (``Database.insert_many``), in the command's one transaction (a million
rows)."""

from __future__ import annotations

import heapq
import re
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from operator import itemgetter
from typing import ClassVar

from sixplustwo.domain.errors import InvalidInput
from sixplustwo.domain.fields import OWNER_ID, input_field, input_fields
from sixplustwo.domain.owners import (
    KEY_FIELDS,
    OWNER_VALUE_FIELDS,
    FieldError,
    OwnerValues,
    merged_owner,
    owner_value_fields,
)
from sixplustwo.domain.search import SEARCH_COLUMNS, search_keys
from sixplustwo.store.database import Constraints, Database
from sixplustwo.store.rows import now_text

# Projects by code and by name (codes win): the id and code of each.
Projects = dict[str, tuple[int, str]]
InsertRow = tuple  # the insert's values, laid out as insert_columns()
# An update file's row (``OwnerFile.updates``, then ``update_rows``): the owner id or None,
# the project's id or None, the unit or None, the cells by stored column, the insert row of
# the owner it adds (a flat with none yet) or the problem that stops it.
UpdateRow = tuple
OwnerUpdate = tuple  # the same, the project as the file names it
# An insert row is an owner's stored values with the project's id in place of its code.
_UNIT = OWNER_VALUE_FIELDS.index("unit")
_REFERRED_BY = OWNER_VALUE_FIELDS.index("referred_by")


def load_projects(connection: Database) -> Projects:
    known = connection.execute("SELECT id, code, name FROM project").fetchall()
    projects = {name: (project_id, code) for project_id, code, name in known}
    projects.update({code: (project_id, code) for project_id, code, _ in known})
    return projects


def insert_rows(
    owners: Iterable[tuple[int, OwnerValues | InvalidInput]], projects: Projects
) -> Iterator[tuple[int, InsertRow | InvalidInput]]:
    """Owners as the owner table's insert rows (the project's id for its code or name), or
    problems. Pure: it runs in the process that reads the file, so that the one writing to
    the database only writes."""
    for row_number, owner in owners:
        if not isinstance(owner, tuple):  # a problem
            yield row_number, owner
            continue
        found = projects.get(owner[0])
        if found is None:
            yield (
                row_number,
                InvalidInput(
                    "row {row}, project: unknown project {code!r}", row=row_number, code=owner[0]
                ),
            )
            continue
        yield row_number, (found[0], *owner[1:])


def import_owners(
    connection: Database,
    rows: Iterable[tuple[int, InsertRow | InvalidInput]],
    *,
    progress: Callable[[int], None] | None = None,
    expected_rows: int = 0,
) -> ImportResult:
    """Insert rows from ``insert_rows`` as they stream in; they carry the file's own problems
    as messages. On any problem the caller rolls the transaction back; insertion goes on
    meanwhile, so that later duplicates of a row are still found and reported."""
    result = ImportResult()
    codes = {project_id: code for project_id, code in load_projects(connection).values()}
    batch = _OwnerBatch(connection, result, progress, codes)
    owners = connection.execute("SELECT COUNT(*) FROM owner").fetchone()[0]
    suspended = _suspend(connection, expected_rows, owners)
    if suspended:
        batch.in_flat_order()
    count = 0
    # Rows that come a list at a time (io/background.py: BackgroundRows.batches) are taken so.
    for chunk in rows.batches() if hasattr(rows, "batches") else _chunked(rows):
        count += len(chunk)
        batch.add_all(chunk)
    batch.flush()
    result.rows = count
    _finish(connection, result, owners, suspended, batch)
    return result


@dataclass
class _Suspended:
    """What a bulk load dropped from the owner table, to make again at its end."""

    indexes: list[str]
    constraints: Constraints


def _suspend(connection: Database, expected_rows: int, owners: int) -> _Suspended | None:
    """A large file into a smaller table: its secondary indexes are dropped and built again
    at the end (a sort), which at a million rows is several times faster than keeping nine
    indexes up to date row by row; so are its constraints where the database can drop them
    (on a server: the flat's unique key and the foreign keys; the batches check referrers
    themselves, and flats given twice are named at the end). Same transaction: a failure
    restores them."""
    if expected_rows >= _BULK_FROM_ROWS and expected_rows >= owners:
        return _Suspended(
            connection.drop_indexes("owner", keep=KEPT_INDEXES),
            connection.drop_constraints("owner"),
        )
    return None


# Indexes a bulk insert keeps up to date rather than builds again (a scan of the whole table
# each): the flat's key is indexed only where the flat is not written plainly (a ledger of
# plain flats adds no entries), and new owners all want greetings (the index of those who
# want none gets no entries).
KEPT_INDEXES = ("ix_owner_unit_key", "ix_owner_no_greetings")


def _finish(
    connection: Database,
    result: ImportResult,
    owners: int,
    suspended: _Suspended | None,
    batch: _OwnerBatch,
) -> None:
    if suspended is not None and suspended.constraints.unique:
        # The flat's unique key, also after other problems: every row given a flat twice is
        # named, as when the key refused it during the load.
        try:
            with connection.savepoint("owner_unique"):
                connection.rebuild_indexes(suspended.constraints.unique)
        except connection.IntegrityError:
            if not batch.name_repeated_flats():
                raise  # not a flat given twice: a key this import does not know
    if not result.problems:
        if suspended is not None:
            connection.rebuild_indexes([*suspended.indexes, *suspended.constraints.foreign])
        if result.inserted * 10 >= owners + result.inserted:
            # Fresh planner statistics once the table has grown by a tenth: with stale
            # ones SQLite may scan owners project by project for the due list (a sampled
            # ANALYZE misled it so; the full one takes ~0.5 s at a million owners).
            connection.analyze()


def update_rows(
    owners: Iterable[tuple[int, OwnerUpdate | InvalidInput]], projects: Projects
) -> Iterator[tuple[int, UpdateRow | InvalidInput]]:
    """An update file's rows (``OwnerFile.updates``) with the project's id for its code or
    name, in the key and in the owner a row adds; or problems. Pure, like ``insert_rows``."""
    for row_number, owner in owners:
        if not isinstance(owner, tuple):  # a problem
            yield row_number, owner
            continue
        owner_id, project, unit, cells, new = owner
        project_id = None
        if project is not None:
            found = projects.get(project)
            if found is None:
                yield (
                    row_number,
                    InvalidInput(
                        "row {row}, project: unknown project {code!r}", row=row_number, code=project
                    ),
                )
                continue
            project_id = found[0]
        if isinstance(new, tuple):
            new = (project_id, *new[1:])
        yield row_number, (owner_id, project_id, unit, cells, new)


def update_owners(
    connection: Database,
    rows: Iterable[tuple[int, UpdateRow | InvalidInput]],
    today: date,
    *,
    labels: Mapping[str, str] | None = None,
    progress: Callable[[int], None] | None = None,
    expected_rows: int = 0,
) -> ImportResult:
    """``owner import --update``: each row from ``update_rows`` names an owner on record (by
    flat or id), whose stored values take the row's cells, or a flat with no owner yet, which
    the row adds. Only the columns whose values change are written; the merged owner is
    checked as a whole (``merged_owner``). ``result.changes`` counts the stored values that
    change, by input field. A forgotten owner is left alone. ``labels`` names input fields in
    problems (the file's headers)."""
    result = ImportResult()
    labels = labels or {}
    codes = {project_id: code for project_id, code in load_projects(connection).values()}
    batch = _OwnerBatch(connection, result, progress, codes)
    owners = connection.execute("SELECT COUNT(*) FROM owner").fetchone()[0]
    flats = _existing_units(connection)
    ids: set[int] | None = None  # owners on record, for rows that name one by id
    suspended = _suspend(connection, expected_rows, owners)
    # The file row that names each owner on record, by id (0: none yet); an array, because
    # at a million owners a dict costs ~100 MB.
    seen = array("q", bytes(8 * (max(flats.values(), default=0) + 1)))
    found: list[tuple[int, int, UpdateRow]] = []

    def update_found() -> None:
        batch.flush()  # owners the file adds first: a referrer may be one of them
        _update_chunk(connection, found, today, labels, codes, result)
        if progress:
            progress(len(found))
        found.clear()

    count = 0
    for count, (row_number, row) in enumerate(rows, start=1):  # noqa: B007
        if type(row) is not tuple:  # a problem
            result.problem(row)
            continue
        owner_id, project_id, unit, _, new = row
        if owner_id is not None:
            if ids is None:
                ids = set(flats.values())
            if owner_id not in ids:
                result.problem(
                    InvalidInput(
                        "row {row}, column {column}: no owner with id {id}",
                        row=row_number,
                        column=labels.get(OWNER_ID, OWNER_ID),
                        id=owner_id,
                    )
                )
                continue
        else:
            owner_id = flats.get((project_id, unit))
            if owner_id is None:  # a flat with no owner yet: the row adds one
                if isinstance(new, tuple):
                    batch.add(row_number, new)
                else:
                    result.problem(
                        _new_flat_problem(row_number, new, codes[project_id], unit, labels)
                    )
                continue
        if seen[owner_id]:
            result.problem(
                InvalidInput(
                    "row {row}: owner {owner} is also on row {other}",
                    row=row_number,
                    owner=owner_id,
                    other=seen[owner_id],
                )
            )
            continue
        seen[owner_id] = row_number
        found.append((row_number, owner_id, row))
        if len(found) >= _BATCH_ROWS:
            update_found()
    update_found()
    result.rows = count
    result.changes["new"] = result.inserted
    _finish(connection, result, owners, suspended, batch)
    return result


# The stored columns an update may read and write, and each one's input field.
def _updated_columns() -> dict[str, str]:
    return {f.name: f.input for f in input_fields() if f.input not in KEY_FIELDS}


def _update_chunk(
    connection: Database,
    chunk: list[tuple[int, int, UpdateRow]],
    today: date,
    labels: Mapping[str, str],
    codes: dict[int, str],
    result: ImportResult,
) -> None:
    """Merge a batch of rows into their owners and write what changed, grouped by the set of
    changed columns (one executemany each)."""
    columns = _updated_columns()
    read = ["id", "project_id", "unit", "forgotten_on", "birthday_md", *SEARCH_COLUMNS, *columns]
    stored: dict[int, dict[str, object]] = {}
    for placeholders, params in connection.in_bulk(owner_id for _, owner_id, _ in chunk):
        query = f"SELECT {', '.join(read)} FROM owner WHERE id IN ({placeholders})"
        for values in connection.execute(query, params):
            stored[values[0]] = dict(zip(read, values, strict=True))
    writes: dict[tuple[str, ...], list[tuple]] = {}
    referrers: list[tuple[int, int]] = []
    changes = result.changes
    for row_number, owner_id, (_, project_id, unit, cells, _) in chunk:
        owner = stored[owner_id]
        if owner["forgotten_on"] is not None:
            continue  # erased on request: an import does not bring the person back
        if (project_id is not None and project_id != owner["project_id"]) or (
            unit is not None and unit != owner["unit"]
        ):
            result.problem(
                InvalidInput(
                    "row {row}: owner {owner} lives in {code} {unit}, not {other_code} {other}",
                    row=row_number,
                    owner=owner_id,
                    code=codes[owner["project_id"]],
                    unit=owner["unit"],
                    other_code=codes[project_id] if project_id is not None else "",
                    other=unit or "",
                )
            )
            continue
        try:
            merged = merged_owner(owner, cells, today)
        except FieldError as exc:
            column = labels.get(exc.field) or _label(exc.field)
            result.problem(
                InvalidInput(
                    "row {row}, column {column}: {reason}",
                    row=row_number,
                    column=column,
                    reason=exc.reason,
                )
            )
            continue
        result.updated += 1
        if "name" in cells:
            merged.update(search_keys(merged["name"], merged["unit"]))  # type: ignore[arg-type]
        derived = ("birthday_md", *SEARCH_COLUMNS)
        changed = tuple(c for c in (*cells, *derived) if merged[c] != owner[c])
        for column in changed:
            if column in columns:
                name = columns[column]
                changes[name] = changes.get(name, 0) + 1
        if "referred_by" in changed:
            referrers.append((row_number, merged["referred_by"]))
        if changed:
            writes.setdefault(changed, []).append((*(merged[c] for c in changed), owner_id))
    _check_referrers(connection, referrers, labels, result)
    if result.problems:
        return  # rolled back: no need to write
    for changed, values in writes.items():
        assignments = [f"{column} = {{}}" for column in changed]
        connection.update_many("owner", assignments, "id", values)


def _check_referrers(
    connection: Database,
    referrers: list[tuple[int, int]],
    labels: Mapping[str, str],
    result: ImportResult,
) -> None:
    """A referrer an update records must be an owner on record (or added by the file)."""
    known = _on_record(connection, {owner for _, owner in referrers})
    for row_number, owner in referrers:
        if owner not in known:
            result.problem(
                InvalidInput(
                    "row {row}, column {column}: no owner {owner}",
                    row=row_number,
                    column=labels.get("referred_by") or _label("referred_by"),
                    owner=owner,
                )
            )


def _on_record(connection: Database, owners: set[int]) -> set[int]:
    """Those of ``owners`` that are owners on record."""
    known: set[int] = set()
    for placeholders, params in connection.in_bulk(owners):
        query = f"SELECT id FROM owner WHERE id IN ({placeholders})"
        known.update(owner for (owner,) in connection.execute(query, params))
    return known


def _new_flat_problem(
    row_number: int,
    problem: InvalidInput | str,
    code: str,
    unit: str,
    labels: Mapping[str, str],
) -> InvalidInput:
    """Why a row cannot add the owner of a flat that has none: its problem, or the column
    (``problem`` names its field) the file lacks."""
    if isinstance(problem, str):
        problem = InvalidInput(
            "row {row}, column {column}: {reason}",
            row=row_number,
            column=labels.get(problem) or _label(problem),
            reason=InvalidInput("is required"),
        )
    return InvalidInput(
        "{problem} (no owner in flat {code} {unit} yet: the row adds one)",
        problem=problem,
        code=code,
        unit=unit,
    )


def _label(field: str) -> str:
    try:
        return input_field(field).label or field
    except KeyError:
        return field


def _existing_units(connection: Database) -> dict[tuple[int, str], int]:
    result = connection.execute("SELECT project_id, unit, id FROM owner")
    return {(project_id, unit): owner_id for project_id, unit, owner_id in result}


# The stored column of each value the domain lays out (owner_value_fields), where it differs.
_COLUMN_OF = {"project": "project_id", "birthday_key": "birthday_md"}


def insert_columns() -> tuple[str, ...]:
    """The owner columns an insert row fills, in its order: derived from the owner definition
    (``domain/fields.py``) through the domain's value layout."""
    return tuple(_COLUMN_OF.get(name, name) for name in owner_value_fields())


_STAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}")


def _constants(created_at: str) -> dict[str, str]:
    """The insert's two constant columns as SQL literals, written into the statement: binding
    them on every row cost a quarter of a million-row insert."""
    if not _STAMP.fullmatch(created_at):
        raise ValueError(f"not a timestamp: {created_at!r}")
    return {"wants_greetings": "TRUE", "created_at": f"'{created_at}'"}


_BATCH_ROWS = 5000
_FIRST, _SECOND = itemgetter(0), itemgetter(1)


def _chunked(rows: Iterable[tuple[int, InsertRow | InvalidInput]]) -> Iterator[list]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, _BATCH_ROWS)):
        yield chunk


_FLAT_ORDER_WINDOW = 50_000  # rows a bulk import sorts and inserts at a time (~30 MB)
_UNIT_OF, _PROJECT_OF = itemgetter(_UNIT), itemgetter(0)


def _in_flat_order(rows: list[InsertRow], numbers: list[int]) -> tuple[list, list[int]]:
    """Insert rows (and their file rows) in (project id, unit) order, stable for a repeated
    flat. Rows whose sampled neighbours are in that order already (a ledger sorted by
    project and flat) are left as they are: checking every row costs ~0.5 s at a million
    rows, sorting ~1 s."""
    step = max(1, len(rows) // 200)
    if all(
        (rows[i][0], rows[i][_UNIT]) <= (rows[i + 1][0], rows[i + 1][_UNIT])
        for i in range(0, len(rows) - 1, step)
    ):
        return rows, numbers
    # Two stable sorts with keys read in C (by unit, then by project): ~40% faster than one
    # sort by a composed key.
    units, projects = list(map(_UNIT_OF, rows)), list(map(_PROJECT_OF, rows))
    order = sorted(range(len(rows)), key=units.__getitem__)
    order.sort(key=projects.__getitem__)
    return [rows[i] for i in order], [numbers[i] for i in order]


_BULK_FROM_ROWS = 50_000


@dataclass
class ImportResult:
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    problems: list[InvalidInput] = field(default_factory=list)  # the first SHOWN_PROBLEMS
    problem_count: int = 0
    # An update's count of stored values that change, by input field; "new": owners added.
    changes: dict[str, int] = field(default_factory=dict)

    SHOWN_PROBLEMS: ClassVar[int] = 50

    def problem(self, problem: InvalidInput) -> None:
        self.problem_count += 1
        if len(self.problems) < self.SHOWN_PROBLEMS:
            self.problems.append(problem)


class _OwnerBatch:
    """Rows waiting for one executemany. A batch that breaks a constraint is rolled back to
    its savepoint and replayed row by row, to name each bad row: the fast path stays fast."""

    def __init__(
        self,
        connection: Database,
        result: ImportResult,
        progress: Callable[[int], None] | None,
        codes: dict[int, str],
    ) -> None:
        self.connection = connection
        self.result = result
        self.progress = progress
        self.codes = codes
        self.columns = insert_columns()
        self.created_at = now_text()
        self.constants = _constants(self.created_at)
        self.numbers: list[int] = []
        self.pending: list[InsertRow] = []
        self.first_id: int = connection.next_id("owner")
        self.row_of = array("q")  # file row of each owner inserted, by id - first_id
        self.size = _BATCH_ROWS
        self.sort = False

    def in_flat_order(self) -> None:
        """Insert in batches of _FLAT_ORDER_WINDOW rows, each in the order of the flat's unique
        index (project, unit): a large file in no particular order (typed or sorted by hand)
        otherwise inserts into that index at random places, which took the insert ~60%
        longer at a million rows (measured). Owners get their ids in that order within a
        batch; the file row of each is kept (``row_of``) to name it. The reader goes on
        meanwhile (io/background.py takes its batches off the pipe ahead)."""
        self.size = _FLAT_ORDER_WINDOW
        self.sort = True

    def add(self, row_number: int, row: InsertRow) -> None:
        self.numbers.append(row_number)
        self.pending.append(row)
        if len(self.pending) >= self.size:
            self.flush()

    def add_all(self, rows: list[tuple[int, InsertRow | InvalidInput]]) -> None:
        """A list of the file's rows (row number, insert row or problem), in the file's order;
        a window (``size`` rows) is inserted as soon as it is full."""
        if not all(type(row) is tuple for _, row in rows):
            for row_number, row in rows:
                if type(row) is tuple:
                    self.add(row_number, row)
                else:  # a problem
                    self.result.problem(row)
            return
        start = 0
        while start < len(rows):  # the usual list, no problem in it: taken in slices
            part = rows[start : start + self.size - len(self.pending)]
            start += len(part)
            self.numbers.extend(map(_FIRST, part))
            self.pending.extend(map(_SECOND, part))
            if len(self.pending) >= self.size:
                self.flush()

    def flush(self) -> None:
        numbers, pending = self.numbers, self.pending
        if not pending:
            return
        self.numbers, self.pending = [], []
        taken = len(pending)
        numbers, pending = self._with_referrers(numbers, pending)
        if self.sort:
            pending, numbers = _in_flat_order(pending, numbers)
        connection = self.connection
        try:
            with connection.savepoint("owner_batch"):
                connection.insert_many("owner", self.columns, pending, self.constants)
        except connection.IntegrityError:
            # Row by row in the file's order, to name each bad row after the one it repeats.
            for row_number, row in sorted(zip(numbers, pending, strict=True), key=itemgetter(0)):
                self._insert_one(row_number, row)
        else:
            self.row_of.extend(numbers)
            self.result.inserted += len(pending)
        if self.progress:
            self.progress(taken)

    def _with_referrers(
        self, numbers: list[int], pending: list[InsertRow]
    ) -> tuple[list[int], list[InsertRow]]:
        """The rows whose referrer, if any, is an owner on record or one this batch adds; the
        others are problems. Checked here, not left to the foreign key: a bulk load suspends
        it on a server."""
        referred = {row[_REFERRED_BY] for row in pending} - {None}
        if not referred:
            return numbers, pending
        missing = referred - _on_record(self.connection, referred)
        first = self.connection.next_id("owner") if missing else 0
        while missing:
            # The ids this batch gives (as many as the rows it keeps) are owners too.
            given = range(first, first + len(pending))
            missing = {owner for owner in missing if owner not in given}
            kept: tuple[list[int], list[InsertRow]] = ([], [])
            for row_number, row in zip(numbers, pending, strict=True):
                if row[_REFERRED_BY] not in missing:
                    kept[0].append(row_number)
                    kept[1].append(row)
                    continue
                self.result.problem(
                    InvalidInput(
                        "row {row}, referred_by: no owner {owner}",
                        row=row_number,
                        owner=row[_REFERRED_BY],
                    )
                )
            if len(kept[1]) == len(pending):
                break
            # A row fewer gives an id fewer: a referrer to the last id may be missing now.
            numbers, pending = kept
            missing = {row[_REFERRED_BY] for row in pending} - {None}
            missing -= _on_record(self.connection, missing)
        return numbers, pending

    def _insert_one(self, row_number: int, row: InsertRow) -> None:
        values = dict(zip(self.columns, row, strict=True))
        values.update(wants_greetings=True, created_at=self.created_at)
        try:
            with self.connection.savepoint("owner_row"):
                owner_id = self.connection.insert("owner", values)
        except self.connection.IntegrityError:
            self.result.problem(self._explain(row_number, row))
            return
        offset = owner_id - self.first_id
        self.row_of.extend([0] * (offset - len(self.row_of)))
        self.row_of.append(row_number)
        self.result.inserted += 1

    def _explain(self, row_number: int, row: InsertRow) -> InvalidInput:
        holder = self.connection.one(
            "SELECT id FROM owner WHERE project_id = :p AND unit = :u",
            {"p": row[0], "u": row[_UNIT]},
        )
        if holder is None:  # not the flat, so the one other constraint: the referrer
            return InvalidInput(
                "row {row}, referred_by: no owner {owner}", row=row_number, owner=row[_REFERRED_BY]
            )
        return self._flat_taken(row_number, row[0], row[_UNIT], holder[0])

    def _flat_taken(self, row_number: int, project_id: int, unit: str, holder: int) -> InvalidInput:
        """Row ``row_number`` gives the flat that owner ``holder`` has: one the file added
        (named by its row) or one on record."""
        flat = {"row": row_number, "code": self.codes[project_id], "unit": unit}
        offset = holder - self.first_id
        if 0 <= offset < len(self.row_of):
            return InvalidInput(
                "row {row}, unit: flat {code} {unit} is also on row {other}",
                other=self.row_of[offset],
                **flat,
            )
        return InvalidInput(
            "row {row}, unit: flat {code} {unit} already belongs to owner {owner}",
            owner=holder,
            **flat,
        )

    def name_repeated_flats(self) -> int:
        """Name the rows this load gave a flat that an earlier row or an owner on record has,
        found by one query (the flat's unique key was dropped for the load): each is named as
        the key would have refused it, in the file's order (after the file's other problems).
        Ids follow the file's order across batches and, within a batch, the flats' order,
        stable for a repeated flat: the lowest id of a flat is its first holder. The rows are
        read in chunks and only the first shown are put into words: a ledger imported twice
        repeats every flat. How many were found."""
        found = self.connection.stream(
            "SELECT o.id, o.project_id, o.unit FROM owner o JOIN (SELECT project_id, unit "
            "FROM owner GROUP BY project_id, unit HAVING COUNT(*) > 1) r "
            "ON r.project_id = o.project_id AND r.unit = o.unit ORDER BY o.project_id, o.unit, o.id"
        )
        count = 0

        def repeats() -> Iterator[tuple[int, int, str, int]]:
            nonlocal count
            holder = (0, None, None)
            for _, rows in found:
                for owner_id, project_id, unit in rows:
                    if (project_id, unit) != holder[1:]:
                        holder = (owner_id, project_id, unit)
                        continue
                    # Owners on record had no flat twice (the key held): a repeat is this load's.
                    assert owner_id >= self.first_id, (owner_id, self.first_id)
                    count += 1
                    yield self.row_of[owner_id - self.first_id], project_id, unit, holder[0]

        shown = heapq.nsmallest(ImportResult.SHOWN_PROBLEMS, repeats())
        for row_number, project_id, unit, holder in shown:
            self.result.problem(self._flat_taken(row_number, project_id, unit, holder))
        self.result.problem_count += count - len(shown)
        return count
