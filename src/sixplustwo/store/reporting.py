"""The manager's report: how the 6+2 steps were carried out over a period.

Definitions (also in docs/report.md, "What the numbers mean"): an action counts in the period when
its due date falls in it, and is judged as of the period's last day (today, for a period not
over yet), from what was recorded with dates on or before that day: completions, case
resolutions, signings and deliveries, milestones, erasures dated later are not known yet, so
that a past period reads the same whenever it is asked for. *On time*: done on or before its
due date. *Late*: done after it. *Missed*: not done and past its grace days on that day.
*Open*: neither done nor missed yet. The on-time rate is on time ÷ (on time + late + missed).

An outcome is judged in ``store/outcomes.py`` and counted in ``store/tallying.py``; here the
counts are put together with the satisfaction, case, checklist and referral figures into the
one report.
"""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import date
from typing import Any

from sixplustwo.domain.playbook import STEP_CODES, Playbook
from sixplustwo.store.database import Database, ProjectIds, in_projects
from sixplustwo.store.outcomes import OUTCOMES, Tally
from sixplustwo.store.referrals import ledger, ledger_totals
from sixplustwo.store.rows import as_date, iso
from sixplustwo.store.tallying import Period

__all__ = ["OUTCOMES", "build_report", "counts", "referral_figures", "report_from_tally"]


def _rate(counts: Counter) -> float | None:
    judged = counts["on_time"] + counts["late"] + counts["missed"]
    return round(counts["on_time"] / judged, 3) if judged else None


def counts(counter: Counter | None) -> dict[str, Any]:
    """A row's outcome figures; None: empty (a period wholly before go-live), not zero."""
    if counter is None:
        return {**dict.fromkeys(OUTCOMES), "on_time_rate": None}
    return {**{key: counter[key] for key in OUTCOMES}, "on_time_rate": _rate(counter)}


def report_from_tally(
    tally: Tally, playbook: Playbook, start: date, end: date, as_of: date
) -> dict[str, Any]:
    """The outcome part of the report (period, steps, rules, butlers) from counted outcomes.
    A period that ends before go-live has empty figures (None), not zeros: its actions are
    history, not failures."""
    go_live = playbook.settings.go_live
    before = go_live is not None and end < go_live
    period: dict[str, Any] = {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "as_of": as_of.isoformat(),
    }
    if go_live is not None:
        period.update(go_live=go_live.isoformat(), before_go_live=before)
    if before:
        return {
            "period": period,
            "steps": [{"step": step, **counts(None)} for step in STEP_CODES],
            "rules": [
                {"rule": rule.name, "step": rule.step, "title": rule.title, **counts(None)}
                for rule in playbook
            ],
            "butlers": [],
        }
    steps: dict[str, Counter] = {step: Counter() for step in STEP_CODES}
    for rule in playbook:
        steps[rule.step].update(tally.by_rule.get(rule.name, Counter()))
    # A butler whose every counted action was taken back (an owner who wants no greetings,
    # counted first as eligible) has no row.
    counted = [(group, c) for group, c in tally.by_butler.items() if any(c.values())]
    butlers = sorted(counted, key=lambda i: (i[0][0] or "", i[0][1] or ""))
    return {
        "period": period,
        "steps": [{"step": step, **counts(steps[step])} for step in STEP_CODES],
        "rules": [
            {
                "rule": rule.name,
                "step": rule.step,
                "title": rule.title,
                **counts(tally.by_rule.get(rule.name, Counter())),
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
            for (name, group), c in butlers
        ],
    }


def build_report(
    db: Database,
    playbook: Playbook,
    *,
    start: date,
    end: date,
    today: date,
    project_id: ProjectIds = None,
) -> dict[str, Any]:
    """Every figure of the report, as of the period's last day (or today, if sooner): the one
    function behind the terminal report, ``--format json`` and the HTML page."""
    as_of = min(end, today)
    tally = Period(db, playbook, start, end, as_of, project_id).run()
    report = report_from_tally(tally, playbook, start, end, as_of)
    report["satisfaction"] = _satisfaction(db, start, as_of, project_id)
    report["checklist_problems"] = _checklist_problems(db, start, as_of, project_id)
    report["cases"] = _cases(db, start, as_of, project_id)
    report["referrals"] = referral_figures(db, playbook, start, as_of, project_id)
    return report


def referral_figures(
    db: Database, playbook: Playbook, start: date, as_of: date, project_id: ProjectIds
) -> dict[str, Any]:
    """The report's referral figures: the ledger of ``referral list --as-of`` on the period's
    last day, totalled by the same function (``ledger_totals``)."""
    totals = ledger_totals(ledger(db, playbook, as_of, project_id=project_id), start, as_of)
    return {
        "referred_signed": totals["signed_in_period"],
        "reward_amount": totals["owed_amount"],
        "rewards_due": totals["owed"],
        "rewards_settled": totals["settled_in_period"],
        "settled_amount": totals["settled_amount_in_period"],
        "pending": totals["pending"],
        "settled_to_date": totals["settled"],
        "settled_amount_to_date": totals["settled_amount"],
    }


def _project_clause(project_id: ProjectIds, alias: str = "o") -> tuple[str, dict[str, object]]:
    clause, params = in_projects(f"{alias}.project_id", "p", project_id)
    return (f" AND {clause}" if clause else ""), params


def _satisfaction(db: Database, start: date, as_of: date, project_id: ProjectIds) -> dict:
    clause, params = _project_clause(project_id)
    rows = db.query(
        "SELECT e.score, COUNT(*) FROM event e JOIN owner o ON o.id = e.owner_id "
        f"WHERE e.score IS NOT NULL AND e.happened_on BETWEEN :a AND :b{clause} "
        "GROUP BY e.score",
        {"a": iso(start), "b": iso(as_of), **params},
    )
    distribution = Counter({int(score): n for score, n in rows})
    answers = sum(distribution.values())
    total = sum(score * n for score, n in distribution.items())
    return {
        "answers": answers,
        "average": round(total / answers, 2) if answers else None,
        "distribution": {str(score): distribution[score] for score in range(1, 6)},
    }


def _cases(db: Database, start: date, as_of: date, project_id: ProjectIds) -> dict:
    """Complaints and repairs: opened and resolved in the period, still open on its last day,
    and of those resolved in it, the median days to resolve and the share revisited by then."""
    clause, params = _project_clause(project_id)
    rows = db.query(
        "SELECT c.kind, c.opened_on, CASE WHEN c.resolved_on <= :b THEN c.resolved_on END, "
        "EXISTS (SELECT 1 FROM event e WHERE e.case_id = c.id AND e.kind = 'case-revisit' "
        "AND e.happened_on <= :b) FROM service_case c JOIN owner o ON o.id = c.owner_id "
        "WHERE c.opened_on <= :b AND (c.resolved_on IS NULL OR c.resolved_on >= :a "
        f"OR c.opened_on >= :a){clause}",
        {"a": iso(start), "b": iso(as_of), **params},
    )
    found: dict[str, Any] = {}
    for kind in ("complaint", "repair"):
        mine = [(as_date(o), as_date(r), bool(v)) for k, o, r, v in rows if k == kind]
        resolved = [(o, r, v) for o, r, v in mine if r is not None and r >= start]
        days = [(r - o).days for o, r, _ in resolved]  # type: ignore[operator]
        found[kind] = {
            "opened": sum(1 for o, _, _ in mine if o >= start),  # type: ignore[operator]
            "open_now": sum(1 for _, r, _ in mine if r is None),
            "resolved": len(resolved),
            "median_days_to_resolve": statistics.median(days) if days else None,
            "revisit_rate": round(sum(1 for *_, v in resolved if v) / len(resolved), 3)
            if resolved
            else None,
        }
    return found


def _checklist_problems(db: Database, start: date, as_of: date, project_id: ProjectIds) -> list:
    """Which checklist items failed most often, per project (改进产品及服务质量): the
    product-quality signal the seeds ask to feed back."""
    clause, params = _project_clause(project_id)
    rows = db.query(
        "SELECT p.code, r.rule, r.item, COUNT(*), SUM(CASE WHEN r.ok THEN 0 ELSE 1 END) "
        "FROM checklist_result r JOIN event e ON e.id = r.event_id "
        "JOIN owner o ON o.id = r.owner_id JOIN project p ON p.id = o.project_id "
        f"WHERE e.happened_on BETWEEN :a AND :b{clause} GROUP BY p.code, r.rule, r.item",
        {"a": iso(start), "b": iso(as_of), **params},
    )
    found = [
        {"project": code, "rule": rule, "item": item, "checked": checked, "problems": problems}
        for code, rule, item, checked, problems in rows
        if problems
    ]
    return sorted(found, key=lambda r: (r["project"], -r["problems"], r["rule"], r["item"]))
