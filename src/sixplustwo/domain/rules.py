"""Business rules that decide what may be written, apart from the playbook's dates: which
checks open repair cases, who counts as a customer's referrer, what a milestone, a case, a tag
and a score may be. Pure: the store asks, and writes what these allow."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date

from sixplustwo.domain.errors import Conflict, InvalidInput
from sixplustwo.domain.playbook import Rule
from sixplustwo.domain.text import KIND_MAX, TAG_MAX, check_line

# Milestones as typed in English → the kind recorded (the bulletin templates name these).
MILESTONE_ALIASES = {
    "topping-out": "封顶",
    "topping_out": "封顶",
    "scaffold-removal": "落架",
    "scaffold_removal": "落架",
    "design-change": "设计变更",
    "design_change": "设计变更",
    "site-open-day": "工地开放日",
    "site_open_day": "工地开放日",
}

# Case kinds (codes; their words are labels, looked up by the CLI).
CASE_KINDS = ("complaint", "repair")

# Problems found at these checks are repairs to follow through (承担责任, step 6).
REPAIR_FROM_CHECKS = frozenset({"quality-check-1y", "revisit-3m"})

ACTION_ID = re.compile(r"^([opc])(\d+):([a-z0-9-]+)(?::([A-Za-z0-9-]+))?$")


def milestone_kind(raw: str) -> str:
    kind = MILESTONE_ALIASES.get(raw.strip().lower(), raw.strip())
    if not kind:
        raise InvalidInput("milestone kind must not be empty")
    return check_line("milestone kind", kind, KIND_MAX)


def case_kind(raw: str) -> str:
    if raw not in CASE_KINDS:
        raise InvalidInput("case kind {kind!r}: use complaint (投诉) or repair (报修)", kind=raw)
    return raw


def not_in_future(on: date, today: date, msgid: str) -> None:
    """Refuse a date after today; ``msgid`` words it with ``{on}``."""
    if on > today:
        raise InvalidInput(msgid, on=on)


def check_score(score: int | None) -> None:
    if score is not None and not 1 <= score <= 5:
        raise InvalidInput("score {score}: satisfaction scores are 1 to 5", score=score)


def check_referrer(owner_id: int, current: int | None, new: int) -> None:
    """滚雪球计划: the first referrer of a customer wins; clearing it first corrects a
    mistake."""
    if new == owner_id:
        raise InvalidInput("an owner cannot refer themselves")
    if current is not None and current != new:
        raise Conflict(
            "owner {owner} was referred by owner {referrer} first "
            "(the first referrer wins; clear referred_by first to correct a mistake)",
            owner=owner_id,
            referrer=current,
        )


def referral_cycle(owner_id: int, referrer_of: Mapping[int, int | None]) -> tuple[int, ...] | None:
    """The referral cycle through ``owner_id`` (``(1, 2, 1)``: 1 referred by 2, 2 by 1;
    ``(1, 1)``: by themselves) when each owner's referrer is as ``referrer_of`` says, or None.
    An owner ``referrer_of`` does not name has no referrer."""
    path = [owner_id]
    at = referrer_of.get(owner_id)
    while at is not None:
        if at == owner_id:
            return (*path, at)
        if at in path:
            return None  # a cycle further up, not through this owner
        path.append(at)
        at = referrer_of.get(at)
    return None


def cycle_text(cycle: Sequence[int]) -> str:
    return " → ".join(str(owner) for owner in cycle)


def check_no_referral_cycle(owner_id: int, referrer_of: Mapping[int, int | None]) -> None:
    """滚雪球计划: a customer cannot be referred, even through others, by someone they
    referred (each reward would be owed round the cycle)."""
    cycle = referral_cycle(owner_id, referrer_of)
    if cycle is not None:
        raise InvalidInput(
            "owner {owner} cannot be referred by owner {referrer}: that makes a referral cycle "
            "({cycle}, each referred by the next)",
            owner=owner_id,
            referrer=cycle[1],
            cycle=cycle_text(cycle),
        )


def opens_repair(rule: str, subject: str, ok: bool) -> bool:
    """Does a checklist item found with a problem open a repair case?"""
    return not ok and subject == "o" and rule in REPAIR_FROM_CHECKS


def repair_note(item: str, remark: str | None) -> str:
    return f"{item}：{remark or '检查发现问题'}"


def checklist_item(rule: Rule, given: str) -> str:
    """A checklist item by its text or its 1-based number in the rule's checklist."""
    text = given.strip()
    if text.isdigit() and 1 <= int(text) <= len(rule.checklist):
        return rule.checklist[int(text) - 1]
    if text in rule.checklist:
        return text
    if not rule.checklist:
        raise InvalidInput("{rule} has no checklist", rule=rule.name)
    listed = "; ".join(f"{n}. {item}" for n, item in enumerate(rule.checklist, start=1))
    raise InvalidInput(
        "{given!r} is not on the {rule} checklist ({listed})",
        given=given,
        rule=rule.name,
        listed=listed,
    )


def normalise_tag(raw: str) -> str:
    """ "爱好:羽毛球" (or with a full-width colon) → "爱好:羽毛球": a category and a value."""
    category, sep, value = raw.replace("：", ":").partition(":")
    if not sep or not category.strip() or not value.strip():
        raise InvalidInput(
            "tag {tag!r}: write category:value, e.g. 爱好:羽毛球 or 家庭:二孩", tag=raw
        )
    return check_line("tag", f"{category.strip()}:{value.strip()}", TAG_MAX)
