"""The bulk owner import (``owner import``) and update (``owner import --update``): a file's
rows streamed into the database in batches, through the gateway's bulk load
(``Database.insert_many``), in the command's one transaction (a million rows). The batches of
new owners both write, and the indexes suspended for a large file, are ``store/batches.py``'s;
here are the rows' projects, the update's merge and what it checks."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from itertools import islice

from sixplustwo.domain.errors import InvalidInput
from sixplustwo.domain.fields import OWNER_ID, input_field, input_fields
from sixplustwo.domain.flats import flat_key
from sixplustwo.domain.owners import (
    KEY_FIELDS,
    FieldError,
    OwnerValues,
    merged_owner,
)
from sixplustwo.domain.phones import mask_phone
from sixplustwo.domain.rules import cycle_text, referral_cycle
from sixplustwo.domain.search import SEARCH_COLUMNS, search_keys
from sixplustwo.store.batches import (
    BATCH_ROWS,
    KEPT_INDEXES,
    ImportResult,
    InsertRow,
    OwnerBatch,
    finish,
    forgotten,
    on_record,
    referrer_links,
    suspend,
)
from sixplustwo.store.database import Database
from sixplustwo.store.search import FLAT_KEY

__all__ = [
    "KEPT_INDEXES",
    "ImportResult",
    "import_owners",
    "insert_rows",
    "load_projects",
    "update_owners",
    "update_rows",
]

# Projects by code and by name (codes win): the id and code of each.
Projects = dict[str, tuple[int, str]]
# An update file's row (``OwnerFile.updates``, then ``update_rows``): the owner id or None,
# the project's id or None, the unit or None, the cells by stored column, the insert row of
# the owner it adds (a flat with none yet) or the problem that stops it.
UpdateRow = tuple
OwnerUpdate = tuple  # the same, the project as the file names it


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
    batch = OwnerBatch(connection, result, progress, codes)
    owners = connection.execute("SELECT COUNT(*) FROM owner").fetchone()[0]
    suspended = suspend(connection, expected_rows, owners)
    if suspended:
        batch.in_flat_order()
    count = 0
    # Rows that come a list at a time (io/background.py: BackgroundRows.batches) are taken so.
    for chunk in rows.batches() if hasattr(rows, "batches") else _chunked(rows):
        count += len(chunk)
        batch.add_all(chunk)
    batch.flush()
    batch.check_cycles()
    result.rows = count
    finish(connection, result, owners, suspended, batch)
    return result


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
    change, by input field. A forgotten owner is left alone, its row counted in
    ``result.forgotten_rows``. ``labels`` names input fields in
    problems (the file's headers)."""
    result = ImportResult()
    labels = labels or {}
    codes = {project_id: code for project_id, code in load_projects(connection).values()}
    batch = OwnerBatch(connection, result, progress, codes)
    owners = connection.execute("SELECT COUNT(*) FROM owner").fetchone()[0]
    flats, twins = _existing_units(connection)
    ids: set[int] | None = None  # owners on record, for rows that name one by id
    suspended = suspend(connection, expected_rows, owners)
    # The file row that names each owner on record, by id (0: none yet); an array, because
    # at a million owners a dict costs ~100 MB.
    on_file = [*flats.values(), *(owner for pair in twins for owner in pair)]
    seen = array("q", bytes(8 * (max(on_file, default=0) + 1)))
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
                ids = {owner for owner in on_file if owner > 0}
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
            owner_id = flats.get((project_id, flat_key(unit)))
            if owner_id is not None and owner_id < 0:  # twins an older database holds
                first, twin = twins[-owner_id]
                result.problem(
                    InvalidInput(
                        "row {row}: flat {code} {unit} has two owners, {first} and {twin}: "
                        "neither changed (sixplustwo check names them)",
                        row=row_number,
                        code=codes[project_id],
                        unit=unit,
                        first=first,
                        twin=twin,
                    )
                )
                continue
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
        if len(found) >= BATCH_ROWS:
            update_found()
    update_found()
    batch.check_cycles()
    result.rows = count
    result.changes["new"] = result.inserted
    finish(connection, result, owners, suspended, batch)
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
    referrers: list[tuple[int, int, int]] = []  # row, owner, referrer
    changes = result.changes
    for row_number, owner_id, (by_id, project_id, unit, cells, _) in chunk:
        owner = stored[owner_id]
        if owner["forgotten_on"] is not None:
            result.forgotten(row_number)  # erased on request: an import does not bring the
            continue  # person back (the command says which rows it left alone)
        phone = cells.get("phone")
        if by_id is None and phone and owner["phone"] and phone != owner["phone"]:
            result.problem(_another_phone(row_number, owner, codes, phone))  # two people?
            continue
        if (project_id is not None and project_id != owner["project_id"]) or (
            unit is not None and flat_key(unit) != flat_key(owner["unit"])
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
            referrers.append((row_number, owner_id, merged["referred_by"]))  # type: ignore[arg-type]
        if changed:
            writes.setdefault(changed, []).append((*(merged[c] for c in changed), owner_id))
        else:
            result.unchanged += 1
    _check_referrers(connection, referrers, labels, result)
    if result.problems:
        return  # rolled back: no need to write
    for changed, values in writes.items():
        assignments = [f"{column} = {{}}" for column in changed]
        connection.update_many("owner", assignments, "id", values)
    _check_cycles(connection, referrers, labels, result)


def _another_phone(
    row_number: int, owner: Mapping[str, object], codes: dict[int, str], phone: object
) -> InvalidInput:
    """A row names a flat whose owner on record has another phone: a new owner of the flat,
    or a new number? Neither record changes; the owner id (编号 column) or ``owner edit``
    says which."""
    return InvalidInput(
        "row {row}: flat {code} {unit} belongs to owner {owner}, with another phone ({phone}; "
        "owner {owner}: {held}): neither is changed (a new number: give the owner id in an "
        "编号 column, or sixplustwo owner edit {owner} --phone)",
        row=row_number,
        code=codes[owner["project_id"]],  # type: ignore[index]
        unit=owner["unit"],
        owner=owner["id"],
        phone=mask_phone(str(phone)),
        held=mask_phone(str(owner["phone"])),
    )


def _check_referrers(
    connection: Database,
    referrers: list[tuple[int, int, int]],
    labels: Mapping[str, str],
    result: ImportResult,
) -> None:
    """A referrer an update records must be an owner on record (or added by the file), not
    one forgotten."""
    given = {referrer for _, _, referrer in referrers}
    known = on_record(connection, given)
    gone = forgotten(connection, given & known)
    column = labels.get("referred_by") or _label("referred_by")
    for row_number, _, referrer in referrers:
        if referrer not in known:
            result.problem(
                InvalidInput(
                    "row {row}, column {column}: no owner {owner}",
                    row=row_number,
                    column=column,
                    owner=referrer,
                )
            )
        elif referrer in gone:
            result.problem(
                InvalidInput(
                    "row {row}, column {column}: owner {owner} was forgotten: no one's referrer",
                    row=row_number,
                    column=column,
                    owner=referrer,
                )
            )


def _check_cycles(
    connection: Database,
    referrers: list[tuple[int, int, int]],
    labels: Mapping[str, str],
    result: ImportResult,
) -> None:
    """The referrers an update wrote (with those written before, by earlier rows or on
    record) make no referral cycle: each row that closes one is a problem."""
    if not referrers:
        return
    links = referrer_links(connection, [owner for _, owner, _ in referrers])
    for row_number, owner, _ in referrers:
        cycle = referral_cycle(owner, links)
        if cycle is not None:
            result.problem(
                InvalidInput(
                    "row {row}, column {column}: a referral cycle ({cycle}, each referred by "
                    "the next)",
                    row=row_number,
                    column=labels.get("referred_by") or _label("referred_by"),
                    cycle=cycle_text(cycle),
                )
            )


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


def _existing_units(
    connection: Database,
) -> tuple[dict[tuple[int, str], int], list[tuple[int, int]]]:
    """Each owner on record by (project id, flat key); a flat two owners have (twins an older
    database held, named by ``check``) maps to minus its index in the list of twins returned
    with it (index 0 unused), so that a row naming it changes neither."""
    result = connection.execute(f"SELECT project_id, {FLAT_KEY}, id FROM owner ORDER BY id")
    flats: dict[tuple[int, str], int] = {}
    twins: list[tuple[int, int]] = [(0, 0)]
    for project_id, key, owner_id in result:
        first = flats.setdefault((project_id, key), owner_id)
        if first != owner_id:
            if first < 0:  # a third owner of the flat: the first two are named
                continue
            twins.append((first, owner_id))
            flats[(project_id, key)] = -(len(twins) - 1)
    return flats, twins


def _chunked(rows: Iterable[tuple[int, InsertRow | InvalidInput]]) -> Iterator[list]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, BATCH_ROWS)):
        yield chunk
