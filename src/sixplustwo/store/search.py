"""Finding owners by what a butler knows of them (``owner find``, and an owner named by phone
or flat where an id is asked for): a few index ranges on the stored search keys
(``domain/search.py``), never a scan of the table."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence

from sixplustwo.domain.errors import InvalidInput, NotFound, SixPlusTwoError
from sixplustwo.domain.rules import ACTION_ID
from sixplustwo.domain.search import (
    SEARCH_COLUMNS,
    owner_id_text,
    prefix_end,
    query_kinds,
    search_keys,
    stored_unit_key,
)
from sixplustwo.store.database import Database, in_list, in_projects

# The phone's last four digits, as the index ix_owner_phone leads with (written alike, so that
# the database uses it; phones are stored normalised, never shorter than 7). A whole phone is
# looked up with them.
PHONE_TAIL = "SUBSTR({alias}.phone, LENGTH({alias}.phone) - 3)"

_FILL_BATCH = 5000


# A flat's key as stored: the ``unit_key`` column where the flat is written otherwise than its
# key (3幢1单元1201 → 3-1-1201), else the flat as written (``stored_unit_key``). Unique per
# project (ux_owner_flat, migration 0022); looked up as ``unit = :k OR unit_key = :k`` (the
# two are one: a key is its own key), which the flat's two indexes answer.
FLAT_KEY = "COALESCE(unit_key, unit)"
FLAT_INDEX = "ux_owner_flat"


def flat_index(later_twins: Sequence[int] = ()) -> str:
    """The statement that makes the flat key's unique index: over every owner but the later
    of twins an older database already holds (``check`` names them), so that a migration
    neither fails on them nor merges them, and no new twin can be added."""
    statement = f"CREATE UNIQUE INDEX {FLAT_INDEX} ON owner (project_id, ({FLAT_KEY}))"
    if later_twins:
        statement += f" WHERE id NOT IN ({', '.join(str(int(i)) for i in sorted(later_twins))})"
    return statement


def fill_flat_keys(
    execute: Callable[..., list[tuple]],
    execute_many: Callable[[str, Sequence[Mapping[str, object]]], None],
) -> None:
    """Migration 0022: each owner's flat key again by ``flat_key`` (which now knows 号楼, 座,
    号, # and full-width digits, and keeps shops' words), then the key's unique index."""
    last = 0
    while True:
        rows = execute(
            "SELECT id, unit, unit_key, name FROM owner WHERE id > :last "
            f"ORDER BY id LIMIT {_FILL_BATCH}",
            {"last": last},
        )
        if not rows:
            break
        execute_many(
            "UPDATE owner SET unit_key = :unit_key WHERE id = :id",
            [
                {"id": owner_id, "unit_key": key}
                for owner_id, unit, stored, name in rows
                if name is not None and (key := stored_unit_key(unit)) != stored
            ],
        )
        last = rows[-1][0]
    later = [twin for _, _, _, twin in _twins(execute)]
    execute(flat_index(later))


def _twins(execute: Callable[..., list[tuple]]) -> list[tuple[int, str, int, int]]:
    """Each later owner of a flat another owner has (project id, key, first holder, twin)."""
    found: list[tuple[int, str, int, int]] = []
    repeated = execute(
        f"SELECT project_id, {FLAT_KEY} FROM owner WHERE forgotten_on IS NULL "
        f"GROUP BY project_id, {FLAT_KEY} HAVING COUNT(*) > 1 ORDER BY 1, 2"
    )
    for project_id, key in repeated:
        ids = [
            owner_id
            for (owner_id,) in execute(
                "SELECT id FROM owner WHERE project_id = :p AND (unit = :k OR unit_key = :k) "
                "AND forgotten_on IS NULL ORDER BY id",
                {"p": project_id, "k": key},
            )
        ]
        found += [(project_id, key, ids[0], twin) for twin in ids[1:]]
    return found


def flat_twins(db: Database) -> list[tuple[str, str, int, int]]:
    """Owners of one flat (an older database's, from before the flat's key was unique): each
    later one as (project code, flat key, first holder, twin)."""
    codes = dict(db.query("SELECT id, code FROM project"))
    return [(codes.get(p, "?"), key, first, twin) for p, key, first, twin in _twins(db.query)]


def fill_search_keys(
    execute: Callable[..., list[tuple]],
    execute_many: Callable[[str, Sequence[Mapping[str, object]]], None],
) -> None:
    """Migration 0013: the search keys of the owners already on record, in batches by id,
    then the indexes on them."""
    from sixplustwo.store.migrations import OWNER_SEARCH_INDEXES

    sets = ", ".join(f"{column} = :{column}" for column in SEARCH_COLUMNS)
    last = 0
    while True:
        rows = execute(
            f"SELECT id, name, unit FROM owner WHERE id > :last ORDER BY id LIMIT {_FILL_BATCH}",
            {"last": last},
        )
        if not rows:
            break
        execute_many(
            f"UPDATE owner SET {sets} WHERE id = :id",
            [
                {"id": owner_id, **search_keys(name, unit)}
                for owner_id, name, unit in rows
                if name is not None  # a forgotten owner keeps no keys
            ],
        )
        last = rows[-1][0]
    for statement in OWNER_SEARCH_INDEXES.split(";"):
        if statement.strip():
            execute(statement)


def _prefix(column: str, value: str, name: str) -> tuple[str, dict[str, object]]:
    return (
        f"(o.{column} >= :{name} AND o.{column} < :{name}_end)",
        {name: value, f"{name}_end": prefix_end(value)},
    )


def find_owner_ids(
    db: Database, text: str, *, project_id: int | Sequence[int] | None = None, limit: int = 200
) -> tuple[list[int], int]:
    """Ids of the owners ``text`` names (by name, pinyin or initials, phone or its last four
    digits, flat), in id order, at most ``limit``; and how many there are in all."""
    kinds = query_kinds(text)
    clauses: list[tuple[str, dict[str, object]]] = []
    in_wanted, wanted = in_projects("o.project_id", "wanted", project_id)
    if "name" in kinds:
        # The typed characters' pinyin narrows by index; the name itself must start so.
        name = kinds["name"]
        spelled = search_keys(name, None)["name_pinyin"]
        if spelled:
            clause, values = _prefix("name_pinyin", spelled, "spelled")
            values.update(length=len(name), name=name)
            clauses.append((f"{clause} AND SUBSTR(o.name, 1, :length) = :name", values))
        else:
            clauses.append(("o.name = :name", {"name": name}))
    if "pinyin" in kinds:
        clauses.append(_prefix("name_pinyin", kinds["pinyin"], "spelled"))
        # Initials: within the names whose pinyin starts with the first letter, from the
        # same index (it holds the initials after the pinyin).
        first, rest = _prefix("name_pinyin", kinds["pinyin"][0], "first")
        clause, values = _prefix("name_initials", kinds["pinyin"], "initials")
        clauses.append((f"{first} AND {clause}", {**rest, **values}))
    if "phone" in kinds:
        phone = kinds["phone"]
        clauses.append(
            (f"{PHONE_TAIL.format(alias='o')} = :tail AND o.phone = :phone",
             {"phone": phone, "tail": phone[-4:]})
        )  # fmt: skip
    if "tail" in kinds:
        clauses.append((f"{PHONE_TAIL.format(alias='o')} = :tail", {"tail": kinds["tail"]}))
    if "flat" in kinds:
        flat = kinds["flat"]
        # A building or an entrance: every flat under it (3-1 → 3-1-1201, 3-1-1202 …). Flats
        # written as their key (3-1-1201) are found by the flat's own index, project by
        # project; others (3幢1单元1201) by their key.
        projects, values = in_wanted, dict(wanted)
        if not in_wanted:
            every = [project for (project,) in db.query("SELECT id FROM project")]
            placeholders, values = in_list("project", every or [0])
            projects = f"o.project_id IN ({placeholders})"
        clauses.append((f"{projects} AND o.unit = :flat", {**values, "flat": flat}))
        clause, prefix = _prefix("unit", flat + "-", "flat_part")
        clauses.append((f"{projects} AND {clause}", {**values, **prefix}))
        clauses.append(("o.unit_key = :flat", {"flat": flat}))
        clauses.append(_prefix("unit_key", flat + "-", "flat_part"))
    # Each alternative is its own indexed range (an OR of them could make SQLite scan).
    ids: set[int] = set()
    for clause, params in clauses:
        sql = f"SELECT o.id FROM owner o WHERE {clause}"
        if in_wanted:
            sql += f" AND {in_wanted}"
            params = {**params, **wanted}
        ids.update(owner_id for (owner_id,) in db.query(sql, params))
    found = sorted(ids)
    return (found[:limit] if limit else found), len(found)


def resolve_owner(db: Database, text: str) -> int:
    """The owner an argument names wherever a command takes an owner (``owner show/edit/
    forget/merge``, ``--referred-by``, the import's referrer column, ``event add``, ``case
    open``, ``referral list --referrer``): the one resolver, so that every command takes the
    same forms. An id stays an id (``12``, ``o12``, ``#12``: its command says when there is
    none); a phone, its last four digits (``*5678``, ``尾号5678``), a flat (any spelling, with
    or without its project: ``HY1 5栋1单元1201``, ``华苑一期 5-1-1201``) or a name must name
    exactly one customer on record (not one erased on request). A name written out whole
    names those called exactly so (周杰, not 周杰伦 too). Several are refused in one line
    listing them (id, name, masked phone, project and flat); none is "no owner"."""
    owner_id = owner_id_text(text)
    if owner_id is not None:
        return owner_id
    candidates, count = _named(db, text)
    if count == 1:
        return candidates[0][0]
    if not count:
        raise NotFound("no owner with id, phone, flat or name {text!r}", text=text.strip())
    raise InvalidInput(
        "{text!r} matches {count} customers: {candidates}; give the owner id or more of the "
        "phone or flat (sixplustwo owner find {text!r} lists them)",
        text=text.strip(),
        count=count,
        candidates=_listed(candidates),
    )


def resolve_action_id(db: Database, text: str) -> str:
    """An action id as typed: ``o12:revisit-3m``, or with the owner named as any owner-taking
    command names one (``周杰:revisit-3m``, ``*5678:revisit-3m``, ``HY1 5-1-1201:revisit-3m``)."""
    text = text.strip()
    head, colon, rest = text.partition(":")
    if not colon or not head.strip() or ACTION_ID.match(text) is not None:
        return text
    return f"o{resolve_owner(db, head)}:{rest}"


def resolve_owners(db: Database, texts: Iterable[str]) -> dict[str, int | SixPlusTwoError]:
    """Each text resolved as ``resolve_owner`` does, or the error that refuses it (for a
    file's column of referrers: each distinct text looked up once)."""
    resolved: dict[str, int | SixPlusTwoError] = {}
    for text in texts:
        try:
            resolved[text] = resolve_owner(db, text)
        except SixPlusTwoError as exc:
            resolved[text] = exc
    return resolved


_CANDIDATES = 50  # looked at to tell a name written out whole from the names it begins
_LISTED = 5  # candidates an ambiguous form's refusal lists
Candidate = tuple[int, str | None, str | None, str, str]  # id, name, phone, project, flat


def _named(db: Database, text: str) -> tuple[list[Candidate], int]:
    """The customers on record ``text`` names (the first ``_CANDIDATES``), and how many:
    within a project it begins with (its code or name) if it then names any there, else in
    every project."""
    scoped = _project_prefixed(db, text)
    if scoped is not None:
        found = _candidates(db, scoped[1], scoped[0])
        if found[1]:
            return found
    return _candidates(db, text, None)


def _project_prefixed(db: Database, text: str) -> tuple[int, str] | None:
    """(project id, the rest) where ``text`` begins with a project's code or name and the
    rest holds a digit (a flat): the longest such project."""
    folded = unicodedata.normalize("NFKC", text).strip()
    lowered = folded.lower()
    best: tuple[int, int, str] | None = None
    for project_id, code, name in db.query("SELECT id, code, name FROM project"):
        for word in (code, name):
            word = unicodedata.normalize("NFKC", word or "").strip().lower()
            if not word or not lowered.startswith(word):
                continue
            rest = folded[len(word) :].strip(_BETWEEN)
            if rest and any(c.isdigit() for c in rest) and (best is None or len(word) > best[0]):
                best = (len(word), project_id, rest)
    return None if best is None else (best[1], best[2])


_BETWEEN = " \t/:：,，·、"


def _candidates(db: Database, text: str, project_id: int | None) -> tuple[list[Candidate], int]:
    ids, total = find_owner_ids(db, text, project_id=project_id, limit=_CANDIDATES)
    if not ids:
        return [], 0
    placeholders, params = in_list("owner", ids)
    found: list[Candidate] = [
        (owner_id, name, phone, code, unit)
        for owner_id, name, phone, code, unit in db.query(
            "SELECT o.id, o.name, o.phone, p.code, o.unit FROM owner o "
            f"JOIN project p ON p.id = o.project_id WHERE o.id IN ({placeholders}) "
            "AND o.forgotten_on IS NULL ORDER BY o.id",
            params,
        )
    ]
    if not found:  # the first looked at were all erased on request
        return [], 0
    typed = unicodedata.normalize("NFKC", text).strip()
    whole = [candidate for candidate in found if candidate[1] == typed]
    if whole and "name" in query_kinds(text):
        return whole, len(whole)
    # Beyond the first ones looked at, the forgotten are counted too: a refusal's "about".
    return found, total - (len(ids) - len(found))


def _listed(candidates: Sequence[Candidate]) -> str:
    """The candidates as a refusal names them: ``12 周杰 138****5678 HY1 5-1-1201``."""
    from sixplustwo.domain.phones import mask_phone

    listed = ", ".join(
        " ".join(str(part) for part in (owner_id, name, mask_phone(phone), code, unit) if part)
        for owner_id, name, phone, code, unit in candidates[:_LISTED]
    )
    return listed + (", …" if len(candidates) > _LISTED else "")


def butler_known(db: Database, butler: str) -> bool:
    """Whether any owner has this butler: one lookup on the butler index."""
    return db.one("SELECT 1 FROM owner WHERE butler = :b" + db.page(1), {"b": butler}) is not None


def butlers(db: Database) -> list[str]:
    """Every butler named on an owner (from the butler index), for a "did you mean"."""
    rows = db.query("SELECT DISTINCT butler FROM owner WHERE butler IS NOT NULL")
    return [butler for (butler,) in rows]
