"""Projects (楼盘), their milestones and project-wide events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from sixplustwo.domain.actions import Action, actions, check_completion_day
from sixplustwo.domain.errors import Conflict, InvalidInput, NotFound
from sixplustwo.domain.model import Event as EventFact
from sixplustwo.domain.model import ProjectFacts
from sixplustwo.domain.rules import milestone_kind, not_in_future
from sixplustwo.domain.text import (
    CITY_MAX,
    CODE_MAX,
    KIND_MAX,
    PROJECT_NAME_MAX,
    check_line,
    optional_line,
    optional_note,
)
from sixplustwo.store.records import Event, Milestone, Project
from sixplustwo.store.rows import now_text

if TYPE_CHECKING:
    from sixplustwo.domain.playbook import Playbook
    from sixplustwo.store.database import Database
    from sixplustwo.store.events import Events


def unknown_project(code: str) -> NotFound:
    return NotFound("unknown project {code!r} (add it with: sixplustwo project add)", code=code)


class Projects:
    """Projects, read and written through ``db``; their actions by ``playbook``; their
    project-wide events written through ``events``."""

    def __init__(self, db: Database, playbook: Playbook, events: Events) -> None:
        self.db = db
        self.playbook = playbook
        self.events = events

    def add(
        self,
        code: str,
        name: str,
        delivery_date: date | None,
        city: str | None,
        opening_date: date | None = None,
    ) -> Project:
        code = code.strip()
        if not code or not name.strip():
            raise InvalidInput("project code and name must not be empty")
        check_line("project code", code, CODE_MAX)
        check_line("project name", name.strip(), PROJECT_NAME_MAX)
        city = optional_line("city", city, CITY_MAX)
        if self._by("code", code) is not None:
            raise Conflict("project {code} already exists", code=code)
        values = {
            "code": code,
            "name": name.strip(),
            "city": city,
            "delivery_date": delivery_date,
            "opening_date": opening_date,
            "created_at": now_text(),
        }
        return self.by_id(self.db.insert("project", values))

    def edit(self, code: str, changes: dict[str, object]) -> Project:
        project = self.get(code)
        if "name" in changes and not str(changes["name"]).strip():
            raise InvalidInput("project name must not be empty")
        if "name" in changes:
            check_line("project name", str(changes["name"]), PROJECT_NAME_MAX)
        if changes.get("city") is not None:
            check_line("city", str(changes["city"]), CITY_MAX)
        self.db.update("project", {"id": project.id}, changes)
        return self.by_id(project.id)

    def _by(self, column: str, value: object) -> Project | None:
        row = self.db.one(
            f"SELECT {Project.select()} FROM project WHERE {column} = :v ORDER BY id", {"v": value}
        )
        return None if row is None else Project.from_row(row)

    def by_id(self, project_id: int) -> Project:
        project = self._by("id", project_id)
        if project is None:
            raise NotFound("no project with id {id}", id=project_id)
        return project

    def get(self, code: str) -> Project:
        """A project by its code or, failing that, its name."""
        project = self._by("code", code) or self._by("name", code)
        if project is None:
            raise unknown_project(code)
        return project

    def ids_of(self, codes: str | Sequence[str]) -> list[int]:
        """The ids of the projects named (``--project``, repeatable: one code or several)."""
        named = [codes] if isinstance(codes, str) else codes
        return sorted({self.get(code).id for code in named})

    def all(self) -> list[Project]:
        rows = self.db.query(f"SELECT {Project.select()} FROM project ORDER BY code")
        return [Project.from_row(row) for row in rows]

    def milestones(self, code: str) -> list[Milestone]:
        project = self.get(code)
        rows = self.db.query(
            f"SELECT {Milestone.select()} FROM milestone WHERE project_id = :p "
            "ORDER BY reached_on, id",
            {"p": project.id},
        )
        return [Milestone.from_row(row) for row in rows]

    def milestone(self, code: str, milestone_id: int) -> Milestone:
        for found in self.milestones(code):
            if found.id == milestone_id:
                return found
        raise NotFound("project {code} has no milestone {id}", code=code, id=milestone_id)

    def _refuse_twice(self, project_id: int, kind: str, on: date, but: int | None = None) -> None:
        """The same milestone (project, kind, day) is recorded once: a second would send every
        waiting owner a second bulletin."""
        first = self.db.scalar(
            "SELECT MIN(id) FROM milestone WHERE project_id = :p AND kind = :k "
            "AND reached_on = :on AND id <> :but",
            {"p": project_id, "k": kind, "on": on, "but": -1 if but is None else but},
        )
        if first is not None:
            raise Conflict(
                "milestone {kind} on {on} is already recorded (id {id})", kind=kind, on=on, id=first
            )

    def add_milestone(
        self, code: str, kind: str, on: date, note: str | None, *, today: date
    ) -> Milestone:
        not_in_future(
            on, today, "milestone date {on} is in the future: record milestones once reached"
        )
        project = self.get(code)
        values = {
            "project_id": project.id,
            "kind": milestone_kind(kind),
            "reached_on": on,
            "note": optional_note("note", note),
        }
        self._refuse_twice(project.id, values["kind"], on)
        return Milestone(id=self.db.insert("milestone", values), **values)

    def change_milestone(
        self,
        code: str,
        milestone_id: int,
        *,
        on: date | None = None,
        kind: str | None = None,
        note: str | None = None,
        today: date,
    ) -> Milestone:
        """Correct a milestone's day (or kind, or note): the bulletins due from it follow; a
        bulletin already recorded as sent stays done (its action keeps the milestone's id)."""
        found = self.milestone(code, milestone_id)
        changes: dict[str, object] = {}
        if on is not None:
            not_in_future(
                on, today, "milestone date {on} is in the future: record milestones once reached"
            )
            changes["reached_on"] = on
        if kind is not None:
            changes["kind"] = milestone_kind(kind)
        if note is not None:
            changes["note"] = optional_note("note", note.strip() or None)
        if not changes:
            raise InvalidInput("nothing to change: give the date, the kind or the note")
        after = {"kind": found.kind, "reached_on": found.reached_on, **changes}
        self._refuse_twice(found.project_id, after["kind"], after["reached_on"], but=found.id)
        self.db.update("milestone", {"id": found.id}, changes)
        return self.milestone(code, milestone_id)

    def delete_milestone(self, code: str, milestone_id: int) -> Milestone:
        """Delete a milestone recorded by mistake: the bulletins due from it go. One whose
        bulletins were already recorded as sent is refused (re-date it, or delete those events
        first): its id, which they name, could otherwise be given to a new milestone."""
        found = self.milestone(code, milestone_id)
        from sixplustwo.store.database import in_list

        rules = [rule.name for rule in self.playbook if rule.anchor == "milestone"] or [""]
        placeholders, params = in_list("r", rules)
        sent = self.db.query(
            f"SELECT id FROM event WHERE kind IN ({placeholders}) AND action_id LIKE :suffix "
            "ORDER BY id",
            {**params, "suffix": f"%:m{found.id}"},
        )
        if sent:
            raise Conflict(
                "milestone {id}: {count} bulletin(s) were already recorded as sent for it "
                "(event {event}); re-date it instead, or delete those events first",
                id=found.id,
                count=len(sent),
                event=sent[0][0],
            )
        self.db.delete("milestone", {"id": found.id})
        return found

    def facts(self, project: Project) -> ProjectFacts:
        events = self.db.query(
            "SELECT kind, happened_on, action_id FROM event "
            "WHERE project_id = :p AND owner_id IS NULL",
            {"p": project.id},
        )
        from sixplustwo.store.rows import as_date

        return ProjectFacts(
            project.id,
            project.delivery_date,
            tuple(EventFact(kind, as_date(on), action_id) for kind, on, action_id in events),
            project.opening_date,
        )

    def actions(self, project: Project, today: date) -> list[Action]:
        return actions(self.facts(project), today, self.playbook)

    def add_event(
        self, code: str, kind: str, on: date, note: str | None, *, today: date
    ) -> tuple[Event, list[str]]:
        """A project-wide event (a weekly SMS bulletin, a community event …); return it with
        the ids of the project actions it completed."""
        kind = kind.strip()
        if not kind:
            raise InvalidInput("event kind must not be empty")
        check_line("event kind", kind, KIND_MAX)
        note = optional_note("note", note)
        not_in_future(on, today, "event date {on} is in the future")
        playbook = self.playbook
        if kind in playbook and playbook.get(kind).subject != "project":
            raise InvalidInput("{kind} is not a project rule: record it for an owner", kind=kind)
        project = self.get(code)
        # Seen from the event's own day: recurring actions are kept only a few periods back.
        before = {a.action_id for a in self.actions(project, on) if a.done_on}
        event = self.events.record(project_id=project.id, kind=kind, happened_on=on, note=note)
        after = {a.action_id: a for a in self.actions(project, on) if a.done_on}
        completed = sorted(after.keys() - before)
        for action_id in completed:  # refused, and rolled back, if dated before it opens
            check_completion_day(after[action_id], on)
        return event, completed
