"""The facts actions are derived from: plain values, filled by the store.

The ones built per row in bulk (events, owners, cases) are slotted but not frozen: a frozen
dataclass is ~8x slower to build, and the due list builds them by the hundred thousand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(slots=True)
class Event:
    """A recorded journey event. ``action_id`` is set when it completes one named action."""

    kind: str
    on: date
    action_id: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Milestone:
    id: int
    kind: str
    on: date


@dataclass(frozen=True)
class Referral:
    """A customer the owner referred (老带新)."""

    owner_id: int
    signed: bool
    delivered_on: date | None


@dataclass(slots=True)
class OwnerFacts:
    id: int
    visited_on: date | None = None
    subscribed_on: date | None = None
    signed_on: date | None = None
    planned_delivery: date | None = None  # the owner's contract date, else the project's
    delivered_on: date | None = None
    birthday: date | None = None
    birthday_lunar: bool = False  # greeted on the lunar date of birth (农历生日)
    wants_greetings: bool = True
    forgotten: bool = False
    milestones: tuple[Milestone, ...] = ()  # the owner's project's milestones
    referrals: tuple[Referral, ...] = ()
    events: tuple[Event, ...] = ()

    @property
    def signed_effective(self) -> date | None:
        """The signing date, or the delivery date for owners imported without one:
        nobody takes delivery of a flat without having signed for it."""
        return self.signed_on or self.delivered_on

    def delivered_by(self, day: date) -> bool:
        """Has the owner taken delivery (the handover is on record) by ``day``?"""
        return self.delivered_on is not None and self.delivered_on <= day


@dataclass(frozen=True)
class ProjectFacts:
    id: int
    delivery_date: date | None = None  # the project's (first) delivery date
    events: tuple[Event, ...] = ()
    opening_date: date | None = None  # 开盘, the sales opening


@dataclass(slots=True)
class CaseFacts:
    id: int
    owner_id: int
    kind: str  # "complaint" or "repair"
    opened_on: date
    resolved_on: date | None = None
    events: tuple[Event, ...] = ()


Subject = OwnerFacts | ProjectFacts | CaseFacts
