"""An owner's journey stage (prospect … resident), derived from the recorded dates, never
typed by hand: what ``owner list`` and ``owner show`` print, and ``owner assign --stage``
chooses by."""

from __future__ import annotations

from datetime import date
from typing import Literal

from dateutil.relativedelta import relativedelta

from sixplustwo.domain.model import OwnerFacts

Stage = Literal["prospect", "subscribed", "signed", "awaiting delivery", "delivered", "resident"]
STAGES: tuple[Stage, ...] = (
    "prospect", "subscribed", "signed", "awaiting delivery", "delivered", "resident",
)  # fmt: skip


def stage(owner: OwnerFacts, today: date) -> Stage:
    """The journey stage, derived from the recorded dates, never typed by hand.

    delivered: handed over less than three months ago (until the residence revisit);
    resident: after that. awaiting delivery: signed with a planned delivery date.
    """
    if owner.delivered_on is not None and owner.delivered_on <= today:
        if today >= owner.delivered_on + relativedelta(months=3):
            return "resident"
        return "delivered"
    if owner.signed_on is not None and owner.signed_on <= today:
        return "awaiting delivery" if owner.planned_delivery is not None else "signed"
    if owner.subscribed_on is not None and owner.subscribed_on <= today:
        return "subscribed"
    return "prospect"
