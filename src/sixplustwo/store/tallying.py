"""The manager's report's outcomes: the actions due in a period, counted rule by rule and
judged as of its last day (the definitions are ``store/reporting.py``'s).

How: for each rule, the anchor dates whose action falls due in the period form an interval
(``due_anchor_range``, relativedelta arithmetic in Python, as the morning list's
``listed_anchor_range``); SQL counts the subjects whose stored anchor lies in it, grouped by
butler, anchor date and completion date, with each subject's completion found by an indexed
subquery. Python turns each (anchor, completion) pair into an outcome once. Birthdays,
festivals and milestones are counted the same way, one query per day, festival or milestone.
What only the domain can decide exactly (lunar birthdays, referral rewards, congratulations,
milestones whose windows overlap, project actions) is decided candidate by candidate by the
same domain code ``owner show`` uses, on the facts as of the period's last day.

Why one module: it is one object, ``Period``, counting one period; its methods (a kind of
anchor each: journey dates, birthdays, festivals, milestones, projects, cases) share the
period's owner filter, the cache of judged (due, done) pairs and the tally, and each is read
beside the others it mirrors. Split by kind of anchor they would be one class spread over
files; what is not the counting (the outcomes and their tally, the report around them) is
already elsewhere.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from sixplustwo.domain.actions import CELEBRATION, rule_actions
from sixplustwo.domain.dates import Offset
from sixplustwo.domain.model import (
    Event,
    OwnerFacts,
    ProjectFacts,
    Referral,
)
from sixplustwo.domain.playbook import Playbook, Rule
from sixplustwo.store.database import Database, in_list, in_projects
from sixplustwo.store.outcomes import Tally, facts_as_of, judge
from sixplustwo.store.rows import as_date, iso

_DAY = timedelta(days=1)


def due_anchor_range(rule: Rule, start: date, end: date, *, repair: bool = False) -> tuple:
    """The interval of anchor dates whose action falls due from ``start`` to ``end``: a
    calendar offset never moves a later anchor to an earlier day, so it is an interval, found
    from the inverse offset and walked to exactly (months clip to the month's end)."""
    offset = rule.due_repair if repair and rule.due_repair is not None else rule.due
    inverse = Offset(-offset.years, -offset.months, -offset.days)

    def due(anchor: date) -> date:
        return rule.due_on(anchor, repair=repair)

    first = inverse.apply(start)
    while due(first - _DAY) >= start:
        first -= _DAY
    while due(first) < start:
        first += _DAY
    last = inverse.apply(end)
    while due(last + _DAY) <= end:
        last += _DAY
    while due(last) > end:
        last -= _DAY
    return first, last


def _days(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += _DAY


class Period:
    """The actions due in one period, counted rule by rule."""

    def __init__(
        self,
        db: Database,
        playbook: Playbook,
        start: date,
        end: date,
        as_of: date,
        project_id: int | Sequence[int] | None,  # one project, any of several, or all
    ) -> None:
        self.db, self.playbook = db, playbook
        # Before go-live is history: an action due before it is counted in no figure.
        go_live = playbook.settings.go_live
        start = start if go_live is None else max(start, go_live)
        self.start, self.end, self.as_of = start, end, as_of
        self.project_id = project_id
        self.tally = Tally()
        self._judged: dict[tuple, str] = {}

    def run(self) -> Tally:
        if self.start > self.end:  # a period wholly before go-live: nothing counted
            return self.tally
        for rule in self.playbook:
            if rule.subject == "owner":
                self._owner_rule(rule)
            elif rule.subject == "project":
                self._project_rule(rule)
            elif rule.anchor == "case_opened":
                self._case_resolve(rule)
            else:
                self._case_revisit(rule)
        return self.tally

    # -- helpers ------------------------------------------------------------------------

    def _owner_filter(self, alias: str = "o") -> tuple[str, dict[str, object]]:
        params: dict[str, object] = {"asof": iso(self.as_of)}
        clause, ids = in_projects(f"{alias}.project_id", "project_id", self.project_id)
        return clause or "1 = 1", {**params, **ids}

    def _count(
        self, rule: Rule, butler: str | None, due_on: date, done: object, n: int, *, project=False
    ) -> None:
        key = (rule.name, due_on, done)
        outcome = self._judged.get(key)
        if outcome is None:
            outcome = self._judged[key] = judge(due_on, rule.grace, as_date(done), self.as_of)
        self.tally.add(rule.name, butler, project, outcome, n)

    def _in_period(self, due_on: date) -> bool:
        return self.start <= due_on <= self.end

    def _done_sql(self, subject: str, named: str, loose: str = "") -> str:
        """The day a subject's action was done as of the period's end: the first event naming
        it, else the first other event of the rule's kind (within ``loose``)."""
        key = "owner_id" if subject == "o" else "case_id"
        prefix = "'o'" if subject == "o" else "'c'"
        base = (
            f"SELECT MIN(e.happened_on) FROM event e WHERE e.{key} = {subject}.id "
            "AND e.kind = :kind AND e.happened_on <= :asof"
        )
        return (
            f"COALESCE(({base} AND e.action_id = {prefix} || {subject}.id || :{named}), "
            f"({base}{loose}))"
        )

    def _grouped(self, sql: str, params: dict[str, object]) -> list[tuple]:
        return self.db.query(sql, params)

    # -- owners -------------------------------------------------------------------------

    def _owner_rule(self, rule: Rule) -> None:
        match rule.anchor:
            case "visited_on" | "subscribed_on" | "signed_on" | "delivered_on":
                self._single(rule)
            case "planned_delivery":
                self._single(rule)
            case "birthday":
                self._birthdays(rule)
            case "holiday":
                self._festivals(rule)
            case "milestone":
                self._milestones(rule)
            case "referral_delivered":
                low, high = due_anchor_range(rule, self.start, self.end)
                self._decide_owners(
                    rule,
                    "o.id IN (SELECT r.referred_by FROM owner r WHERE r.referred_by IS NOT NULL "
                    "AND r.delivered_on BETWEEN :lo AND :hi AND r.delivered_on <= :asof)",
                    {"lo": iso(low), "hi": iso(high)},
                )
            case "celebration":
                low, high = due_anchor_range(rule, self.start, self.end)
                self._decide_owners(
                    rule,
                    "o.id IN (SELECT c.owner_id FROM event c WHERE c.kind = :celebration "
                    "AND c.happened_on BETWEEN :lo AND :hi AND c.happened_on <= :asof)",
                    {"lo": iso(low), "hi": iso(high), "celebration": CELEBRATION},
                )

    def _single(self, rule: Rule) -> None:
        """A rule with one action per owner: owners whose anchor lies in the interval, grouped
        by butler, anchor and completion day. Erasure cancels what was not done by then; so
        does a handover on record for the notice announcing it."""
        low, high = due_anchor_range(rule, self.start, self.end)
        if low > high:
            return
        base, params = self._owner_filter()
        params.update(lo=iso(low), hi=iso(high), kind=rule.name, suffix=f":{rule.name}")
        kept = "(x.forgotten IS NULL OR x.forgotten > :asof)"
        if rule.anchor == "planned_delivery":
            signed = "COALESCE(o.signed_on, o.delivered_on) <= :asof"
            queries = [
                ("o.delivery_date", f"{signed} AND o.delivery_date BETWEEN :lo AND :hi"),
                ("p.delivery_date", f"{signed} AND o.delivery_date IS NULL "
                 "AND p.delivery_date BETWEEN :lo AND :hi"),
            ]  # fmt: skip
            # A handover by the period's end cancels the notice not sent, or makes it missed
            # (below): its rows are kept, grouped by the handover's day too.
            handover = ", x.delivered"
        else:
            handover = ""
            column = f"o.{rule.anchor}"
            queries = [(column, f"{column} BETWEEN :lo AND :hi AND {column} <= :asof")]
        for anchor, condition in queries:
            sql = (
                f"SELECT x.butler, x.anchor, x.done, COUNT(*){handover} FROM (SELECT "
                "o.butler AS butler, "
                f"{anchor} AS anchor, {self._done_sql('o', 'suffix')} AS done, "
                "o.forgotten_on AS forgotten, o.delivered_on AS delivered FROM owner o "
                f"JOIN project p ON p.id = o.project_id WHERE {base} AND {condition}) x "
                f"WHERE x.done IS NOT NULL OR ({kept}) "
                f"GROUP BY x.butler, x.anchor, x.done{handover}"
            )
            due_of: dict[object, date] = {}
            for butler, anchor_day, done, n, *delivered in self._grouped(sql, params):
                due_on = due_of.get(anchor_day)
                if due_on is None:
                    due_on = due_of[anchor_day] = rule.due_on(as_date(anchor_day))  # type: ignore[arg-type]
                handed_over = as_date(delivered[0]) if delivered else None
                if done is None and handed_over is not None and handed_over <= self.as_of:
                    # The notice never sent: cancelled by a handover on or before its due
                    # day, missed when the handover came after it.
                    if handed_over > due_on:
                        self.tally.add(rule.name, butler, False, "missed", n)
                    continue
                self._count(rule, butler, due_on, done, n)

    def _instance(
        self,
        rule: Rule,
        condition: str,
        params: dict[str, object],
        key: str,
        opens_on: date,
        due_on: date,
        window: tuple[date, date],
        *,
        greetings: bool = False,
    ) -> None:
        """One action per eligible owner, all due the same day (a birthday, a festival, a
        milestone): done by an event naming it (``…:rule:key``), else by the first other
        event of the rule's kind in its window. Exact while the windows of one rule's actions
        never overlap for an owner; the callers make sure they do not. ``greetings``: only for
        owners who want greetings, counted as all eligible owners (the butler index covers
        them) less those who do not (an index of their own)."""
        base, values = self._owner_filter()
        values.update(params)
        values.update(
            kind=rule.name,
            suffix=f":{rule.name}:{key}",
            named=f"%:{rule.name}:%",
            wlo=iso(window[0]),
            whi=iso(window[1]),
        )
        loose = (
            " AND (e.action_id IS NULL OR e.action_id NOT LIKE :named) "
            "AND e.happened_on BETWEEN :wlo AND :whi"
        )
        # Every eligible owner first, as if not done: one pass over the owners, no event
        # looked up per owner (a festival concerns every signed owner)...
        kept = "(o.forgotten_on IS NULL OR o.forgotten_on > :asof)"
        everyone = (
            f"SELECT o.butler, COUNT(*) FROM owner o WHERE {base} AND {condition} AND {kept} "
            "GROUP BY o.butler"
        )
        for butler, n in self._grouped(everyone, values):
            self._count(rule, butler, due_on, None, n)
        if greetings:
            opted_out = everyone.replace(" GROUP BY", " AND o.wants_greetings = FALSE GROUP BY")
            for butler, n in self._grouped(opted_out, values):
                self._count(rule, butler, due_on, None, -n)
            condition += " AND o.wants_greetings"
        # ... then those an event completed, found from the events of the rule's kind: each
        # counted with its completion day instead.
        completing = (
            "SELECT e.owner_id FROM event e WHERE e.kind = :kind AND e.happened_on <= :asof "
            "AND e.owner_id IS NOT NULL AND (e.action_id = 'o' || e.owner_id || :suffix OR "
            "((e.action_id IS NULL OR e.action_id NOT LIKE :named) "
            "AND e.happened_on BETWEEN :wlo AND :whi))"
        )
        done = (
            "SELECT x.butler, x.done, x.kept, COUNT(*) FROM (SELECT o.butler AS butler, "
            f"{self._done_sql('o', 'suffix', loose)} AS done, "
            f"CASE WHEN {kept} THEN 1 ELSE 0 END AS kept FROM owner o "
            f"WHERE {base} AND {condition} AND o.id IN ({completing})) x "
            "GROUP BY x.butler, x.done, x.kept"
        )
        for butler, day, was_counted, n in self._grouped(done, values):
            self._count(rule, butler, due_on, day, n)
            if was_counted:
                self._count(rule, butler, due_on, None, -n)

    def _birthdays(self, rule: Rule) -> None:
        """Solar birthdays one query a day (the greeting of year Y is done by an event that
        year); lunar birthdays, rarer and with two possible in one solar year, by the domain."""
        low, high = due_anchor_range(rule, self.start, self.end)
        from sixplustwo.domain.calendars import lunar_birthday_keys

        lunar_keys: set[str] = set()
        # With working days, a greeting due on a late-December weekend or holiday moves into
        # January, where it shares its window (that year) with the next year's greeting:
        # owners born in late December are decided by the domain then.
        by_domain: set[str] = set()
        for day in _days(low, high):
            lunar_keys.update(lunar_birthday_keys(day))
            due_on = rule.due_on(day)
            if not self._in_period(due_on):
                continue
            keys = [day.isoformat()[5:]]
            if rule.workdays and day.month == 12 and day.day >= 15:
                by_domain.update(keys)
                continue
            if keys[0] == "02-28" and (day + _DAY).month == 3:
                keys.append("02-29")  # born on 02-29: greeted on 02-28 in a common year
            placeholders, params = in_list("md", keys)
            condition = (
                f"o.birthday_md IN ({placeholders}) AND NOT o.birthday_lunar "
                "AND o.wants_greetings AND o.birthday < :year_start "
                "AND COALESCE(o.signed_on, o.delivered_on) <= :signed_by"
            )
            params.update(year_start=iso(date(day.year, 1, 1)), signed_by=iso(min(day, self.as_of)))
            window = (date(due_on.year, 1, 1), date(due_on.year, 12, 31))
            self._instance(
                rule, condition, params, str(day.year), rule.opens_on(day), due_on, window
            )
        if by_domain:
            placeholders, params = in_list("md", sorted(by_domain))
            self._decide_owners(
                rule, f"o.birthday_md IN ({placeholders}) AND NOT o.birthday_lunar", params
            )
        if lunar_keys:
            placeholders, params = in_list("md", sorted(lunar_keys))
            self._decide_owners(
                rule, f"o.birthday_md IN ({placeholders}) AND o.birthday_lunar", params
            )

    def _festivals(self, rule: Rule) -> None:
        """Festival greetings, one query a festival: every signed owner who wants greetings.
        Greetings are kept from the year before the period's last day on, as by the domain."""
        from sixplustwo.domain.calendars import festivals_between

        low, high = due_anchor_range(rule, self.start, self.end)
        grace = timedelta(days=rule.grace or 0)
        oldest = date(self.as_of.year - 1, 1, 1)
        first = max(low, oldest)
        festivals = festivals_between(first, high)
        near = festivals_between(first - timedelta(days=60), high + timedelta(days=60))
        windows = [(rule.opens_on(day), rule.due_on(day) + grace) for _, _, day in near]
        for year, key, day in festivals:
            opens_on, due_on = rule.opens_on(day), rule.due_on(day)
            window = (opens_on, due_on + grace)
            overlapping = sum(1 for w in windows if w[0] <= window[1] and window[0] <= w[1]) > 1
            condition = "COALESCE(o.signed_on, o.delivered_on) <= :signed_by"
            params: dict[str, object] = {"signed_by": iso(min(day, self.as_of))}
            if overlapping:
                # Two festivals a few days apart (中秋 and 国庆): an event in both windows
                # completes only the first; owners with such an event go to the domain.
                condition += " AND o.wants_greetings"
                self._festival_pair(rule, condition, params, f"{year}-{key}", due_on, window)
                continue
            self._instance(
                rule, condition, params, f"{year}-{key}", opens_on, due_on, window, greetings=True
            )

    def _festival_pair(
        self,
        rule: Rule,
        condition: str,
        params: dict[str, object],
        key: str,
        due_on: date,
        window: tuple[date, date],
    ) -> None:
        """A festival whose window overlaps another's: owners with no greeting event near it
        (nor one naming a greeting) have it not done; the others are decided by the domain."""
        reach = (window[0] - timedelta(days=10), window[1] + timedelta(days=10))
        greeted = (
            "EXISTS (SELECT 1 FROM event e WHERE e.owner_id = o.id AND e.kind = :kind "
            "AND e.happened_on <= :asof AND (e.action_id LIKE :named "
            "OR e.happened_on BETWEEN :rlo AND :rhi))"
        )
        values = {
            **params,
            "kind": rule.name,
            "named": f"%:{rule.name}:%",
            "rlo": iso(reach[0]),
            "rhi": iso(reach[1]),
        }
        base, filters = self._owner_filter()
        sql = (
            "SELECT o.butler, COUNT(*) FROM owner o "
            f"WHERE {base} AND {condition} AND NOT {greeted} "
            "AND (o.forgotten_on IS NULL OR o.forgotten_on > :asof) GROUP BY o.butler"
        )
        for butler, n in self._grouped(sql, {**filters, **values}):
            self._count(rule, butler, due_on, None, n)

        def this_one(action) -> bool:
            return action.action_id.endswith(f":{rule.name}:{key}")

        self._decide_owners(rule, f"{condition} AND {greeted}", values, keep=this_one)

    def _milestones(self, rule: Rule) -> None:
        """One query a milestone: the project's owners who had signed by it and had not
        taken delivery. A project whose milestones' windows overlap goes to the domain."""
        low, high = due_anchor_range(rule, self.start, self.end)
        clauses = "m.reached_on BETWEEN :lo AND :hi AND m.reached_on <= :asof"
        params: dict[str, object] = {"lo": iso(low), "hi": iso(high), "asof": iso(self.as_of)}
        clause, ids = in_projects("m.project_id", "project_id", self.project_id)
        if clause:
            clauses += f" AND {clause}"
            params.update(ids)
        wanted = self.db.query(
            f"SELECT m.id, m.project_id, m.reached_on FROM milestone m WHERE {clauses}", params
        )
        if not wanted:
            return
        grace = timedelta(days=rule.grace or 0)
        projects = sorted({project for _, project, _ in wanted})
        from sixplustwo.store.facts import load_milestones

        every = load_milestones(self.db, projects)
        overlapping: set[int] = set()
        for project in projects:
            windows = sorted(
                (rule.opens_on(m.on), rule.due_on(m.on) + grace)
                for m in every.get(project, ())
                if m.on <= self.as_of
            )
            if any(b[0] <= a[1] for a, b in itertools.pairwise(windows)):
                overlapping.add(project)
        for milestone_id, project, reached in wanted:
            if project in overlapping:
                continue
            day = as_date(reached)
            assert day is not None
            opens_on, due_on = rule.opens_on(day), rule.due_on(day)
            condition = (
                "o.project_id = :mp AND COALESCE(o.signed_on, o.delivered_on) <= :m "
                "AND (o.delivered_on IS NULL OR o.delivered_on > :m)"
            )
            self._instance(
                rule,
                condition,
                {"mp": project, "m": iso(day)},
                f"m{milestone_id}",
                opens_on,
                due_on,
                (opens_on, due_on + grace),
            )
        for project in sorted(overlapping):
            self._decide_owners(
                rule,
                "o.project_id = :mp AND COALESCE(o.signed_on, o.delivered_on) <= :asof "
                "AND (o.delivered_on IS NULL OR o.delivered_on > :lo)",
                {"mp": project, "lo": iso(low)},
            )

    def _decide_owners(
        self, rule: Rule, condition: str, params: dict[str, object], keep=None
    ) -> None:
        """Candidates decided one by one by the domain, on their facts as of the period's
        last day (the few a rule's SQL cannot count exactly)."""
        base, values = self._owner_filter()
        values.update(params)
        rows = self.db.query(
            "SELECT o.id, o.project_id, o.butler, o.visited_on, o.subscribed_on, o.signed_on, "
            "COALESCE(o.delivery_date, p.delivery_date), o.delivered_on, o.birthday, "
            "o.birthday_lunar, o.wants_greetings, o.forgotten_on FROM owner o "
            f"JOIN project p ON p.id = o.project_id WHERE {base} AND {condition}",
            values,
        )
        if not rows:
            return
        ids = [row[0] for row in rows]
        kinds = (rule.name, CELEBRATION) if rule.anchor == "celebration" else (rule.name,)
        events: dict[int, list[Event]] = defaultdict(list)
        referrals: dict[int, list[Referral]] = defaultdict(list)
        for placeholders, bulk in self.db.in_bulk(ids):
            kind_list, kind_params = in_list("k", kinds)
            for owner_id, kind, on, action_id, note in self.db.execute(
                "SELECT owner_id, kind, happened_on, action_id, note FROM event "
                f"WHERE owner_id IN ({placeholders}) AND kind IN ({kind_list}) "
                "AND happened_on <= :asof ORDER BY happened_on, id",
                {**bulk, **kind_params, "asof": iso(self.as_of)},
            ):
                events[owner_id].append(Event(kind, as_date(on), action_id, note))  # type: ignore[arg-type]
            if rule.anchor == "referral_delivered":
                for referrer, owner_id, signed, delivered in self.db.execute(
                    "SELECT referred_by, id, signed_on, delivered_on FROM owner "
                    f"WHERE referred_by IN ({placeholders}) ORDER BY id",
                    bulk,
                ):
                    referrals[referrer].append(
                        Referral(owner_id, bool(signed or delivered), as_date(delivered))
                    )
        milestones = {}
        if rule.anchor == "milestone":
            from sixplustwo.store.facts import load_milestones

            milestones = load_milestones(self.db, sorted({row[1] for row in rows}))
        for row in rows:
            (owner_id, project, butler, visited, subscribed, signed, planned, delivered,
             birthday, lunar, greetings, forgotten) = row  # fmt: skip
            facts = OwnerFacts(
                id=owner_id,
                visited_on=as_date(visited),
                subscribed_on=as_date(subscribed),
                signed_on=as_date(signed),
                planned_delivery=as_date(planned),
                delivered_on=as_date(delivered),
                birthday=as_date(birthday),
                birthday_lunar=bool(lunar),
                wants_greetings=bool(greetings),
                forgotten=forgotten is not None and as_date(forgotten) <= self.as_of,  # type: ignore[operator]
                milestones=milestones.get(project, ()),
                referrals=tuple(referrals.get(owner_id, ())),
                events=tuple(events.get(owner_id, ())),
            )
            for action in rule_actions(rule, facts_as_of(facts, self.as_of), self.as_of):
                if self._in_period(action.due_on) and (keep is None or keep(action)):
                    self._count(rule, butler, action.due_on, action.done_on, 1)

    # -- projects and cases -------------------------------------------------------------

    def _project_rule(self, rule: Rule) -> None:
        clauses, params = "1 = 1", {"kind": rule.name, "asof": iso(self.as_of)}
        clause, ids = in_projects("id", "project_id", self.project_id)
        if clause:
            clauses, params = clause, {**params, **ids}
        for project, delivery, opening in self.db.query(
            f"SELECT id, delivery_date, opening_date FROM project WHERE {clauses}", params
        ):
            events = tuple(
                Event(rule.name, as_date(on), action_id)  # type: ignore[arg-type]
                for on, action_id in self.db.query(
                    "SELECT happened_on, action_id FROM event WHERE project_id = :p "
                    "AND owner_id IS NULL AND kind = :kind AND happened_on <= :asof",
                    {**params, "p": project},
                )
            )
            facts = ProjectFacts(project, as_date(delivery), events, as_date(opening))
            for action in rule_actions(rule, facts, self.as_of):
                if self._in_period(action.due_on):
                    self._count(rule, None, action.due_on, action.done_on, 1, project=True)

    def _case_resolve(self, rule: Rule) -> None:
        """Done on the day the case was resolved (if by the period's end); never missed."""
        ranges = [due_anchor_range(rule, self.start, self.end, repair=r) for r in (False, True)]
        base, params = self._owner_filter()
        params.update(lo=iso(min(r[0] for r in ranges)), hi=iso(max(r[1] for r in ranges)))
        sql = (
            "SELECT x.butler, x.kind, x.opened, x.done, COUNT(*) FROM (SELECT o.butler AS butler, "
            "c.kind AS kind, c.opened_on AS opened, CASE WHEN c.resolved_on <= :asof "
            "THEN c.resolved_on END AS done FROM service_case c "
            f"JOIN owner o ON o.id = c.owner_id WHERE {base} "
            "AND c.opened_on BETWEEN :lo AND :hi AND c.opened_on <= :asof) x "
            "GROUP BY x.butler, x.kind, x.opened, x.done"
        )
        for butler, kind, opened, done, n in self._grouped(sql, params):
            due_on = rule.due_on(as_date(opened), repair=kind == "repair")  # type: ignore[arg-type]
            if self._in_period(due_on):
                self._count(rule, butler, due_on, done, n)

    def _case_revisit(self, rule: Rule) -> None:
        low, high = due_anchor_range(rule, self.start, self.end)
        if low > high:
            return
        base, params = self._owner_filter()
        params.update(lo=iso(low), hi=iso(high), kind=rule.name, suffix=f":{rule.name}")
        sql = (
            "SELECT x.butler, x.anchor, x.done, COUNT(*) FROM (SELECT o.butler AS butler, "
            f"c.resolved_on AS anchor, {self._done_sql('c', 'suffix')} AS done "
            f"FROM service_case c JOIN owner o ON o.id = c.owner_id WHERE {base} "
            "AND c.resolved_on BETWEEN :lo AND :hi AND c.resolved_on <= :asof) x "
            "GROUP BY x.butler, x.anchor, x.done"
        )
        for butler, anchor, done, n in self._grouped(sql, params):
            self._count(rule, butler, rule.due_on(as_date(anchor)), done, n)  # type: ignore[arg-type]
