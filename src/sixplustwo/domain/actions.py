"""Actions: what a butler must do for one subject, derived from the playbook and the facts.

Everything takes ``today`` as an argument: this module never reads the clock. An owner's
journey stage is in ``stages.py``.

Why one module: scheduling, completion and status are one derivation (an action's id, its
dates, the event that completes it and its status on ``today`` are decided together, rule by
rule), which the due list's SQL path and the report reproduce piece by piece; split, the
pieces they must agree with would live apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from dateutil.relativedelta import relativedelta

from sixplustwo.domain.dates import Offset, anniversary
from sixplustwo.domain.errors import InvalidInput
from sixplustwo.domain.model import CaseFacts, Event, OwnerFacts, ProjectFacts, Subject
from sixplustwo.domain.playbook import PERIODIC_ANCHORS, Playbook, Rule, default_playbook

# Codes only: the words a screen shows for them are in cli/labels.py.
Status = Literal["upcoming", "open", "overdue", "done", "missed", "before-go-live"]
STATUSES: tuple[Status, ...] = ("upcoming", "open", "overdue", "done", "missed", "before-go-live")
LISTED: frozenset[str] = frozenset({"open", "overdue"})


# Not frozen: a frozen dataclass sets each field through object.__setattr__, ~8x slower to
# build, and the due list builds one per listed action (~100k at a million owners).
@dataclass(slots=True)
class Action:
    action_id: str
    rule: str
    step: str
    subject: str  # "owner", "project" or "case"
    subject_id: int
    opens_on: date
    due_on: date
    grace: int | None
    status: Status
    done_on: date | None = None
    detail: str | None = None  # e.g. the milestone kind, the referred customer
    detail_on: date | None = None  # e.g. the milestone date

    @property
    def last_day(self) -> date | None:
        """The last day before the action is missed; None when it never is."""
        return None if self.grace is None else self.due_on + timedelta(days=self.grace)

    def days_overdue(self, today: date) -> int:
        return max(0, (today - self.due_on).days) if self.status == "overdue" else 0


@dataclass(slots=True)
class _Scheduled:
    action_id: str
    opens_on: date
    due_on: date
    detail: str | None = None
    detail_on: date | None = None


def check_completion_day(action: Action, on: date) -> None:
    """An action is completed on or after the day it opens: a completion dated before it
    (``done … --date``, an event named after its rule) is refused, naming that day. Late is
    late, not refused: the outcome says so."""
    if on < action.opens_on:
        raise InvalidInput(
            "{action} opens on {opens}: it cannot be completed on {on}, before it opens",
            action=action.action_id,
            opens=action.opens_on,
            on=on,
        )


def status_of(
    opens_on: date,
    due_on: date,
    grace: int | None,
    done_on: date | None,
    today: date,
    go_live: date | None = None,
) -> Status:
    """Done stays done; else an action due before go-live is history, whatever ``today``."""
    if done_on is not None:
        return "done"
    if go_live is not None and due_on < go_live:
        return "before-go-live"
    if today < opens_on:
        return "upcoming"
    if today <= due_on:
        return "open"
    if grace is None or today <= due_on + timedelta(days=grace):
        return "overdue"
    return "missed"


_ONE_DAY = timedelta(days=1)


def listed_anchor_range(
    rule: Rule, today: date, *, repair: bool = False
) -> tuple[date | None, date]:
    """Exactly the anchor dates whose action is open or overdue on ``today``: from the first
    anchor not yet past its grace (None when the rule is never missed) to the last one already
    open. A calendar offset never moves a later anchor to an earlier day (months clip to the
    month's end, they do not wrap), so both sets are intervals and their ends can be walked to
    from the inverse offset, which month-end clipping leaves only a few days off."""
    last = _inverse(rule.opens).apply(today)
    while rule.opens_on(last + _ONE_DAY) <= today:
        last += _ONE_DAY
    while rule.opens_on(last) > today:
        last -= _ONE_DAY
    if rule.grace is None:
        return None, last
    grace = timedelta(days=rule.grace)
    first = _inverse(rule.due_repair if repair and rule.due_repair else rule.due).apply(today)
    first -= grace
    while rule.due_on(first - _ONE_DAY, repair=repair) + grace >= today:
        first -= _ONE_DAY
    while rule.due_on(first, repair=repair) + grace < today:
        first += _ONE_DAY
    return first, last


def _inverse(offset: Offset) -> Offset:
    return Offset(-offset.years, -offset.months, -offset.days)


def owner_action_id(owner_id: int, rule: str, key: str | None = None) -> str:
    return f"o{owner_id}:{rule}" + (f":{key}" if key else "")


def _schedule_owner(rule: Rule, owner: OwnerFacts, today: date) -> list[_Scheduled]:
    """The rule's actions for one owner, before completion is taken into account."""
    # Referral rewards check the referred customer's delivery in their own branch below.
    if rule.anchor == "delivered_on" and (owner.delivered_on is None or owner.delivered_on > today):
        return []

    def single(anchor: date | None) -> list[_Scheduled]:
        if anchor is None:
            return []
        return [
            _Scheduled(
                owner_action_id(owner.id, rule.name), rule.opens_on(anchor), rule.due_on(anchor)
            )
        ]

    match rule.anchor:
        case "visited_on" | "subscribed_on" | "signed_on" | "delivered_on":
            return single(getattr(owner, rule.anchor))
        case "planned_delivery":
            return single(owner.planned_delivery) if owner.signed_effective else []
        case "birthday":
            return _schedule_birthdays(rule, owner, today)
        case "holiday":
            return _schedule_festivals(rule, owner, today)
        case "celebration":
            return _schedule_celebrations(rule, owner)
        case "milestone":
            signed = owner.signed_effective
            if signed is None:
                return []
            return [
                _Scheduled(
                    owner_action_id(owner.id, rule.name, f"m{m.id}"),
                    rule.opens_on(m.on),
                    rule.due_on(m.on),
                    detail=m.kind,
                    detail_on=m.on,
                )
                for m in sorted(owner.milestones, key=lambda m: (m.on, m.id))
                if signed <= m.on and (owner.delivered_on is None or owner.delivered_on > m.on)
            ]
        case "referral_delivered":
            return [
                _Scheduled(
                    owner_action_id(owner.id, rule.name, f"o{r.owner_id}"),
                    rule.opens_on(r.delivered_on),
                    rule.due_on(r.delivered_on),
                    detail=f"o{r.owner_id}",
                    detail_on=r.delivered_on,
                )
                for r in sorted(
                    (
                        r
                        for r in owner.referrals
                        if r.signed and r.delivered_on is not None and r.delivered_on <= today
                    ),
                    key=lambda r: (r.delivered_on, r.owner_id),
                )
            ]
    return []


def _schedule_birthdays(rule: Rule, owner: OwnerFacts, today: date) -> list[_Scheduled]:
    """One greeting a year from the first birthday after signing, up to the next one ahead."""
    signed = owner.signed_effective
    if owner.birthday is None or signed is None or not owner.wants_greetings:
        return []
    if owner.birthday_lunar:
        return _schedule_lunar_birthdays(rule, owner, signed, today)
    birthday = owner.birthday
    years = range(max(signed.year, birthday.year + 1), today.year + 2)
    return _yearly(rule, owner, signed, today, ((str(y), anniversary(birthday, y)) for y in years))


def _yearly(
    rule: Rule,
    owner: OwnerFacts,
    signed: date,
    today: date,
    occurrences: Iterable[tuple[str, date]],
    detail: str | None = None,
) -> list[_Scheduled]:
    """One action a year (key, day) from signing on, up to the next one ahead."""
    scheduled: list[_Scheduled] = []
    for key, day in occurrences:
        if day < signed:
            continue
        opens_on = rule.opens_on(day)
        if opens_on > today and scheduled and scheduled[-1].opens_on > today:
            break
        scheduled.append(
            _Scheduled(
                owner_action_id(owner.id, rule.name, key),
                opens_on,
                rule.due_on(day),
                detail=detail,
                detail_on=day if detail else None,
            )
        )
    return scheduled


def _schedule_lunar_birthdays(
    rule: Rule, owner: OwnerFacts, signed: date, today: date
) -> list[_Scheduled]:
    """As for solar birthdays, by lunar year: ids carry it ("L2026"), since two lunar
    birthdays can fall in one solar year."""
    from sixplustwo.domain.calendars import (
        LUNAR_DAYS,
        LUNAR_YEARS,
        lunar_anniversary,
        solar_to_lunar,
    )

    assert owner.birthday is not None
    birthday = owner.birthday
    born = solar_to_lunar(birthday)[0]
    signed_year = solar_to_lunar(max(signed, LUNAR_DAYS[0]))[0]
    # Within the lunar years the calendar data covers (domain/calendars.py).
    years = range(max(signed_year, born + 1), min(today.year + 2, LUNAR_YEARS.stop))
    occurrences = ((f"L{y}", lunar_anniversary(birthday, y)) for y in years)
    return _yearly(rule, owner, signed, today, occurrences, detail="农历")


CELEBRATION = "celebration"  # the event kind a butler records: event add 12 celebration --note 新婚


def _schedule_celebrations(rule: Rule, owner: OwnerFacts) -> list[_Scheduled]:
    """A congratulation for each celebration recorded (喜庆致贺), its kind in the note."""
    scheduled: list[_Scheduled] = []
    seen: dict[date, int] = {}
    for event in sorted((e for e in owner.events if e.kind == CELEBRATION), key=lambda e: e.on):
        seen[event.on] = seen.get(event.on, 0) + 1
        suffix = "" if seen[event.on] == 1 else f"-{seen[event.on]}"
        scheduled.append(
            _Scheduled(
                owner_action_id(owner.id, rule.name, f"{event.on.isoformat()}{suffix}"),
                rule.opens_on(event.on),
                rule.due_on(event.on),
                detail=(event.note or "喜庆").strip()[:20],
                detail_on=event.on,
            )
        )
    return scheduled


def _schedule_festivals(rule: Rule, owner: OwnerFacts, today: date) -> list[_Scheduled]:
    """A greeting for each festival after signing, from last year on (older greetings are
    not kept as actions), up to the next one ahead."""
    from sixplustwo.domain.calendars import FESTIVAL_NAMES, festival_days

    signed = owner.signed_effective
    if signed is None or not owner.wants_greetings:
        return []
    scheduled: list[_Scheduled] = []
    for year in range(max(signed.year, today.year - 1), today.year + 2):
        for key, day in festival_days(year):
            if day < signed:
                continue
            opens_on = rule.opens_on(day)
            if opens_on > today and scheduled and scheduled[-1].opens_on > today:
                return scheduled
            scheduled.append(
                _Scheduled(
                    owner_action_id(owner.id, rule.name, f"{year}-{key}"),
                    opens_on,
                    rule.due_on(day),
                    detail=FESTIVAL_NAMES[key],
                    detail_on=day,
                )
            )
    return scheduled


_KEPT_PERIODS = 14  # weeks or months of recurring project actions back from today: a quarter


def _schedule_periods(
    rule: Rule, project_id: int, delivered: date, today: date
) -> list[_Scheduled]:
    """One action per week (Monday, ISO week) or month (the 1st) from the project's first
    delivery, the last few periods up to the current one and the next."""

    def start_of(day: date) -> date:
        if rule.anchor == "project_week":
            return day - timedelta(days=day.weekday())
        return day.replace(day=1)

    def step(day: date, count: int) -> date:
        if rule.anchor == "project_week":
            return day + timedelta(weeks=count)
        return day + relativedelta(months=count)

    if delivered > today:
        return []
    start = max(start_of(delivered), step(start_of(today), -_KEPT_PERIODS))
    scheduled: list[_Scheduled] = []
    while start <= step(start_of(today), 1):
        if rule.anchor == "project_week":
            year, week, _ = start.isocalendar()
            key = f"{year}-W{week:02d}"
        else:
            key = f"{start.year}-{start.month:02d}"
        scheduled.append(
            _Scheduled(
                f"p{project_id}:{rule.name}:{key}",
                rule.opens_on(start),
                rule.due_on(start),
                detail=key,
                detail_on=start,
            )
        )
        start = step(start, 1)
    return scheduled


def _event_fits(rule: Rule, scheduled: _Scheduled, on: date) -> bool:
    if rule.anchor == "birthday":
        # The greeting "that year" counts, even if it was sent a day late.
        return on.year == scheduled.due_on.year
    if on < scheduled.opens_on:
        return False
    return rule.grace is None or on <= scheduled.due_on + timedelta(days=rule.grace)


def _completions(
    rule: Rule, scheduled: list[_Scheduled], events: Iterable[Event]
) -> dict[str, date]:
    """Which scheduled actions the events complete, and on which day.

    An event naming an action completes exactly it. Any other event of the rule's kind
    completes the one action of a single-action rule whatever its date, or, for rules with
    several actions, the earliest not-done action whose window holds the event's date.
    """
    relevant = sorted((e for e in events if e.kind == rule.name), key=lambda e: e.on)
    known = {s.action_id for s in scheduled}
    done: dict[str, date] = {}
    loose: list[Event] = []
    for event in relevant:
        if event.action_id in known and event.action_id not in done:
            done[event.action_id] = event.on
        else:
            loose.append(event)
    ordered = sorted(scheduled, key=lambda s: (s.opens_on, s.action_id))
    for event in loose:
        for candidate in ordered:
            if candidate.action_id in done:
                continue
            if not rule.multi or _event_fits(rule, candidate, event.on):
                done[candidate.action_id] = event.on
                break
    return done


def _finish(
    rule: Rule,
    subject: str,
    subject_id: int,
    scheduled: list[_Scheduled],
    done: dict[str, date],
    today: date,
) -> list[Action]:
    return [
        Action(
            action_id=s.action_id,
            rule=rule.name,
            step=rule.step,
            subject=subject,
            subject_id=subject_id,
            opens_on=s.opens_on,
            due_on=s.due_on,
            grace=rule.grace,
            status=status_of(
                s.opens_on, s.due_on, rule.grace, done.get(s.action_id), today, rule.go_live
            ),
            done_on=done.get(s.action_id),
            detail=s.detail,
            detail_on=s.detail_on,
        )
        for s in scheduled
    ]


def decided_by(rule: Rule, owner: OwnerFacts) -> tuple:
    """What one rule's actions for an owner depend on, but the owner's id: two owners with
    the same have the same actions (their ids aside). A milestone bulletin reads the signing,
    the handover, the project's milestones and the owner's events; other rules, every fact
    (events and referrals carry ids of their own, so owners with either never share)."""
    events = tuple((e.kind, e.on, e.action_id, e.note) for e in owner.events)
    milestones = tuple((m.id, m.kind, m.on) for m in owner.milestones)
    if rule.anchor == "milestone":
        return (owner.signed_effective, owner.delivered_on, milestones, events, owner.forgotten)
    referrals = tuple((r.owner_id, r.signed, r.delivered_on) for r in owner.referrals)
    return (
        owner.visited_on, owner.subscribed_on, owner.signed_on, owner.planned_delivery,
        owner.delivered_on, owner.birthday, owner.birthday_lunar, owner.wants_greetings,
        owner.forgotten, milestones, referrals, events,
    )  # fmt: skip


def rule_actions(rule: Rule, subject: Subject, today: date) -> list[Action]:
    """One rule's actions for one subject, with their status on ``today``."""
    if isinstance(subject, OwnerFacts):
        if rule.subject != "owner":
            return []
        scheduled = _schedule_owner(rule, subject, today)
        done = _completions(rule, scheduled, subject.events)
        if subject.forgotten:
            # Erasure cancels everything not yet done. What was done stays.
            scheduled = [s for s in scheduled if s.action_id in done]
        elif rule.anchor == "planned_delivery" and subject.delivered_by(today):
            return _handed_over(rule, subject, scheduled, done, today)
        return _finish(rule, "owner", subject.id, scheduled, done, today)
    if isinstance(subject, ProjectFacts):
        if rule.subject != "project":
            return []
        anchor = subject.opening_date if rule.anchor == "project_opening" else subject.delivery_date
        if anchor is None:
            return []
        if rule.anchor in PERIODIC_ANCHORS:
            scheduled = _schedule_periods(rule, subject.id, anchor, today)
        else:
            scheduled = [
                _Scheduled(f"p{subject.id}:{rule.name}", rule.opens_on(anchor), rule.due_on(anchor))
            ]
        done = _completions(rule, scheduled, subject.events)
        return _finish(rule, "project", subject.id, scheduled, done, today)
    if isinstance(subject, CaseFacts):
        return _case_actions(rule, subject, today)
    raise TypeError(f"not a subject: {subject!r}")


def _handed_over(
    rule: Rule, owner: OwnerFacts, scheduled: list[_Scheduled], done: dict[str, date], today: date
) -> list[Action]:
    """The notice announcing a handover that is on record: a handover on or before the
    notice's due day cancels it, if not sent (the keys are in the owner's hands); one that
    fell due before the handover and was never sent is missed, and no longer listed."""
    assert owner.delivered_on is not None
    kept = [s for s in scheduled if s.action_id in done or owner.delivered_on > s.due_on]
    found = _finish(rule, "owner", owner.id, kept, done, today)
    for action in found:
        if action.status in LISTED:
            action.status = "missed"
    return found


def _case_actions(rule: Rule, case: CaseFacts, today: date) -> list[Action]:
    if rule.subject != "case":
        return []
    action_id = f"c{case.id}:{rule.name}"
    if rule.anchor == "case_opened":
        scheduled = [
            _Scheduled(
                action_id,
                rule.opens_on(case.opened_on),
                rule.due_on(case.opened_on, repair=case.kind == "repair"),
                detail=case.kind,
            )
        ]
        done = {action_id: case.resolved_on} if case.resolved_on is not None else {}
    else:
        if case.resolved_on is None:
            return []
        scheduled = [
            _Scheduled(
                action_id,
                rule.opens_on(case.resolved_on),
                rule.due_on(case.resolved_on),
                detail=case.kind,
            )
        ]
        done = _completions(rule, scheduled, case.events)
    return _finish(rule, "case", case.id, scheduled, done, today)


def actions(subject: Subject, today: date, playbook: Playbook | None = None) -> list[Action]:
    """Every action of every rule for one subject, ordered by the day it opens."""
    book = playbook or default_playbook()
    found = [action for rule in book for action in rule_actions(rule, subject, today)]
    return sorted(found, key=lambda a: (a.opens_on, a.due_on, a.action_id))


def listed(found: Iterable[Action]) -> list[Action]:
    """The actions ``due`` shows: open and overdue."""
    return [a for a in found if a.status in LISTED]


def urgency(action: Action) -> str:
    """Sort key for the morning list: overdue first, then the earliest deadline; as one
    string (a digit, then the ISO date), which compares in one step where a tuple compares
    field by field."""
    return f"{0 if action.status == 'overdue' else 1}{action.due_on.isoformat()}"
