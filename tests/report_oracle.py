"""A slow, straightforward evaluation of the report's outcome figures: every subject read
whole, every action derived by the domain on its facts as of the period's last day, each one
judged. The SQL aggregation in ``store/tallying.py`` must give the same numbers."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date
from typing import Any

from sixplustwo.domain.actions import actions
from sixplustwo.domain.model import CaseFacts, Event, Milestone, OwnerFacts, ProjectFacts, Referral
from sixplustwo.store.outcomes import Tally, facts_as_of, judge_action
from sixplustwo.store.reporting import report_from_tally
from sixplustwo.store.rows import as_date


def subjects(db, project_id=None):
    """Every owner, project and case with its facts, the butler in charge and, for owners,
    the day they were forgotten."""
    events: dict[int, list[Event]] = defaultdict(list)
    case_events: dict[int, list[Event]] = defaultdict(list)
    project_events: dict[int, list[Event]] = defaultdict(list)
    for owner_id, project, case_id, kind, on, action_id, note in db.query(
        "SELECT owner_id, project_id, case_id, kind, happened_on, action_id, note FROM event "
        "ORDER BY id"
    ):
        event = Event(kind, as_date(on), action_id, note)
        if case_id is not None:
            case_events[case_id].append(event)
        elif owner_id is not None:
            events[owner_id].append(event)
        else:
            project_events[project].append(event)
    milestones: dict[int, list[Milestone]] = defaultdict(list)
    for milestone_id, project, kind, on in db.query(
        "SELECT id, project_id, kind, reached_on FROM milestone ORDER BY reached_on, id"
    ):
        milestones[project].append(Milestone(milestone_id, kind, as_date(on)))
    referrals: dict[int, list[Referral]] = defaultdict(list)
    for referrer, owner_id, signed, delivered in db.query(
        "SELECT referred_by, id, signed_on, delivered_on FROM owner WHERE referred_by IS NOT NULL"
    ):
        referrals[referrer].append(
            Referral(owner_id, bool(signed or delivered), as_date(delivered))
        )
    projects = {
        pid: (as_date(delivery), as_date(opening))
        for pid, delivery, opening in db.query(
            "SELECT id, delivery_date, opening_date FROM project"
        )
    }
    butlers: dict[int, str | None] = {}
    found: list[tuple[Any, str | None, date | None]] = []
    for row in db.query(
        "SELECT id, project_id, visited_on, subscribed_on, signed_on, delivery_date, "
        "delivered_on, birthday, birthday_lunar, wants_greetings, forgotten_on, butler FROM owner"
    ):
        (owner_id, project, visited, subscribed, signed, contract, delivered, birthday, lunar,
         greetings, forgotten, butler) = row  # fmt: skip
        butlers[owner_id] = butler
        if project_id is not None and project != project_id:
            continue
        facts = OwnerFacts(
            id=owner_id,
            visited_on=as_date(visited),
            subscribed_on=as_date(subscribed),
            signed_on=as_date(signed),
            planned_delivery=as_date(contract) or projects[project][0],
            delivered_on=as_date(delivered),
            birthday=as_date(birthday),
            birthday_lunar=bool(lunar),
            wants_greetings=bool(greetings),
            milestones=tuple(milestones[project]),
            referrals=tuple(referrals[owner_id]),
            events=tuple(events[owner_id]),
        )
        found.append((facts, butler, as_date(forgotten)))
    for pid, (delivery, opening) in projects.items():
        if project_id is None or pid == project_id:
            found.append(
                (ProjectFacts(pid, delivery, tuple(project_events[pid]), opening), None, None)
            )
    for case_id, owner_id, kind, opened, resolved, project in db.query(
        "SELECT c.id, c.owner_id, c.kind, c.opened_on, c.resolved_on, o.project_id "
        "FROM service_case c JOIN owner o ON o.id = c.owner_id"
    ):
        if project_id is None or project == project_id:
            facts = CaseFacts(case_id, owner_id, kind, as_date(opened), as_date(resolved),
                              tuple(case_events[case_id]))  # fmt: skip
            found.append((facts, butlers[owner_id], None))
    return found


def slow_outcomes(db, playbook, start: date, end: date, today: date, project_id=None) -> dict:
    """The report's period, steps, rules and butlers, action by action."""
    as_of = min(end, today)
    go_live = playbook.settings.go_live
    tally = Tally()
    for subject, butler, forgotten in subjects(db, project_id):
        facts = facts_as_of(subject, as_of)
        if forgotten is not None and forgotten <= as_of:
            facts = replace(facts, forgotten=True)
        for action in actions(facts, as_of, playbook):
            if start <= action.due_on <= end and (go_live is None or action.due_on >= go_live):
                outcome = judge_action(action, as_of)
                tally.add(action.rule, butler, action.subject == "project", outcome)
    return report_from_tally(tally, playbook, start, end, as_of)
