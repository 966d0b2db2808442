"""Service cases: complaints (投诉) and repairs (报修), opened, resolved and listed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from sixplustwo.domain.errors import Conflict, InvalidInput, NotFound
from sixplustwo.domain.rules import case_kind, not_in_future
from sixplustwo.domain.text import check_note, optional_note
from sixplustwo.store.database import in_list
from sixplustwo.store.records import Case, Event, Owner, Project

if TYPE_CHECKING:
    from sixplustwo.store.database import Database
    from sixplustwo.store.events import Events
    from sixplustwo.store.owners import Owners
    from sixplustwo.store.projects import Projects


class Cases:
    """Cases, read and written through ``db``; opened only for an owner ``owners`` has not
    forgotten; listed by project through ``projects``; a reopened case's revisits deleted
    through ``events``."""

    def __init__(self, db: Database, events: Events, owners: Owners, projects: Projects) -> None:
        self.db = db
        self.events = events
        self.owners = owners
        self.projects = projects

    def get(self, case_id: int) -> Case:
        row = self.db.one(f"SELECT {Case.select()} FROM service_case WHERE id = :c", {"c": case_id})
        if row is None:
            raise NotFound("no case with id {id}", id=case_id)
        return Case.from_row(row)

    def of_owner(self, owner_id: int) -> list[Case]:
        rows = self.db.query(
            f"SELECT {Case.select()} FROM service_case WHERE owner_id = :o ORDER BY id",
            {"o": owner_id},
        )
        return [Case.from_row(row) for row in rows]

    def open(self, owner_id: int, kind: str, note: str, on: date, today: date) -> Case:
        case_kind(kind)
        if not note.strip():
            raise InvalidInput("the note must say what the case is about")
        not_in_future(on, today, "case date {on} is in the future")
        self.owners.unforgotten(owner_id)
        note = check_note("note", note.strip())
        values = {"owner_id": owner_id, "kind": kind, "note": note, "opened_on": on}
        return self.get(self.db.insert("service_case", values))

    def resolve(self, case_id: int, on: date, note: str | None, *, today: date) -> Case:
        not_in_future(on, today, "date {on} is in the future")
        note = optional_note("note", note)
        case = self.get(case_id)
        self.owners.unforgotten(case.owner_id)
        if case.resolved_on is not None:
            raise Conflict(
                "case {id} was already resolved on {on}", id=case_id, on=case.resolved_on
            )
        if on < case.opened_on:
            raise InvalidInput(
                "case {id} cannot be resolved before it opened ({opened})",
                id=case_id,
                opened=case.opened_on,
            )
        self.db.update(
            "service_case", {"id": case_id}, {"resolved_on": on, "resolution_note": note}
        )
        return self.get(case_id)

    def reopen(self, case_id: int, today: date) -> tuple[Case, list[Event]]:
        """A case resolved by mistake (or whose fix did not hold) is open again, its
        resolution note cleared. Its revisit (回访) events are deleted: they followed up a
        resolution that no longer stands, and a new revisit is due once it is resolved
        again. The case and the deleted revisits, oldest first.

        The revisits go as rows, with what hangs on them (``Events.delete``), as
        ``event delete`` removes them; which actions they had completed is not asked (the
        journey's ``delete_event`` reports that, and nothing here shows it), so ``today`` is
        not needed: it stays in the signature the CLI calls."""
        case = self.get(case_id)
        if case.resolved_on is None:
            raise Conflict("case {id} is not resolved", id=case_id)
        revisits = self.events.matching("case_id = :c", {"c": case_id})
        for event in revisits:
            self.events.delete(event.id)
        self.db.update(
            "service_case", {"id": case_id}, {"resolved_on": None, "resolution_note": None}
        )
        return self.get(case_id), revisits

    def list(
        self, only_open: bool, project: str | Sequence[str] | None
    ) -> list[tuple[Case, Owner, Project]]:
        clauses = []
        params: dict[str, object] = {}
        if only_open:
            clauses.append("c.resolved_on IS NULL")
        if project:  # one code, or any of several
            placeholders, ids = in_list("p", self.projects.ids_of(project))
            clauses.append(f"o.project_id IN ({placeholders})")
            params.update(ids)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self.db.query(
            f"SELECT {Case.select('c')}, {Owner.select('o')}, {Project.select('p')} "
            "FROM service_case c JOIN owner o ON o.id = c.owner_id "
            f"JOIN project p ON p.id = o.project_id {where} ORDER BY c.id",
            params,
        )
        cases, owners = len(Case.columns()), len(Case.columns()) + len(Owner.columns())
        return [
            (
                Case.from_row(row[:cases]),
                Owner.from_row(row[cases:owners]),
                Project.from_row(row[owners:]),
            )
            for row in rows
        ]
