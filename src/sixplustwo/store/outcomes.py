"""What the manager's report counts: an action's outcome as of a day (on time, late, missed,
open, as ``store/reporting.py`` defines them), a subject's facts as they were known on that
day, and the tally of outcomes by rule and by butler.

Kept apart from the counting in SQL (``store/tallying.py``) so that the report's oracle in the
tests (``tests/report_oracle.py``), which judges every action one by one, uses the same
definitions and nothing of the SQL.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from sixplustwo.domain.actions import Action
from sixplustwo.domain.model import OwnerFacts, ProjectFacts, Referral, Subject

OUTCOMES = ("on_time", "late", "missed", "open")


def judge(due_on: date, grace: int | None, done_on: date | None, as_of: date) -> str:
    """An action's outcome as of ``as_of``, from its completion known on that day."""
    if done_on is not None and done_on <= as_of:
        return "on_time" if done_on <= due_on else "late"
    if grace is not None and as_of > due_on + timedelta(days=grace):
        return "missed"
    return "open"


def judge_action(action: Action, as_of: date) -> str:
    """An action's outcome as of ``as_of`` (its status worked out on that day): as ``judge``,
    but missed also where the domain says so before its grace is over (a delivery notice
    never sent, whose handover came after its due day)."""
    if action.done_on is None and action.status == "missed":
        return "missed"
    return judge(action.due_on, action.grace, action.done_on, as_of)


def _upto(day: date | None, as_of: date) -> date | None:
    return day if day is not None and day <= as_of else None


def facts_as_of(subject: Subject, as_of: date) -> Subject:
    """A subject's facts as recorded with dates on or before ``as_of``: later journey dates,
    events, milestones, resolutions and erasures are not known yet. Plans (a delivery date,
    a birthday) are kept."""
    if isinstance(subject, OwnerFacts):
        return replace(
            subject,
            visited_on=_upto(subject.visited_on, as_of),
            subscribed_on=_upto(subject.subscribed_on, as_of),
            signed_on=_upto(subject.signed_on, as_of),
            delivered_on=_upto(subject.delivered_on, as_of),
            milestones=tuple(m for m in subject.milestones if m.on <= as_of),
            referrals=tuple(
                Referral(r.owner_id, r.signed, _upto(r.delivered_on, as_of))
                for r in subject.referrals
            ),
            events=tuple(e for e in subject.events if e.on <= as_of),
        )
    if isinstance(subject, ProjectFacts):
        return replace(subject, events=tuple(e for e in subject.events if e.on <= as_of))
    return replace(
        subject,
        resolved_on=_upto(subject.resolved_on, as_of),
        events=tuple(e for e in subject.events if e.on <= as_of),
    )


Group = tuple[str | None, str | None]  # (butler, None) or (None, "project" / "unassigned")


@dataclass
class Tally:
    """Outcomes by rule and by butler (or the group of work with no butler)."""

    by_rule: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    by_butler: dict[Group, Counter] = field(default_factory=lambda: defaultdict(Counter))

    def add(self, rule: str, butler: str | None, project: bool, outcome: str, n: int = 1) -> None:
        group = None if butler else "project" if project else "unassigned"
        self.by_rule[rule][outcome] += n
        self.by_butler[(butler or None, group)][outcome] += n
