"""The referral ledger (老带新, 滚雪球计划): who referred whom, and what is owed or paid."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sixplustwo.store.rows import as_date

if TYPE_CHECKING:
    from sixplustwo.store.unit import Store


@dataclass(frozen=True)
class ReferralEntry:
    """One referral with its state. pending: the referred customer has not signed;
    confirmed: signed, reward owed; settled: the referral-reward action is done."""

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


class Referrals:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.db = store.db

    def ledger(self, today: date, referrer: int | None = None) -> list[ReferralEntry]:
        settings = self.store.playbook.settings
        where = "r.id = :referrer" if referrer is not None else "1 = 1"
        rows = self.db.query(
            "SELECT r.id, r.name, r.phone, o.id, o.name, o.signed_on, o.delivered_on "
            "FROM owner o JOIN owner r ON r.id = o.referred_by "
            f"WHERE {where} ORDER BY r.id, o.id",
            {"referrer": referrer},
        )
        settled: dict[int, dict[str, tuple[date, str | None]]] = {}
        for referrer_id in {row[0] for row in rows}:
            view = self.store.journey.owner_view(referrer_id, today)
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
                ReferralEntry(
                    referrer_id=r_id,
                    referrer=r_name,
                    referrer_phone=r_phone,
                    referred_id=o_id,
                    referred=o_name,
                    signed=as_date(signed_on),
                    delivered=as_date(delivered_on),
                    status=status,
                    amount=settings.referral_reward if signed else 0,
                    settlement=method if signed else None,
                    settled_on=done[0] if done else None,
                )
            )
        return ledger
