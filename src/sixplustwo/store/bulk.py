"""The bulk owner import: a file's rows streamed into the database in batches, through the
gateway's bulk load (``Database.insert_many``), in the command's one transaction (a million
rows)."""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import ClassVar

from sixplustwo.domain.errors import InvalidInput
from sixplustwo.domain.owners import OWNER_VALUE_FIELDS, OwnerValues, owner_value_fields
from sixplustwo.store.audit import now_text
from sixplustwo.store.database import Database

# Projects by code and by name (codes win): the id and code of each.
Projects = dict[str, tuple[int, str]]
InsertRow = tuple  # the insert's values, laid out as insert_columns()
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
    update: bool = False,
    progress: Callable[[int], None] | None = None,
    expected_rows: int = 0,
) -> ImportResult:
    """Insert (or with ``update``, also update) rows from ``insert_rows`` as they stream in;
    they carry the file's own problems as messages. On any problem the caller rolls the
    transaction back; insertion goes on meanwhile, so that later duplicates of a row are still
    found and reported."""
    result = ImportResult()
    codes = {project_id: code for project_id, code in load_projects(connection).values()}
    batch = _OwnerBatch(connection, result, progress, codes)
    existing = _existing_units(connection) if update else {}
    owners = connection.execute("SELECT COUNT(*) FROM owner").fetchone()[0]
    # A large file into a smaller table: its secondary indexes are dropped and built again
    # at the end (a sort), which at a million rows is several times faster than keeping
    # nine indexes up to date row by row. Same transaction: a failure restores them.
    suspended = (
        connection.drop_indexes("owner")
        if expected_rows >= _BULK_FROM_ROWS and expected_rows >= owners
        else []
    )
    updates: list[tuple] = []
    columns = insert_columns()
    assignments = [
        # The first referrer wins: an update never replaces one already recorded.
        f"{column} = COALESCE({column}, {{}})" if column == "referred_by" else f"{column} = {{}}"
        for column in columns[2:]
    ]
    updated_keys: dict[tuple[int, str], int] = {}
    add = batch.add
    count = 0
    for count, (row_number, row) in enumerate(rows, start=1):  # noqa: B007
        if type(row) is not tuple:  # a problem
            result.problem(row)
            continue
        if existing:
            key = (row[0], row[_UNIT])
            if key in existing:
                if key in updated_keys:
                    result.problem(
                        InvalidInput(
                            "row {row}, unit: flat {code} {unit} is also on row {other}",
                            row=row_number,
                            code=codes[row[0]],
                            unit=row[_UNIT],
                            other=updated_keys[key],
                        )
                    )
                    continue
                updated_keys[key] = row_number
                updates.append((*row[2:], existing[key]))
                continue
        add(row_number, row)
    batch.flush()
    result.rows = count
    for start in range(0, len(updates), _BATCH_ROWS):
        chunk = updates[start : start + _BATCH_ROWS]
        connection.update_many("owner", assignments, "id", chunk, where="forgotten_on IS NULL")
        result.updated += len(chunk)
        if progress:
            progress(len(chunk))
    if not result.problems:
        connection.rebuild_indexes(suspended)
        if result.inserted * 10 >= owners + result.inserted:
            # Fresh planner statistics once the table has grown by a tenth: with stale
            # ones SQLite may scan owners project by project for the due list (a sampled
            # ANALYZE misled it so; the full one takes ~0.5 s at a million owners).
            connection.analyze()
    return result


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
_BULK_FROM_ROWS = 50_000


@dataclass
class ImportResult:
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    problems: list[InvalidInput] = field(default_factory=list)  # the first SHOWN_PROBLEMS
    problem_count: int = 0

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

    def add(self, row_number: int, row: InsertRow) -> None:
        self.numbers.append(row_number)
        self.pending.append(row)
        if len(self.pending) >= _BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        numbers, pending = self.numbers, self.pending
        if not pending:
            return
        self.numbers, self.pending = [], []
        connection = self.connection
        try:
            with connection.savepoint("owner_batch"):
                connection.insert_many("owner", self.columns, pending, self.constants)
        except connection.IntegrityError:
            for row_number, row in zip(numbers, pending, strict=True):
                self._insert_one(row_number, row)
        else:
            self.row_of.extend(numbers)
            self.result.inserted += len(pending)
        if self.progress:
            self.progress(len(pending))

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

    def _explain(self, row_number: int, row: InsertRow) -> str:
        holder = self.connection.one(
            "SELECT id FROM owner WHERE project_id = :p AND unit = :u",
            {"p": row[0], "u": row[_UNIT]},
        )
        if holder is None:  # not the flat, so the one other constraint: the referrer
            return InvalidInput(
                "row {row}, referred_by: no owner {owner}", row=row_number, owner=row[_REFERRED_BY]
            )
        flat = {"row": row_number, "code": self.codes[row[0]], "unit": row[_UNIT]}
        offset = holder[0] - self.first_id
        if 0 <= offset < len(self.row_of):
            return InvalidInput(
                "row {row}, unit: flat {code} {unit} is also on row {other}",
                other=self.row_of[offset],
                **flat,
            )
        return InvalidInput(
            "row {row}, unit: flat {code} {unit} already belongs to owner {owner}",
            owner=holder[0],
            **flat,
        )
