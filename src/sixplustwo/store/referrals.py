"""The referral ledger (老带新, 滚雪球计划): who referred whom, and what is owed or paid.

The ledger is read as of a day: what was recorded with dates on or before it. A referral is
*pending* until the referred customer signs (a delivery on record counts as signed),
*confirmed* from that day (the reward is owed) and *settled* once the referrer's
``referral-reward`` action for that customer is done (its completing event dated on or before
the day). ``referral list --as-of D`` and ``report`` read the same ledger through
``ledger`` and total it with ``ledger_totals``, so that both say the same on the same day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sixplustwo.domain.actions import rule_actions
from sixplustwo.domain.model import Event, OwnerFacts, Referral
from sixplustwo.store.rows import as_date, iso

if TYPE_CHECKING:
    from sixplustwo.domain.playbook import Playbook
    from sixplustwo.store.database import Database

REWARD_RULE = "referral-reward"


@dataclass(frozen=True)
class ReferralEntry:
    """One referral with its state on the ledger's day. pending: the referred customer has
    not signed; confirmed: signed, reward owed; settled: the referral-reward action is done."""

    referrer_id: int
    referrer: str | None
    referrer_phone: str | None
    referred_id: int
    referred: str | None
    signed: date | None
    delivered: date | None
    status: str
    amount: int
    settlement: str | None
    settled_on: date | None

    @property
    def signed_effective(self) -> date | None:
        """The day the referral was confirmed: signing, or delivery for a customer imported
        without a signing date."""
        return self.signed or self.delivered


def _upto(value: object, day: date) -> date | None:
    found = as_date(value)
    return found if found is not None and found <= day else None


def ledger(
    db: Database,
    playbook: Playbook,
    as_of: date,
    referrer: int | None = None,
    project_id: int | Sequence[int] | None = None,
) -> list[ReferralEntry]:
    """Every referral (of one referrer, or of referred customers in one project) as it stood
    on ``as_of``: dates after it are not known yet."""
    settings = playbook.settings
    clauses, params = ["o.referred_by IS NOT NULL"], {"asof": iso(as_of)}
    if referrer is not None:
        clauses.append("o.referred_by = :referrer")
        params["referrer"] = referrer
    from sixplustwo.store.database import in_projects

    project_clause, ids = in_projects("o.project_id", "project", project_id)
    if project_clause:
        clauses.append(project_clause)
        params.update(ids)
    rows = db.query(
        "SELECT r.id, r.name, r.phone, o.id, o.name, o.signed_on, o.delivered_on "
        "FROM owner o JOIN owner r ON r.id = o.referred_by "
        f"WHERE {' AND '.join(clauses)} ORDER BY r.id, o.id",
        params,
    )
    settled = _settlements(db, playbook, as_of, sorted({row[0] for row in rows}))
    found = []
    for r_id, r_name, r_phone, o_id, o_name, signed_on, delivered_on in rows:
        signed, delivered = _upto(signed_on, as_of), _upto(delivered_on, as_of)
        confirmed = signed is not None or delivered is not None
        done = settled.get((r_id, o_id))
        status = "settled" if done else "confirmed" if confirmed else "pending"
        method = done[1] if done and done[1] else settings.referral_settlement
        found.append(
            ReferralEntry(
                referrer_id=r_id,
                referrer=r_name,
                referrer_phone=r_phone,
                referred_id=o_id,
                referred=o_name,
                signed=signed,
                delivered=delivered,
                status=status,
                amount=settings.referral_reward if confirmed else 0,
                settlement=method if confirmed else None,
                settled_on=done[0] if done else None,
            )
        )
    return found


def _settlements(
    db: Database, playbook: Playbook, as_of: date, referrers: Sequence[int]
) -> dict[tuple[int, int], tuple[date, str | None]]:
    """(referrer, referred) → the day the reward was settled and how, decided by the domain's
    referral-reward rule over each referrer's referrals and events as of ``as_of``."""
    if REWARD_RULE not in playbook or not referrers:
        return {}
    rule = playbook.get(REWARD_RULE)
    referrals: dict[int, list[Referral]] = defaultdict(list)
    events: dict[int, list[tuple[Event, str | None]]] = defaultdict(list)
    for placeholders, params in db.in_bulk(referrers):
        params = {**params, "asof": iso(as_of), "kind": REWARD_RULE}
        for referrer, owner_id, signed_on, delivered_on in db.execute(
            "SELECT referred_by, id, signed_on, delivered_on FROM owner "
            f"WHERE referred_by IN ({placeholders})",
            params,
        ):
            signed = _upto(signed_on, as_of) or _upto(delivered_on, as_of)
            referrals[referrer].append(
                Referral(owner_id, signed is not None, _upto(delivered_on, as_of))
            )
        for owner_id, on, action_id, channel in db.execute(
            "SELECT owner_id, happened_on, action_id, channel FROM event "
            f"WHERE owner_id IN ({placeholders}) AND kind = :kind AND happened_on <= :asof "
            "ORDER BY happened_on, id",
            params,
        ):
            events[owner_id].append((Event(REWARD_RULE, as_date(on), action_id), channel))
    found: dict[tuple[int, int], tuple[date, str | None]] = {}
    for referrer in referrers:
        facts = OwnerFacts(
            id=referrer,
            referrals=tuple(referrals[referrer]),
            events=tuple(event for event, _ in events[referrer]),
        )
        for action in rule_actions(rule, facts, as_of):
            if action.done_on is None or not action.detail:
                continue
            # The completing event: the one naming the action, else one of that day.
            mine = events[referrer]
            channel = next(
                (c for e, c in mine if e.action_id == action.action_id),
                next((c for e, c in mine if e.on == action.done_on), None),
            )
            found[(referrer, int(action.detail[1:]))] = (action.done_on, channel)
    return found


def ledger_totals(
    entries: Sequence[ReferralEntry], start: date | None = None, end: date | None = None
) -> dict[str, Any]:
    """The ledger's totals on its day: referrals pending, rewards owed (confirmed) and
    settled, with their amounts; with a period, also the customers who signed in it and the
    rewards settled in it. ``report`` and ``referral list`` both total the ledger here."""

    def within(day: date | None) -> bool:
        return day is not None and start is not None and end is not None and start <= day <= end

    owed = [e for e in entries if e.status == "confirmed"]
    settled = [e for e in entries if e.status == "settled"]
    totals: dict[str, Any] = {
        "pending": sum(1 for e in entries if e.status == "pending"),
        "owed": len(owed),
        "owed_amount": sum(e.amount for e in owed),
        "settled": len(settled),
        "settled_amount": sum(e.amount for e in settled),
    }
    if start is not None and end is not None:
        in_period = [e for e in settled if within(e.settled_on)]
        totals["signed_in_period"] = sum(1 for e in entries if within(e.signed_effective))
        totals["settled_in_period"] = len(in_period)
        totals["settled_amount_in_period"] = sum(e.amount for e in in_period)
    return totals


class Referrals:
    def __init__(self, db: Database, playbook: Playbook) -> None:
        self.db = db
        self.playbook = playbook

    def ledger(self, today: date, referrer: int | None = None) -> list[ReferralEntry]:
        return ledger(self.db, self.playbook, today, referrer)
