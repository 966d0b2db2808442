"""New owners written in batches, the part of a bulk load both ``owner import`` and
``owner import --update`` (a flat with no owner yet) share: rows inserted a batch at a time
through the gateway's bulk load (``Database.insert_many``), in the order of the flat's index
for a large file, a batch that breaks a constraint replayed row by row to name each bad row;
for a large file the owner table's indexes and constraints suspended and built again at the
end; the counts and problems of the import. The two commands themselves are in
``store/bulk.py``."""

from __future__ import annotations

import heapq
import re
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from typing import ClassVar

from sixplustwo.domain.errors import N_, InvalidInput
from sixplustwo.domain.flats import flat_key
from sixplustwo.domain.owners import OWNER_VALUE_FIELDS, owner_value_fields
from sixplustwo.domain.phones import mask_phone
from sixplustwo.domain.rules import cycle_text, referral_cycle
from sixplustwo.store.database import Constraints, Database
from sixplustwo.store.rows import now_text
from sixplustwo.store.search import FLAT_INDEX, FLAT_KEY

InsertRow = tuple  # the insert's values, laid out as insert_columns()
# An insert row is an owner's stored values with the project's id in place of its code.
_UNIT = OWNER_VALUE_FIELDS.index("unit")
_REFERRED_BY = OWNER_VALUE_FIELDS.index("referred_by")
_PHONE = OWNER_VALUE_FIELDS.index("phone")


@dataclass
class Suspended:
    """What a bulk load dropped from the owner table, to make again at its end."""

    indexes: list[str]
    constraints: Constraints


def suspend(connection: Database, expected_rows: int, owners: int) -> Suspended | None:
    """A large file into a smaller table: its secondary indexes are dropped and built again
    at the end (a sort), which at a million rows is several times faster than keeping nine
    indexes up to date row by row; so are its constraints where the database can drop them
    (on a server: the flat's unique key and the foreign keys; the batches check referrers
    themselves, and flats given twice are named at the end). Same transaction: a failure
    restores them."""
    if expected_rows >= _BULK_FROM_ROWS and expected_rows >= owners:
        indexes = connection.drop_indexes("owner", keep=KEPT_INDEXES)
        constraints = connection.drop_constraints("owner")
        # The flat key's unique index is made again first, as the flat's unique key: a flat
        # given twice, however written, is named (name_repeated_flats).
        flat = [sql for sql in indexes if FLAT_INDEX in sql]
        constraints.unique += flat
        return Suspended([sql for sql in indexes if sql not in flat], constraints)
    return None


# Indexes a bulk insert keeps up to date rather than builds again (a scan of the whole table
# each): the flat's key is indexed only where the flat is not written plainly (a ledger of
# plain flats adds no entries), and new owners all want greetings (the index of those who
# want none gets no entries).
KEPT_INDEXES = ("ix_owner_unit_key", "ix_owner_no_greetings")


def finish(
    connection: Database,
    result: ImportResult,
    owners: int,
    suspended: Suspended | None,
    batch: OwnerBatch,
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


def on_record(connection: Database, owners: set[int]) -> set[int]:
    """Those of ``owners`` that are owners on record."""
    known: set[int] = set()
    for placeholders, params in connection.in_bulk(owners):
        query = f"SELECT id FROM owner WHERE id IN ({placeholders})"
        known.update(owner for (owner,) in connection.execute(query, params))
    return known


def forgotten(connection: Database, owners: set[int]) -> set[int]:
    """Those of ``owners`` that were forgotten (erased on request): no one's referrer."""
    found: set[int] = set()
    for placeholders, params in connection.in_bulk(owners):
        query = f"SELECT id FROM owner WHERE id IN ({placeholders}) AND forgotten_on IS NOT NULL"
        found.update(owner for (owner,) in connection.execute(query, params))
    return found


def referrer_links(connection: Database, owners: Iterable[int]) -> dict[int, int | None]:
    """Each of ``owners``, and each referrer up their chains, with the owner who referred
    them (None: nobody), for the domain's ``referral_cycle``. The recursive query's UNION
    ends at an owner seen before, so a cycle already stored cannot make it loop."""
    links: dict[int, int | None] = {}
    for placeholders, params in connection.in_bulk(owners):
        query = (
            "WITH RECURSIVE up (id, referred_by) AS ("
            f"SELECT id, referred_by FROM owner WHERE id IN ({placeholders}) "
            "UNION SELECT o.id, o.referred_by FROM owner o JOIN up ON o.id = up.referred_by"
            ") SELECT id, referred_by FROM up"
        )
        links.update(connection.execute(query, params))
    return links


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


BATCH_ROWS = 5000
_FIRST, _SECOND = itemgetter(0), itemgetter(1)


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
    # An update's rows naming an owner erased on request, left alone (the first SHOWN_PROBLEMS).
    forgotten_rows: list[int] = field(default_factory=list)
    forgotten_count: int = 0
    # An update's rows that name an owner on record and change none of their values.
    unchanged: int = 0

    SHOWN_PROBLEMS: ClassVar[int] = 50

    # The same problem on many rows (an unknown project on all 300), folded: its message but
    # the row → [the first row's problem, how many rows, their ranges [first, last]].
    folds: dict[str, list] = field(default_factory=dict)

    FOLDS_KEPT: ClassVar[int] = 1000
    RANGES_KEPT: ClassVar[int] = 20

    def problem(self, problem: InvalidInput) -> None:
        self.problem_count += 1
        if len(self.problems) < self.SHOWN_PROBLEMS:
            self.problems.append(problem)
        row = problem.params.get("row")
        if not isinstance(row, int):  # a row's several problems in one message: shown alone
            if len(self.folds) < self.FOLDS_KEPT:
                self.folds[f"#{self.problem_count}"] = [problem, 1, []]
            return
        key = InvalidInput(problem.msgid, **{**problem.params, "row": ""}).render()
        fold = self.folds.get(key)
        if fold is None:
            if len(self.folds) < self.FOLDS_KEPT:
                self.folds[key] = [problem, 1, [[row, row]]]
            return
        fold[1] += 1
        ranges = fold[2]
        if ranges[-1][1] == row - 1:
            ranges[-1][1] = row
        elif len(ranges) < self.RANGES_KEPT:
            ranges.append([row, row])

    def forgotten(self, row: int) -> None:
        self.forgotten_count += 1
        if len(self.forgotten_rows) < self.SHOWN_PROBLEMS:
            self.forgotten_rows.append(row)


class OwnerBatch:
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
        self.size = BATCH_ROWS
        self.sort = False
        self.forward = False  # a row's referrer is an owner this import adds

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

    def _set_aside(
        self, numbers: list[int], pending: list[InsertRow], bad: set[int], message: str
    ) -> tuple[list[int], list[InsertRow]]:
        """The rows whose referrer is not in ``bad``; each other row is a problem, named by
        ``message`` (with its row and referrer)."""
        kept: tuple[list[int], list[InsertRow]] = ([], [])
        for row_number, row in zip(numbers, pending, strict=True):
            if row[_REFERRED_BY] not in bad:
                kept[0].append(row_number)
                kept[1].append(row)
            else:
                self.result.problem(InvalidInput(message, row=row_number, owner=row[_REFERRED_BY]))
        return kept

    def _with_referrers(
        self, numbers: list[int], pending: list[InsertRow]
    ) -> tuple[list[int], list[InsertRow]]:
        """The rows whose referrer, if any, is an owner on record or one this batch adds; the
        others are problems. Checked here, not left to the foreign key: a bulk load suspends
        it on a server."""
        referred = {row[_REFERRED_BY] for row in pending} - {None}
        if not referred:
            return numbers, pending
        gone = forgotten(self.connection, referred)
        if gone:
            numbers, pending = self._set_aside(
                numbers,
                pending,
                gone,
                N_("row {row}, referred_by: owner {owner} was forgotten: no one's referrer"),
            )
            referred -= gone
        missing = referred - on_record(self.connection, referred)
        # Referrers among the owners this import adds: a cycle among them is looked for
        # at the end (check_cycles).
        self.forward = self.forward or bool(missing)
        first = self.connection.next_id("owner") if missing else 0
        while missing:
            # The ids this batch gives (as many as the rows it keeps) are owners too.
            given = range(first, first + len(pending))
            missing = {owner for owner in missing if owner not in given}
            kept = self._set_aside(
                numbers, pending, missing, N_("row {row}, referred_by: no owner {owner}")
            )
            if len(kept[1]) == len(pending):
                break
            # A row fewer gives an id fewer: a referrer to the last id may be missing now.
            numbers, pending = kept
            missing = {row[_REFERRED_BY] for row in pending} - {None}
            missing -= on_record(self.connection, missing)
        return numbers, pending

    def check_cycles(self) -> None:
        """A referral cycle among the owners this import added (each names another of them,
        or themselves, as referrer) is a problem, named by the row of each owner in it."""
        if not self.forward:
            return
        links = dict(
            self.connection.execute(
                "SELECT id, referred_by FROM owner WHERE id >= :first AND referred_by >= :first",
                {"first": self.first_id},
            )
        )
        for owner in sorted(links):
            cycle = referral_cycle(owner, links)
            offset = owner - self.first_id
            if cycle is not None and 0 <= offset < len(self.row_of):
                self.result.problem(
                    InvalidInput(
                        "row {row}, referred_by: a referral cycle ({cycle}, each referred by "
                        "the next)",
                        row=self.row_of[offset],
                        cycle=cycle_text(cycle),
                    )
                )

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
            "SELECT id FROM owner WHERE project_id = :p AND (unit = :k OR unit_key = :k) "
            "ORDER BY id",
            {"p": row[0], "k": flat_key(row[_UNIT])},
        )
        if holder is None:  # not the flat, so the one other constraint: the referrer
            return InvalidInput(
                "row {row}, referred_by: no owner {owner}", row=row_number, owner=row[_REFERRED_BY]
            )
        return self._flat_taken(row_number, row[0], row[_UNIT], holder[0], row[_PHONE])

    def _flat_taken(
        self, row_number: int, project_id: int, unit: str, holder: int, phone: object
    ) -> InvalidInput:
        """Row ``row_number`` gives the flat that owner ``holder`` has: one the file added
        (named by its row) or one on record; with both phones, masked, where they differ
        (two people for one flat: neither is imported)."""
        flat = {"row": row_number, "code": self.codes[project_id], "unit": unit}
        offset = holder - self.first_id
        held = self.connection.scalar("SELECT phone FROM owner WHERE id = :h", {"h": holder})
        differ = phone is not None and held is not None and phone != held
        if differ:
            flat.update(phone=mask_phone(str(phone)), held=mask_phone(str(held)))
        if 0 <= offset < len(self.row_of):
            if differ:
                return InvalidInput(
                    "row {row}, unit: flat {code} {unit} is also on row {other}, with another "
                    "phone ({phone}; row {other}: {held}): neither is imported",
                    other=self.row_of[offset],
                    **flat,
                )
            return InvalidInput(
                "row {row}, unit: flat {code} {unit} is also on row {other}",
                other=self.row_of[offset],
                **flat,
            )
        if differ:
            return InvalidInput(
                "row {row}, unit: flat {code} {unit} already belongs to owner {owner}, with "
                "another phone ({phone}; owner {owner}: {held}): neither is changed",
                owner=holder,
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
        key = FLAT_KEY.replace("unit", "o.unit")
        found = self.connection.stream(
            f"SELECT o.id, o.project_id, o.unit, {key}, o.phone FROM owner o JOIN (SELECT "
            f"project_id, {FLAT_KEY} AS k FROM owner WHERE forgotten_on IS NULL GROUP BY "
            f"project_id, {FLAT_KEY} HAVING COUNT(*) > 1) r ON r.project_id = o.project_id "
            f"AND r.k = {key} ORDER BY o.project_id, {key}, o.id"
        )
        count = 0

        def repeats() -> Iterator[tuple[int, int, str, int, object]]:
            nonlocal count
            holder = (0, None, None)
            for _, rows in found:
                for owner_id, project_id, unit, flat, phone in rows:
                    if (project_id, flat) != holder[1:]:
                        holder = (owner_id, project_id, flat)
                        continue
                    if owner_id < self.first_id:
                        continue  # twins an older database held (named by check)
                    count += 1
                    row_number = self.row_of[owner_id - self.first_id]
                    yield row_number, project_id, unit, holder[0], phone

        shown = heapq.nsmallest(ImportResult.SHOWN_PROBLEMS, repeats())
        for row_number, project_id, unit, holder, phone in shown:
            self.result.problem(self._flat_taken(row_number, project_id, unit, holder, phone))
        self.result.problem_count += count - len(shown)
        return count
