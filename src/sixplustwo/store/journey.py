"""The journey: events, the actions they complete, and what an owner's timeline shows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING

from sixplustwo.domain.actions import Action, actions, check_completion_day
from sixplustwo.domain.errors import Conflict, InvalidInput, NotFound
from sixplustwo.domain.model import CaseFacts, OwnerFacts, Referral
from sixplustwo.domain.model import Event as EventFact
from sixplustwo.domain.owners import SurveyRow
from sixplustwo.domain.playbook import Rule
from sixplustwo.domain.rules import (
    ACTION_ID,
    check_score,
    checklist_item,
    not_in_future,
    opens_repair,
    repair_note,
)
from sixplustwo.domain.text import CHANNEL_MAX, KIND_MAX, check_line, optional_line, optional_note
from sixplustwo.store.batches import ImportResult
from sixplustwo.store.facts import load_milestones
from sixplustwo.store.owners import journey_facts
from sixplustwo.store.records import Case, ChecklistResult, Event, Owner, Project
from sixplustwo.store.rows import as_date, now_text
from sixplustwo.store.search import resolve_action_id

if TYPE_CHECKING:
    from sixplustwo.domain.playbook import Playbook
    from sixplustwo.store.cases import Cases
    from sixplustwo.store.database import Database
    from sixplustwo.store.events import Events
    from sixplustwo.store.owners import Owners
    from sixplustwo.store.projects import Projects


@dataclass
class SurveyResult(ImportResult):
    """A survey import's counts; ``skipped``: answers already recorded (same owner, date,
    score, source and comment), in the database or earlier in the file."""

    skipped: int = 0
    event_ids: list[int] = field(default_factory=list)  # the events it recorded


@dataclass(frozen=True)
class EventDeletion:
    """What ``event delete`` removed, and the actions that are open again."""

    event: Event
    reopened: list[str]
    checklist: int  # checklist results recorded with the event, deleted with it
    deleted_cases: list[int]  # repair cases it opened, still untouched: deleted
    kept_cases: list[int]  # repair cases it opened that were worked on since: kept


@dataclass(frozen=True)
class OwnerView:
    owner: Owner
    project: Project
    facts: OwnerFacts
    events: list[Event]
    cases: list[Case]
    actions: list[Action]


def _case_facts(case: Case, events: Iterable[Event]) -> CaseFacts:
    return CaseFacts(
        case.id,
        case.owner_id,
        case.kind,
        case.opened_on,
        case.resolved_on,
        tuple(
            EventFact(e.kind, e.happened_on, e.action_id) for e in events if e.case_id == case.id
        ),
    )


class Journey:
    """What events mean for owners, projects and cases: the actions they complete, by
    ``playbook``, over the rows of ``events``; an owner's timeline with its ``cases``;
    completing a case's action resolves it, or opens a repair case, through ``cases``."""

    def __init__(
        self,
        db: Database,
        playbook: Playbook,
        events: Events,
        owners: Owners,
        projects: Projects,
        cases: Cases,
    ) -> None:
        self.db = db
        self.playbook = playbook
        self.events = events
        self.owners = owners
        self.projects = projects
        self.cases = cases

    # -- reading ------------------------------------------------------------------------

    def owner_facts(self, owner: Owner, project: Project, events: list[Event]) -> OwnerFacts:
        milestones = load_milestones(self.db, [project.id]).get(project.id, ())
        referred = self.db.query(
            "SELECT id, signed_on, delivered_on FROM owner WHERE referred_by = :o ORDER BY id",
            {"o": owner.id},
        )
        from sixplustwo.store.rows import as_date

        referrals = tuple(
            Referral(r_id, signed is not None or delivered is not None, as_date(delivered))
            for r_id, signed, delivered in referred
        )
        return replace(
            journey_facts(owner, project),
            milestones=milestones,
            referrals=referrals,
            events=tuple(
                EventFact(e.kind, e.happened_on, e.action_id, e.note)
                for e in events
                if e.case_id is None
            ),
        )

    def owner_view(self, owner_id: int, today: date) -> OwnerView:
        owner = self.owners.get(owner_id)
        project = self.projects.by_id(owner.project_id)
        events = self.events.matching("owner_id = :o", {"o": owner_id})
        cases = self.cases.of_owner(owner_id)
        facts = self.owner_facts(owner, project, events)
        playbook = self.playbook
        found = actions(facts, today, playbook)
        for case in cases:
            found.extend(actions(_case_facts(case, events), today, playbook))
        found.sort(key=lambda a: (a.opens_on, a.due_on, a.action_id))
        return OwnerView(owner, project, facts, events, cases, found)

    def checklist_results(self, owner_id: int) -> list[ChecklistResult]:
        rows = self.db.query(
            f"SELECT {ChecklistResult.select()} FROM checklist_result WHERE owner_id = :o "
            "ORDER BY id",
            {"o": owner_id},
        )
        return [ChecklistResult.from_row(row) for row in rows]

    # -- events -------------------------------------------------------------------------

    def add_event(
        self,
        owner_id: int,
        kind: str,
        on: date,
        *,
        note: str | None = None,
        channel: str | None = None,
        score: int | None = None,
        today: date,
    ) -> tuple[Event, list[str]]:
        """Record an event; return it with the ids of the actions it completed."""
        kind = kind.strip()
        if not kind:
            raise InvalidInput("event kind must not be empty")
        check_line("event kind", kind, KIND_MAX)
        note, channel = _event_texts(note, channel)
        not_in_future(on, today, "event date {on} is in the future")
        check_score(score)
        self.owners.unforgotten(owner_id)
        playbook = self.playbook
        case_id = None
        if kind in playbook:
            rule = playbook.get(kind)
            if rule.subject == "project":
                raise InvalidInput(
                    "{kind} is a project action: complete it with sixplustwo done", kind=kind
                )
            if rule.completion == "case-resolved":
                raise InvalidInput(
                    "{kind}: resolve the case with sixplustwo case resolve", kind=kind
                )
            if rule.subject == "case":
                case_id = self._case_awaiting_revisit(owner_id)
        before = self._done(owner_id, kind, today)
        event = self.events.record(
            owner_id=owner_id,
            case_id=case_id,
            kind=kind,
            happened_on=on,
            note=note,
            channel=channel,
            score=score,
        )
        after = self._done(owner_id, kind, today)
        completed = sorted(after.keys() - before.keys())
        for action_id in completed:  # refused, and rolled back, if dated before it opens
            check_completion_day(after[action_id], on)
        return event, completed

    def _done(self, owner_id: int, kind: str, today: date) -> dict[str, Action]:
        """The owner's done actions of rule ``kind``, by id."""
        if kind not in self.playbook:
            return {}
        view = self.owner_view(owner_id, today)
        return {a.action_id: a for a in view.actions if a.rule == kind and a.status == "done"}

    def _case_awaiting_revisit(self, owner_id: int) -> int:
        case_id = self.db.scalar(
            "SELECT c.id FROM service_case c WHERE c.owner_id = :o "
            "AND c.resolved_on IS NOT NULL AND NOT EXISTS (SELECT 1 FROM event e "
            "WHERE e.case_id = c.id AND e.kind = 'case-revisit') ORDER BY c.resolved_on, c.id",
            {"o": owner_id},
        )
        if case_id is None:
            raise Conflict(
                "owner {owner} has no resolved case waiting for a revisit", owner=owner_id
            )
        return case_id

    def import_survey(
        self, rows: Iterable[tuple[int, SurveyRow | InvalidInput]], today: date
    ) -> SurveyResult:
        """Third-party satisfaction survey results (第三方客户满意度调查) as ``survey`` events:
        each row names its owner by id, or by project (code or name) and unit. An answer
        already recorded (same owner, date, score, source and comment) is skipped and counted,
        so that importing a file twice adds nothing the second time."""
        result = SurveyResult()
        units: dict[tuple[str, str], int] = {}
        found = self.db.query(
            "SELECT o.id, p.code, p.name, o.unit, o.forgotten_on FROM owner o "
            "JOIN project p ON p.id = o.project_id"
        )
        for owner_id, _, name, unit, _ in found:  # names first: a code wins over a name
            units[(name, unit)] = owner_id
        for owner_id, code, _, unit, _ in found:
            units[(code, unit)] = owner_id
        known = {owner_id for owner_id, *_ in found}
        forgotten = {owner_id: on for owner_id, *_, on in found if on is not None}
        recorded = {
            (owner_id, str(on), score, channel, note)
            for owner_id, on, score, channel, note in self.db.query(
                "SELECT owner_id, happened_on, score, channel, note FROM event "
                "WHERE kind = 'survey'"
            )
        }
        events = []
        for row_number, row in rows:
            result.rows += 1
            if not isinstance(row, SurveyRow):
                result.problem(row)
                continue
            owner_id = row.owner_id if row.owner_id in known else units.get((row.project, row.unit))
            if owner_id is None:
                who = f"o{row.owner_id}" if row.owner_id else f"{row.project} {row.unit}"
                result.problem(InvalidInput("row {row}: no owner {who}", row=row_number, who=who))
                continue
            if owner_id in forgotten:
                result.problem(
                    InvalidInput(
                        "row {row}: owner {id} was forgotten on {on}",
                        row=row_number,
                        id=owner_id,
                        on=as_date(forgotten[owner_id]),
                    )
                )
                continue
            if row.on > today:
                result.problem(
                    InvalidInput("row {row}: date {on} is in the future", row=row_number, on=row.on)
                )
                continue
            answer = (owner_id, row.on.isoformat(), row.score, row.source, row.comment)
            if answer in recorded:
                result.skipped += 1
                continue
            recorded.add(answer)
            events.append(
                {
                    "owner_id": owner_id,
                    "kind": "survey",
                    "happened_on": row.on,
                    "note": row.comment,
                    "channel": row.source,
                    "score": row.score,
                }
            )
        if not result.problems and events:
            stamp = {"recorded_at": now_text()}
            result.event_ids = [self.db.insert("event", {**e, **stamp}) for e in events]
            result.inserted = len(events)
        return result

    def delete_event(self, event_id: int, today: date) -> EventDeletion:
        """Delete an event recorded by mistake: the actions it completed are open again. The
        checklist results recorded with it go with it, and so does a repair case it opened
        while still untouched (not resolved, nothing recorded for it); one worked on since is
        kept."""
        event = self.events.get(event_id)
        before = self._done_of(event, today)
        checklist, deleted, kept = self.events.delete(event_id)
        reopened = sorted(before - self._done_of(event, today))
        return EventDeletion(event, reopened, checklist, deleted, kept)

    def _done_of(self, event: Event, today: date) -> set[str]:
        """The done actions of the event's subject: its owner (with their cases), else its
        project as seen from the event's day (recurring actions are kept a few periods)."""
        if event.owner_id is not None:
            view = self.owner_view(event.owner_id, today)
            return {a.action_id for a in view.actions if a.status == "done"}
        if event.project_id is not None:
            project = self.projects.by_id(event.project_id)
            actions_then = self.projects.actions(project, event.happened_on)
            return {a.action_id for a in actions_then if a.done_on}
        return set()

    # -- actions ------------------------------------------------------------------------

    def find_action(
        self, action_id: str, today: date, *, also_on: date | None = None
    ) -> tuple[Action, Rule]:
        """The action and its rule, as of ``today`` or, failing that, ``also_on``."""
        action_id = resolve_action_id(self.db, action_id)
        match = ACTION_ID.match(action_id)
        if match is None:
            raise InvalidInput(
                "{action!r} is not an action id (e.g. o12:revisit-3m)", action=action_id
            )
        kind, number, rule_name, _ = match.groups()
        playbook = self.playbook
        if rule_name not in playbook:
            raise NotFound(
                "no action {action}: unknown rule {rule}", action=action_id, rule=rule_name
            )
        rule = playbook.get(rule_name)
        try:
            return self._action(kind, int(number), action_id, today), rule
        except NotFound:
            if also_on is None or also_on == today:
                raise
            return self._action(kind, int(number), action_id, also_on), rule

    def _action(self, kind: str, subject_id: int, action_id: str, today: date) -> Action:
        playbook = self.playbook
        if kind == "o":
            candidates = self.owner_view(subject_id, today).actions
        elif kind == "p":
            try:
                project = self.projects.by_id(subject_id)
            except NotFound:
                raise NotFound(
                    "no action {action}: no project with id {id}", action=action_id, id=subject_id
                ) from None
            candidates = self.projects.actions(project, today)
        else:
            case = self.cases.get(subject_id)
            events = self.events.matching("case_id = :c", {"c": case.id})
            candidates = actions(_case_facts(case, events), today, playbook)
        for candidate in candidates:
            if candidate.action_id == action_id:
                return candidate
        raise NotFound("no action {action} (see sixplustwo due or owner show)", action=action_id)

    def complete(
        self,
        action_id: str,
        on: date,
        *,
        note: str | None,
        channel: str | None,
        today: date,
        score: int | None = None,
        checklist: Sequence[tuple[str, bool, str | None]] = (),
    ) -> Action:
        """Complete an action with the event that records it; ``checklist`` gives items (text
        or 1-based number) found fine or with a problem. A problem found at the 1-year check or
        the 3-month revisit opens a repair case, linked to the action."""
        not_in_future(on, today, "date {on} is in the future")
        check_score(score)
        note, channel = _event_texts(note, channel)
        checklist = [(item, ok, optional_note("problem", remark)) for item, ok, remark in checklist]
        # Recurring and festival actions are kept only some periods back: look from the day
        # it was done too.
        self.owners.unforgotten_subject(action_id := resolve_action_id(self.db, action_id))
        found, rule = self.find_action(action_id, today, also_on=on)
        kind, subject_id = found.action_id[0], found.subject_id  # "o", "p" or "c"
        if found.status == "done":
            raise Conflict(
                "action {action} is already done ({on})", action=action_id, on=found.done_on
            )
        check_completion_day(found, on)
        items = [(checklist_item(rule, item), ok, remark) for item, ok, remark in checklist]
        if kind == "c" and rule.completion == "case-resolved":
            if items:
                raise InvalidInput("{rule} has no checklist to record", rule=rule.name)
            self.cases.resolve(subject_id, on, note, today=today)
            return replace(found, status="done", done_on=on)
        subject: dict[str, object] = {}
        if kind == "o":
            subject["owner_id"] = subject_id
        elif kind == "p":
            subject["project_id"] = subject_id
        else:
            case = self.cases.get(subject_id)
            subject = {"case_id": case.id, "owner_id": case.owner_id}
        event = self.events.record(
            kind=rule.name,
            happened_on=on,
            note=note,
            channel=channel,
            action_id=found.action_id,
            score=score,
            **subject,
        )
        for item, ok, remark in items:
            case_id = None
            if opens_repair(rule.name, kind, ok):
                case = self.cases.open(subject_id, "repair", repair_note(item, remark), on, today)
                self.db.update("service_case", {"id": case.id}, {"action_id": found.action_id})
                case_id = case.id
            self.db.insert(
                "checklist_result",
                {
                    "event_id": event.id,
                    "action_id": found.action_id,
                    "rule": rule.name,
                    "owner_id": event.owner_id,
                    "project_id": event.project_id,
                    "item": item,
                    "ok": ok,
                    "note": remark,
                    "case_id": case_id,
                },
            )
        return replace(found, status="done", done_on=on)

    def complete_many(
        self,
        action_ids: Sequence[str],
        on: date,
        *,
        note: str | None,
        channel: str | None,
        today: date,
        score: int | None = None,
        dry_run: bool = False,
    ) -> list[Action]:
        """``done ID ID …``: complete every action given (each once), or none: an id that
        names no action, or one already done, refuses them all, naming each. With
        ``dry_run``, only check: the actions that would be completed."""
        not_in_future(on, today, "date {on} is in the future")
        check_score(score)
        found: list[Action] = []
        bad: list[str] = []
        first: Exception | None = None
        seen: set[str] = set()
        for given in action_ids:
            action_id = given.strip()
            if action_id in seen:
                continue
            seen.add(action_id)
            try:
                self.owners.unforgotten_subject(action_id := resolve_action_id(self.db, action_id))
                action, _ = self.find_action(action_id, today, also_on=on)
            except (NotFound, InvalidInput, Conflict) as exc:
                bad.append(action_id)
                first = first or exc
                continue
            if action.status == "done":
                bad.append(action_id)
                first = first or Conflict(
                    "action {action} is already done ({on})", action=action_id, on=action.done_on
                )
                continue
            try:
                check_completion_day(action, on)
            except InvalidInput as exc:
                bad.append(action_id)
                first = first or exc
                continue
            found.append(action)
        if bad:
            raise Conflict(
                "nothing done: {ids} cannot be completed ({first})", ids=", ".join(bad), first=first
            )
        if dry_run:
            return found
        return [
            self.complete(
                action.action_id, on, note=note, channel=channel, today=today, score=score
            )
            for action in found
        ]


def _event_texts(note: str | None, channel: str | None) -> tuple[str | None, str | None]:
    """An event's note and channel as stored, or InvalidInput naming the bad one."""
    return optional_note("note", note), optional_line("channel", channel, CHANNEL_MAX)
