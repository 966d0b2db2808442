"""Owners (业主): their records, journey dates, customer archive and erasure."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING

from sixplustwo.domain.calendars import birthday_key
from sixplustwo.domain.errors import N_, Conflict, InvalidInput, NotFound
from sixplustwo.domain.model import OwnerFacts
from sixplustwo.domain.owners import DATE_FIELDS, OwnerRecord, check_journey
from sixplustwo.domain.rules import (
    ACTION_ID,
    check_no_referral_cycle,
    check_referrer,
    normalise_tag,
)
from sixplustwo.domain.search import search_keys
from sixplustwo.store.batches import referrer_links
from sixplustwo.store.database import in_list
from sixplustwo.store.facts import memberships
from sixplustwo.store.journal import erase_owner
from sixplustwo.store.records import Owner, Project
from sixplustwo.store.rows import now_text

if TYPE_CHECKING:
    from sixplustwo.domain.playbook import Playbook
    from sixplustwo.store.audit import Audit
    from sixplustwo.store.database import Database
    from sixplustwo.store.projects import Projects


def journey_facts(owner: Owner, project: Project) -> OwnerFacts:
    """An owner's dates as domain facts (no milestones, referrals or events)."""
    return OwnerFacts(
        id=owner.id,
        visited_on=owner.visited_on,
        subscribed_on=owner.subscribed_on,
        signed_on=owner.signed_on,
        planned_delivery=owner.delivery_date or project.delivery_date,
        delivered_on=owner.delivered_on,
        birthday=owner.birthday,
        birthday_lunar=owner.birthday_lunar,
        wants_greetings=owner.wants_greetings,
        forgotten=owner.forgotten_on is not None,
    )


def owner_columns(record: OwnerRecord, project_id: int) -> dict[str, object]:
    """A new owner's stored values, by column."""
    return {
        "project_id": project_id,
        "unit": record.unit,
        "name": record.name,
        "phone": record.phone,
        "visited_on": record.visited_on,
        "subscribed_on": record.subscribed_on,
        "signed_on": record.signed_on,
        "delivery_date": record.delivery_date,
        "delivered_on": record.delivered_on,
        "birthday": record.birthday,
        "birthday_md": birthday_key(record.birthday, record.birthday_lunar),
        "birthday_lunar": record.birthday_lunar,
        "butler": record.butler,
        "referred_by": record.referred_by,
        "wants_greetings": True,
        "forgotten_on": None,
        **search_keys(record.name, record.unit),
        **record.other,
    }


def released_unit(owner_id: int) -> str:
    """What a forgotten owner's flat is recorded as: not the flat (which may be sold again),
    unique to the owner."""
    return f"（已删除 {owner_id}）"


_TAG_KEY = ("owner_id", "tag")


class Owners:
    """Owners, read and written through ``db``; their projects named by code through
    ``projects``; membership tiers by ``playbook``; erasure and reassignment audited."""

    def __init__(self, db: Database, playbook: Playbook, audit: Audit, projects: Projects) -> None:
        self.db = db
        self.playbook = playbook
        self.audit = audit
        self.projects = projects

    def find(self, owner_id: int) -> Owner | None:
        row = self.db.one(f"SELECT {Owner.select()} FROM owner WHERE id = :id", {"id": owner_id})
        return None if row is None else Owner.from_row(row)

    def get(self, owner_id: int) -> Owner:
        owner = self.find(owner_id)
        if owner is None:
            raise NotFound("no owner with id {id}", id=owner_id)
        return owner

    def unforgotten(self, owner_id: int) -> Owner:
        """The owner, unless erased on request (then nothing more may be recorded)."""
        owner = self.get(owner_id)
        if owner.forgotten_on is not None:
            raise Conflict("owner {id} was forgotten on {on}", id=owner_id, on=owner.forgotten_on)
        return owner

    def unforgotten_subject(self, action_id: str) -> None:
        """Nothing more is recorded for an owner erased on request: not on their own actions,
        nor on their cases'. An id that names no owner or case is left to the caller."""
        match = ACTION_ID.match(action_id.strip())
        if match is None or match.group(1) == "p":
            return
        owner_id: int | None = int(match.group(2))
        if match.group(1) == "c":
            owner_id = self.db.scalar(
                "SELECT owner_id FROM service_case WHERE id = :c", {"c": owner_id}
            )
        if owner_id is not None and self.find(owner_id) is not None:
            self.unforgotten(owner_id)

    def _check_unit_free(self, project_id: int, unit: str, code: str, but: int | None) -> None:
        """The flat, however written (``domain/flats.py``), is no other owner's."""
        from sixplustwo.domain.flats import flat_key

        existing = self.db.one(
            "SELECT id, unit FROM owner WHERE project_id = :p AND (unit = :k OR unit_key = :k) "
            "AND id <> :but ORDER BY id",
            {"p": project_id, "k": flat_key(unit), "but": -1 if but is None else but},
        )
        if existing is not None:
            if existing[1] == unit:
                raise Conflict(
                    "flat {code} {unit} already belongs to owner {owner}",
                    code=code,
                    unit=unit,
                    owner=existing[0],
                )
            raise Conflict(
                "flat {code} {unit} already belongs to owner {owner} (written {held})",
                code=code,
                unit=unit,
                owner=existing[0],
                held=existing[1],
            )

    def add(self, record: OwnerRecord) -> Owner:
        project = self.projects.get(record.project)
        self._check_unit_free(project.id, record.unit, project.code, None)
        if record.referred_by is not None:
            self.unforgotten(record.referred_by)  # no one's referrer once forgotten
        values = {**owner_columns(record, project.id), "created_at": now_text()}
        return self.get(self.db.insert("owner", values))

    def edit(self, owner_id: int, changes: dict[str, object], today: date) -> Owner:
        """Change columns (None clears one); the journey is checked as it would then be."""
        owner = self.unforgotten(owner_id)
        changes = dict(changes)
        if "project" in changes:
            changes["project_id"] = self.projects.get(str(changes.pop("project"))).id
        if changes.get("referred_by") is not None:
            new = int(changes["referred_by"])  # type: ignore[arg-type]
            check_referrer(owner_id, owner.referred_by, new)
            self.unforgotten(new)  # no one's referrer once forgotten
            links = referrer_links(self.db, [new])
            links[owner_id] = new
            check_no_referral_cycle(owner_id, links)
        values = {**owner.values(), **changes}
        check_journey(
            {column: values[column] for column in DATE_FIELDS.values()}, today, changed=changes
        )
        if values["birthday"] is None:
            values["birthday_lunar"] = False
        values["birthday_md"] = birthday_key(values["birthday"], values["birthday_lunar"])
        values.update(search_keys(values["name"], values["unit"]))  # type: ignore[arg-type]
        project = self.projects.by_id(values["project_id"])  # type: ignore[arg-type]
        self._check_unit_free(project.id, values["unit"], project.code, owner_id)  # type: ignore[arg-type]
        changed = {k: v for k, v in values.items() if k != "id" and v != getattr(owner, k)}
        if changed:
            self.db.update("owner", {"id": owner_id}, changed)
        return self.get(owner_id)

    def list(
        self,
        project: str | Sequence[str] | None,
        butler: str | None,
        limit: int,
        offset: int,
        tags: Sequence[str] = (),
    ) -> tuple[list[tuple[Owner, Project]], int]:
        clauses: list[str] = []
        params: dict[str, object] = {}
        if project:  # one code, or any of several
            placeholders, ids = in_list("project", self.projects.ids_of(project))
            clauses.append(f"o.project_id IN ({placeholders})")
            params.update(ids)
        if butler is not None:
            clauses.append("o.butler = :butler")
            params["butler"] = butler
        for number, tag in enumerate(normalise_tag(tag) for tag in tags):
            clauses.append(f"o.id IN (SELECT owner_id FROM owner_tag WHERE tag = :tag{number})")
            params[f"tag{number}"] = tag
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        page = self.db.page(limit, offset)
        rows = self.db.query(
            f"SELECT {Owner.select('o')}, {Project.select('p')} FROM owner o "
            f"JOIN project p ON p.id = o.project_id {where} ORDER BY o.id{page}",
            params,
        )
        width = len(Owner.columns())
        found = [(Owner.from_row(row[:width]), Project.from_row(row[width:])) for row in rows]
        total = self.db.scalar(f"SELECT COUNT(*) FROM owner o {where}", params)
        return found, total

    def find_text(
        self, text: str, project: str | Sequence[str] | None = None, limit: int = 200
    ) -> tuple[list[tuple[Owner, Project]], int]:
        """Owners ``text`` names (``owner find``): by name, pinyin or initials, phone or its
        last four digits, flat; at most ``limit``, and how many in all."""
        from sixplustwo.store.search import find_owner_ids

        project_ids = self.projects.ids_of(project) if project else None
        ids, total = find_owner_ids(self.db, text, project_id=project_ids, limit=limit)
        return self.with_projects(ids), total

    def with_projects(self, owner_ids: Sequence[int]) -> list[tuple[Owner, Project]]:
        """The owners with these ids and their projects, in id order."""
        found: list[tuple[Owner, Project]] = []
        width = len(Owner.columns())
        for placeholders, params in self.db.in_bulk(owner_ids):
            rows = self.db.query(
                f"SELECT {Owner.select('o')}, {Project.select('p')} FROM owner o "
                f"JOIN project p ON p.id = o.project_id WHERE o.id IN ({placeholders})",
                params,
            )
            found += [(Owner.from_row(row[:width]), Project.from_row(row[width:])) for row in rows]
        return sorted(found, key=lambda pair: pair[0].id)

    def memberships(self, owner_ids: Iterable[int]) -> dict[int, str | None]:
        return memberships(self.db, owner_ids, self.playbook)

    # -- the customer archive -----------------------------------------------------------

    def tags(self, owner_id: int) -> list[str]:
        rows = self.db.query(
            "SELECT tag FROM owner_tag WHERE owner_id = :o ORDER BY tag", {"o": owner_id}
        )
        return [tag for (tag,) in rows]

    def change_archive(
        self,
        owner_id: int,
        *,
        consent: bool | None,
        add: Sequence[str],
        remove: Sequence[str],
    ) -> list[str]:
        """The customer archive (客户档案: habits, hobbies, work …) as tags, kept only with the
        owner's consent: without it tags are refused; withdrawing it erases them."""
        owner = self.unforgotten(owner_id)
        agreed = owner.profile_consent
        if consent is not None:
            agreed = consent
            self.db.update("owner", {"id": owner_id}, {"profile_consent": consent})
            if not consent:
                self._erase_tags(owner_id)
        if add and not agreed:
            raise InvalidInput(
                "owner {id} has not agreed to a customer archive: record their consent "
                "(profile consent: yes) first",
                id=owner_id,
            )
        current = set(self.tags(owner_id))
        for tag in (normalise_tag(tag) for tag in add):
            if tag not in current:
                self.db.insert_row("owner_tag", {"owner_id": owner_id, "tag": tag}, key=_TAG_KEY)
                current.add(tag)
        for tag in (normalise_tag(tag) for tag in remove):
            if tag not in current:
                raise NotFound("owner {id} has no tag {tag}", id=owner_id, tag=tag)
            self.db.delete("owner_tag", {"owner_id": owner_id, "tag": tag}, key=_TAG_KEY)
            current.discard(tag)
        return sorted(current)

    def _erase_tags(self, owner_id: int) -> None:
        self.db.delete("owner_tag", {"owner_id": owner_id}, key=_TAG_KEY)

    # -- personal data ------------------------------------------------------------------

    def forget(self, owner_id: int, today: date) -> Owner:
        """Erase personal data on request (PIPL): name, phone, birthday, and all free text that
        can name or reach the person (event and survey notes, case notes, checklist remarks,
        archive tags). The flat is released, so that a resale can be recorded; the anonymous
        journey stays for statistics."""
        self.get(owner_id)
        self._erase_tags(owner_id)
        self.db.change(
            "UPDATE owner SET name = NULL, phone = NULL, birthday = NULL, birthday_md = NULL, "
            "birthday_lunar = FALSE, profile_consent = FALSE, forgotten_on = :today, "
            "unit = :released, name_pinyin = NULL, name_initials = NULL, unit_key = NULL "
            "WHERE id = :o",
            {"o": owner_id, "today": today, "released": released_unit(owner_id)},
        )
        self.db.change("UPDATE event SET note = NULL WHERE owner_id = :o", {"o": owner_id})
        self.db.change(
            "UPDATE service_case SET note = '', resolution_note = NULL WHERE owner_id = :o",
            {"o": owner_id},
        )
        self.db.change(
            "UPDATE checklist_result SET note = NULL WHERE owner_id = :o", {"o": owner_id}
        )
        # The SMS notify sent them keep their state, not the phone or the words.
        self.db.change("UPDATE outbox SET payload = NULL WHERE owner_id = :o", {"o": owner_id})
        self.audit.record("owner forget", N_("owner {id}"), id=owner_id)
        erase_owner(self.db, owner_id)  # no prior values of the owner's rows stay
        return self.get(owner_id)

    def phone(self, owner_id: int) -> str | None:
        """The full phone number, as revealed on request: the caller audits it."""
        return self.get(owner_id).phone

    # -- reassignment -------------------------------------------------------------------

    def assign(
        self,
        butler: str,
        *,
        today: date,
        project: str | Sequence[str] | None = None,
        unit_glob: str | None = None,
        from_butler: str | None = None,
        unassigned: bool = False,
        stage_name: str | None = None,
        ids: Sequence[int] | None = None,
        flats: Sequence[tuple[str, str]] = (),
        dry_run: bool = False,
    ) -> list[int]:
        """``owner assign``: give ``butler`` every customer the filters select (all of them
        together; forgotten owners never), and those a file names by id or flat (``ids``,
        ``flats``: each must name an owner, else nothing is assigned). The ids selected, in
        order; with ``dry_run`` nothing is written."""
        from sixplustwo.domain.stages import stage

        clauses = ["o.forgotten_on IS NULL"]
        params: dict[str, object] = {}
        if project:  # one code, or any of several
            placeholders, wanted = in_list("project", self.projects.ids_of(project))
            clauses.append(f"o.project_id IN ({placeholders})")
            params.update(wanted)
        if unit_glob is not None:
            like, key_like = _like(unit_glob), _like(unit_key_glob(unit_glob))
            clauses.append(
                "(o.unit LIKE :unit ESCAPE '!' OR o.unit LIKE :unit_key ESCAPE '!' "
                "OR o.unit_key LIKE :unit_key ESCAPE '!')"
            )
            params.update(unit=like, unit_key=key_like)
        if from_butler is not None:
            clauses.append("o.butler = :old")
            params["old"] = from_butler
        if unassigned:
            clauses.append("o.butler IS NULL")
        named: set[int] | None = None
        if ids is not None or flats:
            named = set(self._named(ids or (), flats))
        where = " AND ".join(clauses)
        sql = f"SELECT o.id FROM owner o WHERE {where}"
        if named is None:
            selected = [owner_id for (owner_id,) in self.db.query(sql, params)]
        else:
            selected = []
            for placeholders, values in self.db.in_bulk(sorted(named)):
                rows = self.db.query(f"{sql} AND o.id IN ({placeholders})", {**params, **values})
                selected += [owner_id for (owner_id,) in rows]
        if stage_name is not None:
            selected = [
                owner.id
                for owner, proj in self.with_projects(selected)
                if stage(journey_facts(owner, proj), today) == stage_name
            ]
        selected.sort()
        if not dry_run and selected:
            self.db.update_many("owner", ["butler = {}"], "id", [(butler, i) for i in selected])
            self.audit.record("owner assign", N_("butler {butler}"), len(selected), butler=butler)
        return selected

    def _named(self, ids: Sequence[int], flats: Sequence[tuple[str, str]]) -> list[int]:
        """The owners a file names by id or by flat; every one must exist."""
        from sixplustwo.domain.search import unit_key

        found: list[int] = []
        missing: list[str] = []
        known: set[int] = set()
        for placeholders, values in self.db.in_bulk(sorted(set(ids))):
            rows = self.db.query(
                f"SELECT id, forgotten_on FROM owner WHERE id IN ({placeholders})", values
            )
            for owner_id, forgotten_on in rows:
                if forgotten_on is not None:  # nothing more is recorded for them
                    self.unforgotten(owner_id)
                known.add(owner_id)
        found += [owner_id for owner_id in ids if owner_id in known]
        missing += [str(owner_id) for owner_id in ids if owner_id not in known]
        codes: dict[str, int] = {}
        for code, unit in flats:
            if code not in codes:
                try:
                    codes[code] = self.projects.get(code).id
                except NotFound:
                    codes[code] = 0
            rows = self.db.query(
                "SELECT id FROM owner WHERE project_id = :p "
                "AND (unit = :u OR unit = :k OR unit_key = :k)",
                {"p": codes[code], "u": unit, "k": unit_key(unit)},
            )
            if len(rows) == 1:
                found.append(rows[0][0])
            else:
                missing.append(f"{code} {unit}")
        if missing:
            shown = ", ".join(missing[:_MISSING_SHOWN]) + (
                ", …" if len(missing) > _MISSING_SHOWN else ""
            )
            raise NotFound(
                "nothing assigned: {count} customer(s) in the file not found: {missing}",
                count=len(missing),
                missing=shown,
            )
        return found


_MISSING_SHOWN = 10


def _like(glob: str) -> str:
    """A shell-style pattern (``3-*``, ``3-?-1201``) as a LIKE pattern escaped with ``!``."""
    out = []
    for char in glob:
        if char == "*":
            out.append("%")
        elif char == "?":
            out.append("_")
        elif char in "%_!":
            out.append("!" + char)
        else:
            out.append(char)
    return "".join(out)


def unit_key_glob(glob: str) -> str:
    """A flat pattern in the unit key's spelling: ``3幢*`` → ``3-*``, ``3-1-*`` stays."""
    import re

    from sixplustwo.domain.search import unit_key

    keyed: list[str] = []
    for text in re.split(r"([*?])", glob):
        if text in ("*", "?"):
            keyed.append(text)
        else:
            key = unit_key(text) or ""
            # Keep a trailing or leading separator: "3-" then "*" is "3-*", not "3*".
            if key and not text[-1:].isalnum():
                key += "-"
            if key and text[:1] and not text[:1].isalnum() and keyed:
                key = "-" + key
            keyed.append(key)
    return "".join(keyed)
