"""The morning list over a large database: candidates selected in SQL, exact dates in Python.

For each rule, the anchor dates that put an action in today's list form an interval, which
the domain computes exactly with relativedelta (``listed_anchor_range``); SQL only compares
stored dates with its ends, through an index. No rule date is computed by SQL.

Rules with one action per owner are answered by SQL alone: anchor in the interval and no
event of the rule's kind (any such event completes the single action). Rules with several
actions per owner (birthdays, milestones, referrals), projects and cases select candidates
the same way, and the domain decides each exactly.

The queries are written once, with named parameters (``:name``), and run through the database
gateway (``store/database.py``), which converts them for its backend. What is listed, and how
a row SQL returns becomes one, is ``store/listed.py``'s.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, timedelta

from sixplustwo.domain.actions import (
    CELEBRATION,
    LISTED,
    Action,
    decided_by,
    listed_anchor_range,
    rule_actions,
)
from sixplustwo.domain.model import Event, Milestone, ProjectFacts, Referral
from sixplustwo.domain.playbook import PERIODIC_ANCHORS, Playbook, Rule
from sixplustwo.store.database import Database, in_list
from sixplustwo.store.facts import load_milestones, memberships
from sixplustwo.store.listed import (
    OWNER_COLUMNS,
    DueFilter,
    DueRow,
    OwnerRow,
    Timing,
    for_owner,
    listing_order,
    owner_action,
    owner_due_row,
    owner_row,
)
from sixplustwo.store.rows import as_date, iso

__all__ = ["DueFilter", "DueQuery", "DueRow", "due_rows", "listing_order", "project_id_of"]

Connection = Database


def anchor_range(rule: Rule, today: date) -> tuple[date | None, date]:
    """Anchor dates whose action is open or overdue on ``today``; for case rules with a
    shorter deadline for repairs, the union of both."""
    first, last = listed_anchor_range(rule, today)
    if rule.due_repair is not None and first is not None:
        repair_first, _ = listed_anchor_range(rule, today, repair=True)
        first = min(first, repair_first)  # type: ignore[type-var]
    return first, last


# What a listed owner row shows, in DueRow's order after the action, its title and the
# project's code and name (looked up by the project's id: not read and sent for every row).
_SHOWN = "o.project_id, o.id, o.name, o.phone, o.unit, o.butler"


class DueQuery:
    """Gathers today's listed actions for a playbook, rule by rule."""

    def __init__(self, connection: Connection, playbook: Playbook, today: date, where: DueFilter):
        self.connection = connection
        self.playbook = playbook
        self.today = today
        self.where = where
        self._milestones: dict[int, tuple[Milestone, ...]] = {}
        self._projects: dict[int, tuple[str, str]] = {
            project_id: (code, name)
            for project_id, code, name in connection.query("SELECT id, code, name FROM project")
        }

    def rows(self) -> list[DueRow]:
        found: list[DueRow] = []
        for rule in self.playbook:
            if self.where.steps is not None and rule.step not in self.where.steps:
                continue
            if rule.subject == "owner":
                found.extend(self._owner_rule(rule))
            elif rule.subject == "project":
                if self.where.butler is None:
                    found.extend(self._project_rule(rule))
            else:
                found.extend(self._case_rule(rule))
        go_live = self.playbook.settings.go_live
        if go_live is not None:  # before go-live: history, never listed
            found = [row for row in found if row.action.due_on >= go_live]
        return found

    # -- owners -------------------------------------------------------------------------

    def _owner_filter(self) -> tuple[str, dict[str, object]]:
        clauses = ["o.forgotten_on IS NULL"]
        params: dict[str, object] = {}
        if self.where.project_ids is not None:
            placeholders, ids = in_list("project_id", self.where.project_ids)
            clauses.append(f"o.project_id IN ({placeholders})")
            params.update(ids)
        if self.where.butler is not None:
            clauses.append("o.butler = :butler")
            params["butler"] = self.where.butler
        return " AND ".join(clauses), params

    def _select_owners(
        self, condition: str, params: dict[str, object], kind: str
    ) -> list[OwnerRow]:
        """Owners meeting ``condition``, each with its events of ``kind`` (one more query)."""
        base, base_params = self._owner_filter()
        where = f"{base} AND ({condition})"
        sql = (
            f"SELECT {OWNER_COLUMNS} FROM owner o JOIN project p ON p.id = o.project_id "
            f"WHERE {where}"
        )
        params = {**base_params, **params}
        rows = self.connection.execute(sql, params).fetchall()
        if not rows:
            return []
        events: dict[int, list[Event]] = defaultdict(list)
        # A congratulation follows from celebration events: both kinds are facts for it.
        kinds = (kind, CELEBRATION) if kind == "congratulation" else (kind,)
        placeholders, kind_params = in_list("event_kind", kinds)
        event_sql = (
            "SELECT e.owner_id, e.kind, e.happened_on, e.action_id, e.note FROM event e "
            f"WHERE e.kind IN ({placeholders}) AND e.owner_id IN (SELECT o.id FROM owner o "
            f"JOIN project p ON p.id = o.project_id WHERE {where})"
        )
        result = self.connection.query(event_sql, {**params, **kind_params})
        for owner_id, event_kind, happened_on, action_id, note in result:
            events[owner_id].append(Event(event_kind, as_date(happened_on), action_id, note))
        return [owner_row(row, tuple(events.get(row[0], ()))) for row in rows]

    def _candidates(self, rule: Rule) -> list[OwnerRow]:
        """Owners that may have an action of a several-action rule listed today."""
        low, high = anchor_range(rule, self.today)
        bounds = {"lo": iso(low) or "0000-01-01", "hi": iso(high)}
        match rule.anchor:
            case "birthday":
                placeholders, params = in_list("md", _month_days(low or self.today, high))
                return self._select_owners(
                    f"o.birthday_md IN ({placeholders}) AND o.wants_greetings", params, rule.name
                )
            case "milestone":
                return self._milestone_candidates(bounds, rule.name)
            case "celebration":
                return self._select_owners(
                    "o.id IN (SELECT c.owner_id FROM event c WHERE c.kind = :celebration "
                    "AND c.happened_on BETWEEN :lo AND :hi)",
                    {**bounds, "celebration": CELEBRATION},
                    rule.name,
                )
            case "referral_delivered":
                return self._select_owners(
                    "o.id IN (SELECT r.referred_by FROM owner r WHERE r.referred_by IS NOT NULL "
                    "AND r.delivered_on BETWEEN :lo AND :hi)",
                    bounds,
                    rule.name,
                )
        return []

    def _single_rule(self, rule: Rule) -> list[DueRow]:
        """A rule with one action per owner, answered by SQL: the anchor lies in today's
        interval and no event of the rule's kind completed it."""
        low, high = anchor_range(rule, self.today)
        params: dict[str, object] = {
            "lo": iso(low) or "0000-01-01",
            "hi": iso(high),
            "kind": rule.name,
            "today": iso(self.today),
        }
        signed = "(o.signed_on IS NOT NULL OR o.delivered_on IS NOT NULL)"
        # Each query: the anchor column, the tables read (the project only for its delivery
        # date), the condition.
        owners, with_project = "owner o", "owner o JOIN project p ON p.id = o.project_id"
        match rule.anchor:
            case "visited_on" | "subscribed_on" | "signed_on":
                queries = [(f"o.{rule.anchor}", owners, f"o.{rule.anchor} BETWEEN :lo AND :hi")]
            case "delivered_on":
                # A delivery date in the future is a plan, not a handover.
                queries = [("o.delivered_on", owners, "o.delivered_on BETWEEN :lo AND :hi "
                            "AND o.delivered_on <= :today")]  # fmt: skip
            case "planned_delivery":
                # Two queries, so that each end of the COALESCE uses its own index. Once the
                # handover is on record, the notice announcing it is not sent.
                signed += " AND (o.delivered_on IS NULL OR o.delivered_on > :today)"
                queries = [
                    ("o.delivery_date", owners,
                     f"{signed} AND o.delivery_date BETWEEN :lo AND :hi"),
                    ("p.delivery_date", with_project, f"{signed} AND o.delivery_date IS NULL "
                     "AND p.delivery_date BETWEEN :lo AND :hi"),
                ]  # fmt: skip
            case _:
                return []
        base, base_params = self._owner_filter()
        params.update(base_params)
        undone = "NOT EXISTS (SELECT 1 FROM event e WHERE e.owner_id = o.id AND e.kind = :kind)"
        found: list[DueRow] = []
        timing = Timing(rule, self.today)
        name, step, grace, title = rule.name, rule.step, rule.grace, rule.title
        projects = self._projects
        for anchor_column, tables, condition in queries:
            sql = (
                f"SELECT {anchor_column}, {_SHOWN} FROM {tables} "
                f"WHERE {base} AND {condition} AND {undone}"
            )
            # The hot loop of the morning list (~90k rows at a million owners): the dates
            # and status depend on the anchor alone, so they are worked out once per date;
            # the row is unpacked by name (no list), the suffix of the action id made once.
            suffix = f":{name}"
            for (
                anchor,
                project_id,
                owner_id,
                owner,
                phone,
                unit,
                butler,
            ) in self.connection.query(sql, params):  # all at once: no cursor step a row
                opens_on, due_on, status = timing.of(anchor)
                action = Action(
                    f"o{owner_id}{suffix}", name, step, "owner", owner_id,
                    opens_on, due_on, grace, status,
                )  # fmt: skip
                found.append(
                    DueRow(
                        action, title, *projects[project_id], owner_id, owner, phone, unit, butler
                    )
                )
        return found

    def _holiday_rule(self, rule: Rule) -> list[DueRow]:
        """Festival greetings, answered by SQL like one-action rules: for each festival whose
        day lies in today's interval, every signed owner who wants greetings and has no event
        naming that greeting, nor an unnamed one within its window (windows never overlap)."""
        from sixplustwo.domain.calendars import FESTIVAL_NAMES, festivals_between

        low, high = anchor_range(rule, self.today)
        # Festival greetings are kept from last year on (see the domain's schedule).
        first = max(low or date(self.today.year - 1, 1, 1), date(self.today.year - 1, 1, 1))
        festivals = festivals_between(first, high)
        base, params = self._owner_filter()
        found: list[DueRow] = []
        today = self.today
        for year, key, day in festivals:
            opens_on, due_on = rule.opens_on(day), rule.due_on(day)
            last = due_on + timedelta(days=rule.grace or 0)
            suffix = f":{rule.name}:{year}-{key}"
            sql = (
                f"SELECT {_SHOWN} FROM owner o "
                f"WHERE {base} AND o.wants_greetings "
                "AND COALESCE(o.signed_on, o.delivered_on) <= :day AND NOT EXISTS ("
                "SELECT 1 FROM event e WHERE e.owner_id = o.id AND e.kind = :kind AND "
                "(e.action_id = 'o' || o.id || :suffix OR ((e.action_id IS NULL OR "
                "e.action_id NOT LIKE :named) AND e.happened_on BETWEEN :opens AND :last)))"
            )
            values = {
                **params,
                "day": iso(day),
                "kind": rule.name,
                "suffix": suffix,
                "named": f"%:{rule.name}:%",
                "opens": iso(opens_on),
                "last": iso(last),
            }
            detail = FESTIVAL_NAMES[key]
            for project_id, owner_id, *shown in self.connection.query(sql, values):
                action = owner_action(
                    rule, owner_id, f"o{owner_id}{suffix}", opens_on, due_on, today, detail, day
                )
                found.append(
                    DueRow(action, rule.title, *self._projects[project_id], owner_id, *shown)
                )
        return found

    def _milestone_candidates(self, bounds: dict[str, object], kind: str) -> list[OwnerRow]:
        reached = self.connection.execute(
            "SELECT project_id, MIN(reached_on), MAX(reached_on) FROM milestone "
            "WHERE reached_on BETWEEN :lo AND :hi GROUP BY project_id",
            bounds,
        ).fetchall()
        owners: list[OwnerRow] = []
        for project_id, first, last in reached:
            owners.extend(
                self._select_owners(
                    "o.project_id = :mp AND COALESCE(o.signed_on, o.delivered_on) <= :last "
                    "AND (o.delivered_on IS NULL OR o.delivered_on > :first)",
                    {"mp": project_id, "first": first, "last": last},
                    kind,
                )
            )
        return owners

    def _owner_rule(self, rule: Rule) -> list[DueRow]:
        if not rule.multi:
            return self._single_rule(rule)
        if rule.anchor == "holiday":
            return self._holiday_rule(rule)
        candidates = self._candidates(rule)
        if not candidates:
            return []
        ids = [c.facts.id for c in candidates]
        referrals = self._referrals(ids) if rule.anchor == "referral_delivered" else {}
        if rule.anchor == "milestone":
            self._load_milestones({c.project_id for c in candidates})
        found: list[DueRow] = []
        # Owners whose facts differ only by their id have the same actions but for it (a
        # project's signed owners and its milestones: ~15,000 bulletins at a million owners):
        # the domain decides the first of them, the others take its actions under their id.
        decided: dict[tuple, tuple[int, list[Action]]] = {}
        milestones = rule.anchor == "milestone"
        for candidate in candidates:
            facts = candidate.facts
            if rule.anchor == "referral_delivered":
                facts = replace(facts, referrals=tuple(referrals.get(facts.id, ())))
            # A project's owners share its milestones: the project stands for them in the
            # key, and they are added to the facts of the first owner decided alone.
            key = (
                (candidate.project_id, decided_by(rule, facts))
                if milestones
                else decided_by(rule, facts)
            )
            known = decided.get(key)
            if known is None:
                if milestones:
                    facts = replace(
                        facts, milestones=self._milestones.get(candidate.project_id, ())
                    )
                actions = [a for a in rule_actions(rule, facts, self.today) if a.status in LISTED]
                decided[key] = (facts.id, actions)
            else:
                actions = [for_owner(a, known[0], facts.id) for a in known[1]]
            for action in actions:
                found.append(owner_due_row(action, rule, candidate))
        return found

    def _referrals(self, ids: Sequence[int]) -> dict[int, list[Referral]]:
        referrals: dict[int, list[Referral]] = defaultdict(list)
        for placeholders, params in self.connection.in_bulk(ids):
            result = self.connection.execute(
                "SELECT referred_by, id, signed_on, delivered_on FROM owner "
                f"WHERE referred_by IN ({placeholders})",
                params,
            )
            for referrer, owner_id, signed_on, delivered_on in result:
                signed = signed_on is not None or delivered_on is not None
                referrals[referrer].append(Referral(owner_id, signed, as_date(delivered_on)))
        return referrals

    def _load_milestones(self, project_ids: Iterable[int]) -> None:
        wanted = sorted(set(project_ids) - set(self._milestones))
        if not wanted:
            return
        loaded = load_milestones(self.connection, wanted)
        for project_id in wanted:
            self._milestones[project_id] = loaded.get(project_id, ())

    # -- projects -----------------------------------------------------------------------

    def _project_rule(self, rule: Rule) -> list[DueRow]:
        low, high = anchor_range(rule, self.today)
        params: dict[str, object] = {
            "lo": iso(low) or "0000-01-01",
            "hi": iso(high),
            "k": rule.name,
        }
        column = "opening_date" if rule.anchor == "project_opening" else "delivery_date"
        condition = f"{column} BETWEEN :lo AND :hi"
        if rule.anchor in PERIODIC_ANCHORS:
            # Recurring community work: every project with residents, decided by the domain.
            condition = "delivery_date <= :hi"
            params["hi"] = iso(self.today)
        if self.where.project_ids is not None:
            placeholders, ids = in_list("pid", self.where.project_ids)
            condition += f" AND id IN ({placeholders})"
            params.update(ids)
        projects = self.connection.execute(
            f"SELECT id, code, name, delivery_date, opening_date FROM project WHERE {condition}",
            params,
        ).fetchall()
        found: list[DueRow] = []
        # The projects' events of the rule's kind, in one query (not one a project: hundreds
        # of round trips to a server).
        events: dict[int, list[Event]] = defaultdict(list)
        for project_id, on, action_id in self.connection.query(
            "SELECT project_id, happened_on, action_id FROM event "
            "WHERE owner_id IS NULL AND kind = :k AND project_id IN "
            f"(SELECT id FROM project WHERE {condition})",
            params,
        ):
            events[project_id].append(Event(rule.name, as_date(on), action_id))
        for project_id, code, name, delivery_date, opening_date in projects:
            facts = ProjectFacts(
                project_id,
                as_date(delivery_date),
                tuple(events.get(project_id, ())),
                as_date(opening_date),
            )
            for action in rule_actions(rule, facts, self.today):
                if action.status in LISTED:
                    found.append(DueRow(action, rule.title, code, name))
        return found

    # -- cases --------------------------------------------------------------------------

    def _case_rule(self, rule: Rule) -> list[DueRow]:
        """Case rules have one action per case, answered by SQL like one-action owner rules:
        the case-opened action is done once the case is resolved, the revisit by any event of
        its kind naming the case."""
        low, high = anchor_range(rule, self.today)
        base, params = self._owner_filter()
        params = {**params, "lo": iso(low) or "0000-01-01", "hi": iso(high), "k": rule.name}
        if rule.anchor == "case_opened":
            anchor = "c.opened_on"
            condition = "c.resolved_on IS NULL AND c.opened_on BETWEEN :lo AND :hi"
        else:
            anchor = "c.resolved_on"
            condition = (
                "c.resolved_on BETWEEN :lo AND :hi AND NOT EXISTS "
                "(SELECT 1 FROM event e WHERE e.case_id = c.id AND e.kind = :k)"
            )
        sql = (
            f"SELECT c.id, c.kind, {anchor}, {_SHOWN} FROM service_case c "
            f"JOIN owner o ON o.id = c.owner_id WHERE {base} AND {condition}"
        )
        # Repairs may have their own, shorter deadline to resolve.
        timings = {
            False: Timing(rule, self.today),
            True: Timing(rule, self.today, repair=rule.anchor == "case_opened"),
        }
        name, step, grace, title = rule.name, rule.step, rule.grace, rule.title
        found: list[DueRow] = []
        for case_id, kind, day, project_id, *shown in self.connection.query(sql, params):
            opens_on, due_on, status = timings[kind == "repair"].of(day)
            if status not in LISTED:
                continue
            action = Action(
                f"c{case_id}:{name}", name, step, "case", case_id,
                opens_on, due_on, grace, status, None, kind,
            )  # fmt: skip
            found.append(
                DueRow(action, title, *self._projects[project_id], *shown, case_id=case_id)
            )
        return found


def _month_days(first: date, last: date) -> list[str]:
    """Birthday keys of the days from first to last: solar "MM-DD" (02-29 birthdays fall on
    02-28 in common years, so that key is added whenever 02-28 is in range) and lunar."""
    from sixplustwo.domain.calendars import lunar_birthday_keys

    keys: list[str] = []
    day = first
    while day <= last:
        keys.append(day.isoformat()[5:])
        keys.extend(lunar_birthday_keys(day))  # 农历 birthdays: "LMM-DD"
        day += timedelta(days=1)
    if "02-28" in keys and "02-29" not in keys:
        keys.append("02-29")
    return sorted(set(keys))


def project_id_of(connection: Connection, code: str) -> int:
    """A project's id from its code or, failing that, its name."""
    for column in ("code", "name"):
        row = connection.execute(
            f"SELECT id FROM project WHERE {column} = :code", {"code": code}
        ).fetchone()
        if row is not None:
            return row[0]
    from sixplustwo.store.projects import unknown_project

    raise unknown_project(code)


def due_rows(
    connection: Connection, playbook: Playbook, today: date, where: DueFilter
) -> list[DueRow]:
    rows = DueQuery(connection, playbook, today, where).rows()
    if where.membership is not None:
        tiers = memberships(connection, {r.owner_id for r in rows if r.owner_id}, playbook)
        rows = [r for r in rows if r.owner_id and tiers.get(r.owner_id) == where.membership]
    return sorted(rows, key=listing_order)
