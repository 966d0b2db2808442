"""Every read and write a command makes, inside the one session the command opened."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from sqlalchemy import func, text
from sqlmodel import Session, select

from sixplustwo.domain.actions import Action, actions
from sixplustwo.domain.calendars import birthday_key
from sixplustwo.domain.errors import Conflict, InvalidInput, NotFound
from sixplustwo.domain.model import CaseFacts, Event, OwnerFacts, ProjectFacts, Referral
from sixplustwo.domain.owners import DATE_FIELDS, OwnerRecord, SurveyRow, check_journey
from sixplustwo.domain.playbook import Playbook, Rule
from sixplustwo.store import tables as t
from sixplustwo.store.audit import now_text, record_audit
from sixplustwo.store.bulk import ImportResult
from sixplustwo.store.queries import (
    DueFilter,
    DueRow,
    due_rows,
    load_milestones,
    memberships,
    unknown_project,
)
from sixplustwo.store.rows import as_date, iso

MILESTONE_ALIASES = {
    "topping-out": "封顶",
    "topping_out": "封顶",
    "scaffold-removal": "落架",
    "scaffold_removal": "落架",
    "design-change": "设计变更",
    "design_change": "设计变更",
    "site-open-day": "工地开放日",
    "site_open_day": "工地开放日",
}
CASE_KINDS = {"complaint": "投诉", "repair": "报修"}
_ACTION_ID = re.compile(r"^([opc])(\d+):([a-z0-9-]+)(?::([A-Za-z0-9-]+))?$")


def dbapi(session: Session):
    """The DBAPI connection under the session, in its transaction: the bulk queries use it."""
    return session.connection().connection.driver_connection


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class OwnerView:
    owner: t.Owner
    project: t.Project
    facts: OwnerFacts
    events: list[t.Event]
    cases: list[t.ServiceCase]
    actions: list[Action]


class Store:
    def __init__(self, session: Session, playbook: Playbook) -> None:
        self.session = session
        self.playbook = playbook

    # -- projects -------------------------------------------------------------------------

    def add_project(
        self,
        code: str,
        name: str,
        delivery_date: date | None,
        city: str | None,
        opening_date: date | None = None,
    ) -> t.Project:
        code = code.strip()
        if not code or not name.strip():
            raise InvalidInput("project code and name must not be empty")
        if self._project_or_none(code) is not None:
            raise Conflict(f"project {code} already exists")
        project = t.Project(
            code=code,
            name=name.strip(),
            city=city,
            delivery_date=delivery_date,
            opening_date=opening_date,
            created_at=_now(),
        )
        self.session.add(project)
        self.session.flush()
        return project

    def edit_project(self, code: str, changes: dict[str, object]) -> t.Project:
        project = self.project(code)
        if "name" in changes and not str(changes["name"]).strip():
            raise InvalidInput("--name must not be empty")
        for column, value in changes.items():
            setattr(project, column, value)
        self.session.add(project)
        self.session.flush()
        return project

    def _project_or_none(self, code: str) -> t.Project | None:
        return self.session.exec(select(t.Project).where(t.Project.code == code)).first()

    def project(self, code: str) -> t.Project:
        project = self._project_or_none(code)
        if project is None:
            project = self.session.exec(select(t.Project).where(t.Project.name == code)).first()
        if project is None:
            raise unknown_project(code)
        return project

    def projects(self) -> list[t.Project]:
        return list(self.session.exec(select(t.Project).order_by(t.Project.code)))

    def add_milestone(
        self, code: str, kind: str, on: date, note: str | None, *, today: date
    ) -> t.Milestone:
        if on > today:
            raise InvalidInput(f"--date {on} is in the future: record milestones once reached")
        project = self.project(code)
        kind = MILESTONE_ALIASES.get(kind.strip().lower(), kind.strip())
        if not kind:
            raise InvalidInput("milestone kind must not be empty")
        milestone = t.Milestone(project_id=project.id, kind=kind, reached_on=on, note=note)
        self.session.add(milestone)
        self.session.flush()
        return milestone

    # -- owners ---------------------------------------------------------------------------

    def owner(self, owner_id: int) -> t.Owner:
        owner = self.session.get(t.Owner, owner_id)
        if owner is None:
            raise NotFound(f"no owner with id {owner_id}")
        return owner

    def _check_unit_free(self, project_id: int, unit: str, code: str, but: int | None) -> None:
        existing = self.session.exec(
            select(t.Owner.id).where(t.Owner.project_id == project_id, t.Owner.unit == unit)
        ).first()
        if existing is not None and existing != but:
            raise Conflict(f"flat {code} {unit} already belongs to owner {existing}")

    def add_owner(self, record: OwnerRecord) -> t.Owner:
        project = self.project(record.project)
        self._check_unit_free(project.id, record.unit, project.code, None)
        if record.referred_by is not None:
            self.owner(record.referred_by)
        owner = t.Owner(**_owner_columns(record, project.id), created_at=_now())
        self.session.add(owner)
        self.session.flush()
        return owner

    def edit_owner(
        self, owner_id: int, changes: dict[str, object], clear: Sequence[str], today: date
    ) -> t.Owner:
        owner = self.owner(owner_id)
        if owner.forgotten_on is not None:
            raise Conflict(f"owner {owner_id} was forgotten on {owner.forgotten_on}")
        for name in clear:
            column = DATE_FIELDS.get(name, name)
            if column not in {*DATE_FIELDS.values(), "butler", "referred_by"}:
                raise InvalidInput(f"--clear {name}: only dates, butler and referred_by clear")
            changes[column] = None
        if "project" in changes:
            owner.project_id = self.project(str(changes.pop("project"))).id
        if changes.get("referred_by") is not None:
            if changes["referred_by"] == owner_id:
                raise InvalidInput("an owner cannot refer themselves")
            if owner.referred_by is not None and owner.referred_by != changes["referred_by"]:
                # 滚雪球计划: the first referrer of a customer wins; --clear referred_by first
                # to correct a mistake.
                raise Conflict(
                    f"owner {owner_id} was referred by owner {owner.referred_by} first "
                    "(the first referrer wins; --clear referred_by to correct a mistake)"
                )
            self.owner(int(changes["referred_by"]))  # type: ignore[arg-type]
        for column, value in changes.items():
            setattr(owner, column, value)
        check_journey({column: getattr(owner, column) for column in DATE_FIELDS.values()}, today)
        if owner.birthday is None:
            owner.birthday_lunar = False
        owner.birthday_md = birthday_key(owner.birthday, owner.birthday_lunar)
        project = self.session.get(t.Project, owner.project_id)
        self._check_unit_free(owner.project_id, owner.unit, project.code, owner.id)
        self.session.add(owner)
        self.session.flush()
        return owner

    def tags(self, owner_id: int) -> list[str]:
        return list(
            self.session.exec(
                select(t.OwnerTag.tag)
                .where(t.OwnerTag.owner_id == owner_id)
                .order_by(t.OwnerTag.tag)
            )
        )

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
        owner = self.owner(owner_id)
        if owner.forgotten_on is not None:
            raise Conflict(f"owner {owner_id} was forgotten on {owner.forgotten_on}")
        if consent is not None:
            owner.profile_consent = consent
            self.session.add(owner)
            if not consent:
                self._erase_tags(owner_id)
        if add and not owner.profile_consent:
            raise InvalidInput(
                f"owner {owner_id} has not agreed to a customer archive: record their consent "
                "with --profile-consent yes first"
            )
        current = set(self.tags(owner_id))
        for tag in (normalise_tag(tag) for tag in add):
            if tag not in current:
                self.session.add(t.OwnerTag(owner_id=owner_id, tag=tag))
                current.add(tag)
        for tag in (normalise_tag(tag) for tag in remove):
            if tag not in current:
                raise NotFound(f"owner {owner_id} has no tag {tag}")
            self.session.execute(
                text("DELETE FROM owner_tag WHERE owner_id = :o AND tag = :t"),
                {"o": owner_id, "t": tag},
            )
            current.discard(tag)
        self.session.flush()
        return sorted(current)

    def _erase_tags(self, owner_id: int) -> None:
        self.session.execute(text("DELETE FROM owner_tag WHERE owner_id = :o"), {"o": owner_id})

    def forget_owner(self, owner_id: int, today: date) -> t.Owner:
        """Erase personal data on request (PIPL); the anonymous journey stays for statistics."""
        owner = self.owner(owner_id)
        owner.name = None
        owner.phone = None
        owner.birthday = None
        owner.birthday_md = None
        owner.profile_consent = False
        self._erase_tags(owner_id)
        owner.forgotten_on = today
        self.session.add(owner)
        self.session.execute(
            text("UPDATE event SET note = NULL WHERE owner_id = :o"), {"o": owner_id}
        )
        self.session.execute(
            text("UPDATE checklist_result SET note = NULL WHERE owner_id = :o"), {"o": owner_id}
        )
        self.audit("owner forget", f"owner {owner_id}")
        self.session.flush()
        return owner

    def list_owners(
        self,
        project: str | None,
        butler: str | None,
        limit: int,
        offset: int,
        tags: Sequence[str] = (),
    ) -> tuple[list[tuple[t.Owner, t.Project]], int]:
        query = select(t.Owner, t.Project).join(t.Project, t.Project.id == t.Owner.project_id)
        count = select(func.count()).select_from(t.Owner)
        if project is not None:
            project_id = self.project(project).id
            query = query.where(t.Owner.project_id == project_id)
            count = count.where(t.Owner.project_id == project_id)
        if butler is not None:
            query = query.where(t.Owner.butler == butler)
            count = count.where(t.Owner.butler == butler)
        for tag in (normalise_tag(tag) for tag in tags):
            tagged = select(t.OwnerTag.owner_id).where(t.OwnerTag.tag == tag)
            query = query.where(t.Owner.id.in_(tagged))
            count = count.where(t.Owner.id.in_(tagged))
        query = query.order_by(t.Owner.id).offset(offset)
        if limit > 0:
            query = query.limit(limit)
        return list(self.session.exec(query)), self.session.exec(count).one()

    def owner_facts(self, owner: t.Owner, project: t.Project, events: list[t.Event]) -> OwnerFacts:
        milestones = load_milestones(dbapi(self.session), [project.id]).get(project.id, ())
        referrals = tuple(
            Referral(r.id, r.signed_on is not None or r.delivered_on is not None, r.delivered_on)
            for r in self.session.exec(select(t.Owner).where(t.Owner.referred_by == owner.id))
        )
        return replace(
            journey_facts(owner, project),
            milestones=milestones,
            referrals=referrals,
            events=tuple(
                Event(e.kind, e.happened_on, e.action_id, e.note)
                for e in events
                if e.case_id is None
            ),
        )

    def owner_view(self, owner_id: int, today: date) -> OwnerView:
        owner = self.owner(owner_id)
        project = self.session.get(t.Project, owner.project_id)
        events = list(
            self.session.exec(
                select(t.Event)
                .where(t.Event.owner_id == owner_id)
                .order_by(t.Event.happened_on, t.Event.id)
            )
        )
        cases = list(
            self.session.exec(
                select(t.ServiceCase)
                .where(t.ServiceCase.owner_id == owner_id)
                .order_by(t.ServiceCase.id)
            )
        )
        facts = self.owner_facts(owner, project, events)
        found = actions(facts, today, self.playbook)
        for case in cases:
            found.extend(actions(self._case_facts(case, events), today, self.playbook))
        found.sort(key=lambda a: (a.opens_on, a.due_on, a.action_id))
        return OwnerView(owner, project, facts, events, cases, found)

    # -- events and actions ---------------------------------------------------------------

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
    ) -> tuple[t.Event, list[str]]:
        """Record an event; return it with the ids of the actions it completed."""
        kind = kind.strip()
        if not kind:
            raise InvalidInput("event kind must not be empty")
        if on > today:
            raise InvalidInput(f"event date {on} is in the future")
        _check_score(score)
        owner = self.owner(owner_id)
        case_id = None
        if kind in self.playbook:
            rule = self.playbook.get(kind)
            if rule.subject == "project":
                raise InvalidInput(f"{kind} is a project action: complete it with sixplustwo done")
            if rule.completion == "case-resolved":
                raise InvalidInput(f"{kind}: resolve the case with sixplustwo case resolve")
            if rule.subject == "case":
                case_id = self._case_awaiting_revisit(owner_id)
        before = self._done_ids(owner, kind, today)
        event = t.Event(
            owner_id=owner_id,
            case_id=case_id,
            kind=kind,
            happened_on=on,
            note=note,
            channel=channel,
            score=score,
            recorded_at=_now(),
        )
        self.session.add(event)
        self.session.flush()
        completed = sorted(self._done_ids(owner, kind, today) - before)
        return event, completed

    def referral_ledger(self, today: date, referrer: int | None = None) -> list[dict]:
        """滚雪球计划: every referral with its state. pending: the referred customer has not
        signed; confirmed: signed, reward owed; settled: the referral-reward action is done."""
        settings = self.playbook.settings
        where = "r.id = :referrer" if referrer is not None else "1 = 1"
        rows = self.session.execute(
            text(
                "SELECT r.id, r.name, r.phone, o.id, o.name, o.signed_on, o.delivered_on "
                "FROM owner o JOIN owner r ON r.id = o.referred_by "
                f"WHERE {where} ORDER BY r.id, o.id"
            ),
            {"referrer": referrer},
        ).all()
        settled: dict[int, dict[str, tuple[date, str | None]]] = {}
        for referrer_id in {row[0] for row in rows}:
            view = self.owner_view(referrer_id, today)
            channels = {e.action_id: e.channel for e in view.events if e.action_id}
            settled[referrer_id] = {
                a.detail or "": (a.done_on, channels.get(a.action_id))
                for a in view.actions
                if a.rule == "referral-reward" and a.done_on is not None
            }
        ledger = []
        for r_id, r_name, r_phone, o_id, o_name, signed_on, delivered_on in rows:
            done = settled[r_id].get(f"o{o_id}")
            signed = signed_on is not None or delivered_on is not None
            status = "settled" if done else "confirmed" if signed else "pending"
            method = done[1] if done and done[1] else settings.referral_settlement
            ledger.append(
                {
                    "referrer_id": r_id,
                    "referrer": r_name,
                    "referrer_phone": r_phone,
                    "referred_id": o_id,
                    "referred": o_name,
                    "signed": as_date(signed_on),
                    "delivered": as_date(delivered_on),
                    "status": status,
                    "amount": settings.referral_reward if signed else 0,
                    "settlement": method if signed else None,
                    "settled_on": done[0] if done else None,
                }
            )
        return ledger

    def import_survey(
        self, rows: Iterable[tuple[int, SurveyRow | str]], today: date
    ) -> ImportResult:
        """Third-party satisfaction survey results (第三方客户满意度调查) as ``survey`` events:
        each row names its owner by id, or by project and unit."""
        result = ImportResult()
        units = {
            (code, unit): owner_id
            for owner_id, code, unit in self.session.execute(
                text(
                    "SELECT o.id, p.code, o.unit FROM owner o JOIN project p ON p.id = o.project_id"
                )
            )
        }
        known = set(units.values())
        events = []
        for row_number, row in rows:
            result.rows += 1
            if isinstance(row, str):
                result.problem(row)
                continue
            owner_id = row.owner_id if row.owner_id in known else units.get((row.project, row.unit))
            if owner_id is None:
                who = f"o{row.owner_id}" if row.owner_id else f"{row.project} {row.unit}"
                result.problem(f"row {row_number}: no owner {who}")
                continue
            if row.on > today:
                result.problem(f"row {row_number}: date {row.on} is in the future")
                continue
            events.append((owner_id, "survey", iso(row.on), row.comment, row.source, row.score))
        if not result.problems:
            stamp = now_text()
            dbapi(self.session).executemany(
                "INSERT INTO event (owner_id, kind, happened_on, note, channel, score, "
                "recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(*event, stamp) for event in events],
            )
            result.inserted = len(events)
        return result

    def _done_ids(self, owner: t.Owner, kind: str, today: date) -> set[str]:
        if kind not in self.playbook:
            return set()
        view = self.owner_view(owner.id, today)
        return {a.action_id for a in view.actions if a.rule == kind and a.status == "done"}

    def _case_awaiting_revisit(self, owner_id: int) -> int:
        case_id = self.session.execute(
            text(
                "SELECT c.id FROM service_case c WHERE c.owner_id = :o "
                "AND c.resolved_on IS NOT NULL AND NOT EXISTS (SELECT 1 FROM event e "
                "WHERE e.case_id = c.id AND e.kind = 'case-revisit') ORDER BY c.resolved_on, c.id"
            ),
            {"o": owner_id},
        ).scalar()
        if case_id is None:
            raise Conflict(f"owner {owner_id} has no resolved case waiting for a revisit")
        return case_id

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
        if on > today:
            raise InvalidInput(f"--date {on} is in the future")
        _check_score(score)
        # Recurring and festival actions are kept only some periods back: look from the day
        # it was done too.
        found, rule = self.find_action(action_id, today, also_on=on)
        kind, subject_id = found.action_id[0], found.subject_id  # "o", "p" or "c"
        if found.status == "done":
            raise Conflict(f"action {action_id} is already done ({found.done_on})")
        items = [(_checklist_item(rule, item), ok, remark) for item, ok, remark in checklist]
        if kind == "c" and rule.completion == "case-resolved":
            if items:
                raise InvalidInput(f"{rule.name} has no checklist to record")
            self.resolve_case(subject_id, on, note, today=today)
            return replace(found, status="done", done_on=on)
        event = t.Event(
            kind=rule.name,
            happened_on=on,
            note=note,
            channel=channel,
            action_id=found.action_id,
            score=score,
            recorded_at=_now(),
        )
        if kind == "o":
            event.owner_id = subject_id
        elif kind == "p":
            event.project_id = subject_id
        else:
            case = self.case(subject_id)
            event.case_id = case.id
            event.owner_id = case.owner_id
        self.session.add(event)
        self.session.flush()
        for item, ok, remark in items:
            case_id = None
            if not ok and kind == "o" and rule.name in REPAIR_FROM_CHECKS:
                case = self.open_case(
                    subject_id, "repair", f"{item}：{remark or '检查发现问题'}", on, today
                )
                case.action_id = found.action_id
                case_id = case.id
            self.session.add(
                t.ChecklistResult(
                    event_id=event.id,
                    action_id=found.action_id,
                    rule=rule.name,
                    owner_id=event.owner_id,
                    project_id=event.project_id,
                    item=item,
                    ok=ok,
                    note=remark,
                    case_id=case_id,
                )
            )
        self.session.flush()
        return replace(found, status="done", done_on=on)

    def checklist_results(self, owner_id: int) -> list[t.ChecklistResult]:
        return list(
            self.session.exec(
                select(t.ChecklistResult)
                .where(t.ChecklistResult.owner_id == owner_id)
                .order_by(t.ChecklistResult.id)
            )
        )

    def find_action(
        self, action_id: str, today: date, *, also_on: date | None = None
    ) -> tuple[Action, Rule]:
        """The action and its rule, as of ``today`` or, failing that, ``also_on``."""
        action_id = action_id.strip()
        match = _ACTION_ID.match(action_id)
        if match is None:
            raise InvalidInput(f"{action_id!r} is not an action id (e.g. o12:revisit-3m)")
        kind, number, rule_name, _ = match.groups()
        if rule_name not in self.playbook:
            raise NotFound(f"no action {action_id}: unknown rule {rule_name}")
        rule = self.playbook.get(rule_name)
        try:
            return self._action(kind, int(number), action_id, today), rule
        except NotFound:
            if also_on is None or also_on == today:
                raise
            return self._action(kind, int(number), action_id, also_on), rule

    def _action(self, kind: str, subject_id: int, action_id: str, today: date) -> Action:
        if kind == "o":
            candidates = self.owner_view(subject_id, today).actions
        elif kind == "p":
            project = self.session.get(t.Project, subject_id)
            if project is None:
                raise NotFound(f"no action {action_id}: no project with id {subject_id}")
            candidates = actions(self._project_facts(project), today, self.playbook)
        else:
            case = self.case(subject_id)
            events = list(self.session.exec(select(t.Event).where(t.Event.case_id == case.id)))
            candidates = actions(self._case_facts(case, events), today, self.playbook)
        for candidate in candidates:
            if candidate.action_id == action_id:
                return candidate
        raise NotFound(f"no action {action_id} (see sixplustwo due or owner show)")

    def _project_facts(self, project: t.Project) -> ProjectFacts:
        events = self.session.exec(
            select(t.Event).where(t.Event.project_id == project.id, t.Event.owner_id.is_(None))
        )
        return ProjectFacts(
            project.id,
            project.delivery_date,
            tuple(Event(e.kind, e.happened_on, e.action_id) for e in events),
            project.opening_date,
        )

    def add_project_event(
        self, code: str, kind: str, on: date, note: str | None, *, today: date
    ) -> tuple[t.Event, list[str]]:
        """A project-wide event (a weekly SMS bulletin, a community event …); return it with
        the ids of the project actions it completed."""
        kind = kind.strip()
        if not kind:
            raise InvalidInput("event kind must not be empty")
        if on > today:
            raise InvalidInput(f"event date {on} is in the future")
        if kind in self.playbook and self.playbook.get(kind).subject != "project":
            raise InvalidInput(f"{kind} is not a project rule: record it for an owner")
        project = self.project(code)
        # Seen from the event's own day: recurring actions are kept only a few periods back.
        before = {a.action_id for a in self.project_actions(project, on) if a.done_on}
        event = t.Event(
            project_id=project.id, kind=kind, happened_on=on, note=note, recorded_at=_now()
        )
        self.session.add(event)
        self.session.flush()
        after = {a.action_id for a in self.project_actions(project, on) if a.done_on}
        return event, sorted(after - before)

    def memberships(self, owner_ids: Iterable[int]) -> dict[int, str | None]:
        return memberships(dbapi(self.session), owner_ids, self.playbook)

    def project_actions(self, project: t.Project, today: date) -> list[Action]:
        return actions(self._project_facts(project), today, self.playbook)

    # -- cases ----------------------------------------------------------------------------

    def case(self, case_id: int) -> t.ServiceCase:
        case = self.session.get(t.ServiceCase, case_id)
        if case is None:
            raise NotFound(f"no case with id {case_id}")
        return case

    @staticmethod
    def _case_facts(case: t.ServiceCase, events: list[t.Event]) -> CaseFacts:
        return CaseFacts(
            case.id,
            case.owner_id,
            case.kind,
            case.opened_on,
            case.resolved_on,
            tuple(
                Event(e.kind, e.happened_on, e.action_id) for e in events if e.case_id == case.id
            ),
        )

    def open_case(
        self, owner_id: int, kind: str, note: str, on: date, today: date
    ) -> t.ServiceCase:
        if kind not in CASE_KINDS:
            raise InvalidInput(f"--kind {kind!r}: use complaint (投诉) or repair (报修)")
        if not note.strip():
            raise InvalidInput("--note must say what the case is about")
        if on > today:
            raise InvalidInput(f"case date {on} is in the future")
        owner = self.owner(owner_id)
        if owner.forgotten_on is not None:
            raise Conflict(f"owner {owner_id} was forgotten on {owner.forgotten_on}")
        case = t.ServiceCase(owner_id=owner_id, kind=kind, note=note.strip(), opened_on=on)
        self.session.add(case)
        self.session.flush()
        return case

    def resolve_case(
        self, case_id: int, on: date, note: str | None, *, today: date
    ) -> t.ServiceCase:
        if on > today:
            raise InvalidInput(f"--date {on} is in the future")
        case = self.case(case_id)
        if case.resolved_on is not None:
            raise Conflict(f"case {case_id} was already resolved on {case.resolved_on}")
        if on < case.opened_on:
            raise InvalidInput(
                f"case {case_id} cannot be resolved before it opened ({case.opened_on})"
            )
        case.resolved_on = on
        case.resolution_note = note
        self.session.add(case)
        self.session.flush()
        return case

    def list_cases(
        self, only_open: bool, project: str | None
    ) -> list[tuple[t.ServiceCase, t.Owner, t.Project]]:
        query = (
            select(t.ServiceCase, t.Owner, t.Project)
            .join(t.Owner, t.Owner.id == t.ServiceCase.owner_id)
            .join(t.Project, t.Project.id == t.Owner.project_id)
        )
        if only_open:
            query = query.where(t.ServiceCase.resolved_on.is_(None))
        if project is not None:
            query = query.where(t.Owner.project_id == self.project(project).id)
        return list(self.session.exec(query.order_by(t.ServiceCase.id)))

    # -- lists ----------------------------------------------------------------------------

    def due(self, today: date, where: DueFilter) -> list[DueRow]:
        return due_rows(dbapi(self.session), self.playbook, today, where)

    def set_setting(self, name: str, value: str | None) -> None:
        connection = dbapi(self.session)
        if value is None:
            connection.execute("DELETE FROM setting WHERE name = ?", (name,))
            return
        connection.execute(
            "INSERT INTO setting (name, value, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value, "
            "updated_at = excluded.updated_at",
            (name, value, now_text()),
        )

    def audit(
        self, command: str, detail: str, rows: int | None = None, target: str | None = None
    ) -> None:
        record_audit(dbapi(self.session), command, detail, rows, target)

    def audits(self, limit: int) -> list[t.Audit]:
        query = select(t.Audit).order_by(t.Audit.id.desc())
        if limit > 0:
            query = query.limit(limit)
        return list(self.session.exec(query))

    def reveal_phone(self, owner_id: int) -> str | None:
        owner = self.owner(owner_id)
        self.audit("owner show --reveal", f"owner {owner_id}")
        return owner.phone

    # -- bulk import ----------------------------------------------------------------------


def journey_facts(owner: t.Owner, project: t.Project) -> OwnerFacts:
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


def _owner_columns(record: OwnerRecord, project_id: int) -> dict:
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
    }


def _check_score(score: int | None) -> None:
    if score is not None and not 1 <= score <= 5:
        raise InvalidInput(f"--score {score}: satisfaction scores are 1 to 5")


# Problems found at these checks are repairs to follow through (承担责任, step 6).
REPAIR_FROM_CHECKS = frozenset({"quality-check-1y", "revisit-3m"})


def _checklist_item(rule: Rule, given: str) -> str:
    """A checklist item by its text or its 1-based number in the rule's checklist."""
    text = given.strip()
    if text.isdigit() and 1 <= int(text) <= len(rule.checklist):
        return rule.checklist[int(text) - 1]
    if text in rule.checklist:
        return text
    if not rule.checklist:
        raise InvalidInput(f"{rule.name} has no checklist")
    listed = "; ".join(f"{n}. {item}" for n, item in enumerate(rule.checklist, start=1))
    raise InvalidInput(f"{given!r} is not on the {rule.name} checklist ({listed})")


def normalise_tag(raw: str) -> str:
    """ "爱好:羽毛球" (or with a full-width colon) → "爱好:羽毛球": a category and a value."""
    category, sep, value = raw.replace("：", ":").partition(":")
    if not sep or not category.strip() or not value.strip():
        raise InvalidInput(f"tag {raw!r}: write category:value, e.g. 爱好:羽毛球 or 家庭:二孩")
    return f"{category.strip()}:{value.strip()}"
