"""The manager's report: how the 6+2 steps were carried out over a period.

Definitions (also in the README): an action counts in the period when its due date falls in
it, and is judged as of the period's last day (today, for a period not over yet). *On time*:
done on or before its due date. *Late*: done after it. *Missed*: not done and past its grace
days on that day. *Open*: neither done nor missed yet. The on-time rate
is on time ÷ (on time + late + missed); open actions are not judged yet.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from typing import Any

from sixplustwo.domain.actions import Action, actions
from sixplustwo.domain.model import CaseFacts, Event, Milestone, OwnerFacts, ProjectFacts, Referral
from sixplustwo.domain.playbook import STEP_CODES, Playbook
from sixplustwo.store.rows import as_date

OUTCOMES = ("on_time", "late", "missed", "open")


def outcome(action: Action) -> str:
    if action.done_on is not None:
        return "on_time" if action.done_on <= action.due_on else "late"
    return "missed" if action.status == "missed" else "open"


def _subjects(
    connection: Any, project_id: int | None
) -> Iterator[tuple[OwnerFacts | ProjectFacts | CaseFacts, str | None]]:
    """Every owner, project and case (of one project, or all) with its facts, and the butler
    in charge: the whole database read in a handful of queries."""
    where, params = ("WHERE o.project_id = :p", {"p": project_id}) if project_id else ("", {})
    events: dict[int, list[Event]] = defaultdict(list)
    case_events: dict[int, list[Event]] = defaultdict(list)
    project_events: dict[int, list[Event]] = defaultdict(list)
    for owner_id, project, case_id, kind, on, action_id, note in connection.execute(
        "SELECT owner_id, project_id, case_id, kind, happened_on, action_id, note FROM event"
    ):
        event = Event(kind, as_date(on), action_id, note)
        if case_id is not None:
            case_events[case_id].append(event)
        elif owner_id is not None:
            events[owner_id].append(event)
        else:
            project_events[project].append(event)
    milestones: dict[int, list[Milestone]] = defaultdict(list)
    for milestone_id, project, kind, on in connection.execute(
        "SELECT id, project_id, kind, reached_on FROM milestone ORDER BY reached_on, id"
    ):
        milestones[project].append(Milestone(milestone_id, kind, as_date(on)))
    referrals: dict[int, list[Referral]] = defaultdict(list)
    for referrer, owner_id, signed, delivered in connection.execute(
        "SELECT referred_by, id, signed_on, delivered_on FROM owner WHERE referred_by IS NOT NULL"
    ):
        referrals[referrer].append(
            Referral(owner_id, bool(signed or delivered), as_date(delivered))
        )
    projects: dict[int, date | None] = {}
    openings: dict[int, date | None] = {}
    for pid, delivery, opening in connection.execute(
        "SELECT id, delivery_date, opening_date FROM project"
    ):
        projects[pid], openings[pid] = as_date(delivery), as_date(opening)
    butlers: dict[int, str | None] = {}
    for row in connection.execute(
        "SELECT o.id, o.project_id, o.visited_on, o.subscribed_on, o.signed_on, o.delivery_date, "
        "o.delivered_on, o.birthday, o.birthday_lunar, o.wants_greetings, o.forgotten_on, "
        f"o.butler FROM owner o {where}",
        params,
    ):
        (owner_id, project, visited, subscribed, signed, contract, delivered, birthday, lunar,
         greetings, forgotten, butler) = row  # fmt: skip
        butlers[owner_id] = butler
        yield (
            OwnerFacts(
                id=owner_id,
                visited_on=as_date(visited),
                subscribed_on=as_date(subscribed),
                signed_on=as_date(signed),
                planned_delivery=as_date(contract) or projects.get(project),
                delivered_on=as_date(delivered),
                birthday=as_date(birthday),
                birthday_lunar=bool(lunar),
                wants_greetings=bool(greetings),
                forgotten=forgotten is not None,
                milestones=tuple(milestones[project]),
                referrals=tuple(referrals[owner_id]),
                events=tuple(events[owner_id]),
            ),
            butler,
        )
    for pid, delivery in projects.items():
        if project_id is None or pid == project_id:
            facts = ProjectFacts(pid, delivery, tuple(project_events[pid]), openings[pid])
            yield facts, None
    for case_id, owner_id, kind, opened, resolved in connection.execute(
        "SELECT c.id, c.owner_id, c.kind, c.opened_on, c.resolved_on FROM service_case c "
        f"JOIN owner o ON o.id = c.owner_id {where}",
        params,
    ):
        facts = CaseFacts(case_id, owner_id, kind, as_date(opened), as_date(resolved))
        yield replace(facts, events=tuple(case_events[case_id])), butlers.get(owner_id)


def _rate(counts: Counter) -> float | None:
    judged = counts["on_time"] + counts["late"] + counts["missed"]
    return round(counts["on_time"] / judged, 3) if judged else None


def build_report(
    connection: Any,
    playbook: Playbook,
    *,
    start: date,
    end: date,
    today: date,
    project_id: int | None = None,
) -> dict[str, Any]:
    # Judged as of the period's end (or today, if sooner): a past quarter reads the same
    # whenever it is asked for, and recurring actions are scheduled around that day.
    as_of = min(end, today)
    by_rule: dict[str, Counter] = {rule.name: Counter() for rule in playbook}
    # Work with no butler is the project team's (project actions) or nobody's yet: grouped by
    # (butler, None) or (None, "project" / "unassigned"); the CLI names the groups.
    by_butler: dict[tuple[str | None, str | None], Counter] = defaultdict(Counter)
    for subject, butler in _subjects(connection, project_id):
        for action in actions(subject, as_of, playbook):
            if start <= action.due_on <= end:
                result = outcome(action)
                by_rule[action.rule][result] += 1
                group = (
                    None if butler else "project" if action.subject == "project" else "unassigned"
                )
                by_butler[(butler or None, group)][result] += 1
    steps: dict[str, Counter] = {step: Counter() for step in STEP_CODES}
    for rule in playbook:
        steps[rule.step].update(by_rule[rule.name])

    def counts(counter: Counter) -> dict[str, Any]:
        return {**{key: counter[key] for key in OUTCOMES}, "on_time_rate": _rate(counter)}

    return {
        "period": {"from": start.isoformat(), "to": end.isoformat(), "as_of": as_of.isoformat()},
        "steps": [{"step": step, **counts(steps[step])} for step in STEP_CODES],
        "rules": [
            {
                "rule": rule.name,
                "step": rule.step,
                "title": rule.title,
                **counts(by_rule[rule.name]),
            }
            for rule in playbook
        ],
        "butlers": [
            {
                "butler": name,
                **({"group": group} if group else {}),
                "workload": sum(c[k] for k in OUTCOMES),
                **counts(c),
            }
            for (name, group), c in sorted(by_butler.items(), key=lambda item: item[0][0] or "")
        ],
        "satisfaction": _satisfaction(connection, start, end, project_id),
        "checklist_problems": _checklist_problems(connection, start, end, project_id),
        "cases": _cases(connection, start, end, project_id),
        "referrals": {
            "rewards_due": by_rule.get("referral-reward", Counter())["open"]
            + by_rule.get("referral-reward", Counter())["missed"],
            "rewards_settled": by_rule.get("referral-reward", Counter())["on_time"]
            + by_rule.get("referral-reward", Counter())["late"],
            **_referrals(connection, start, end, project_id, playbook),
        },
    }


def _satisfaction(connection: Any, start: date, end: date, project_id: int | None) -> dict:
    scores = [
        score
        for (score,) in connection.execute(
            "SELECT e.score FROM event e JOIN owner o ON o.id = e.owner_id "
            "WHERE e.score IS NOT NULL AND e.happened_on BETWEEN :a AND :b "
            "AND (:p IS NULL OR o.project_id = :p)",
            {"a": start.isoformat(), "b": end.isoformat(), "p": project_id},
        )
    ]
    distribution = Counter(scores)
    return {
        "answers": len(scores),
        "average": round(statistics.fmean(scores), 2) if scores else None,
        "distribution": {str(score): distribution[score] for score in range(1, 6)},
    }


def _cases(connection: Any, start: date, end: date, project_id: int | None) -> dict:
    rows = connection.execute(
        "SELECT c.id, c.kind, c.opened_on, c.resolved_on, EXISTS (SELECT 1 FROM event e "
        "WHERE e.case_id = c.id AND e.kind = 'case-revisit') FROM service_case c "
        "JOIN owner o ON o.id = c.owner_id WHERE (:p IS NULL OR o.project_id = :p)",
        {"p": project_id},
    ).fetchall()
    found: dict[str, Any] = {}
    for kind in ("complaint", "repair"):
        mine = [r for r in rows if r[1] == kind]
        opened = [r for r in mine if start <= as_date(r[2]) <= end]  # type: ignore[operator]
        resolved = [r for r in mine if r[3] and start <= as_date(r[3]) <= end]  # type: ignore[operator]
        days = [(as_date(r[3]) - as_date(r[2])).days for r in resolved]  # type: ignore[operator]
        found[kind] = {
            "opened": len(opened),
            "open_now": sum(1 for r in mine if r[3] is None),
            "resolved": len(resolved),
            "median_days_to_resolve": statistics.median(days) if days else None,
            "revisit_rate": round(sum(1 for r in resolved if r[4]) / len(resolved), 3)
            if resolved
            else None,
        }
    return found


def _referrals(
    connection: Any, start: date, end: date, project_id: int | None, playbook: Playbook
) -> dict:
    signed = connection.execute(
        "SELECT COUNT(*) FROM owner o WHERE o.referred_by IS NOT NULL "
        "AND COALESCE(o.signed_on, o.delivered_on) BETWEEN :a AND :b "
        "AND (:p IS NULL OR o.project_id = :p)",
        {"a": start.isoformat(), "b": end.isoformat(), "p": project_id},
    ).fetchone()[0]
    return {
        "referred_signed": signed,
        "reward_amount": signed * playbook.settings.referral_reward,
    }


def _checklist_problems(connection: Any, start: date, end: date, project_id: int | None) -> list:
    """Which checklist items failed most often, per project (改进产品及服务质量): the
    product-quality signal the seeds ask to feed back."""
    rows = connection.execute(
        "SELECT p.code, r.rule, r.item, COUNT(*), SUM(CASE WHEN r.ok THEN 0 ELSE 1 END) "
        "FROM checklist_result r JOIN event e ON e.id = r.event_id "
        "JOIN owner o ON o.id = r.owner_id JOIN project p ON p.id = o.project_id "
        "WHERE e.happened_on BETWEEN :a AND :b AND (:p IS NULL OR o.project_id = :p) "
        "GROUP BY p.code, r.rule, r.item",
        {"a": start.isoformat(), "b": end.isoformat(), "p": project_id},
    ).fetchall()
    found = [
        {"project": code, "rule": rule, "item": item, "checked": checked, "problems": problems}
        for code, rule, item, checked, problems in rows
        if problems
    ]
    return sorted(found, key=lambda r: (r["project"], -r["problems"], r["rule"], r["item"]))
