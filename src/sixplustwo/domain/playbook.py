"""The playbook as data: rules with anchors, offsets, grace, titles and SMS templates.

The default lives in ``default_playbook.toml`` beside this file; a company may override any
rule's offsets, grace, title and template with a TOML file of the same shape.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from typing import Literal

from sixplustwo.domain.dates import Offset
from sixplustwo.domain.errors import InvalidInput

Subject = Literal["owner", "project", "case"]
Completion = Literal["event", "done", "case-resolved"]

STEPS: dict[str, str] = {
    "1": "温馨牵手",
    "2": "喜结连理",
    "3": "亲密接触",
    "4": "恭迎乔迁",
    "5": "嘘寒问暖",
    "6": "承担责任",
    "+1": "一路同行",
    "+2": "四年之约",
}

ANCHORS: dict[str, Subject] = {
    "visited_on": "owner",
    "subscribed_on": "owner",
    "signed_on": "owner",
    "planned_delivery": "owner",
    "delivered_on": "owner",
    "birthday": "owner",
    "milestone": "owner",
    "referral_delivered": "owner",
    "project_delivery": "project",
    "case_opened": "case",
    "case_resolved": "case",
}

# Rules with several actions per owner; every other owner rule has at most one.
MULTI_ACTION_ANCHORS = frozenset({"birthday", "milestone", "referral_delivered"})


@dataclass(frozen=True)
class Rule:
    name: str
    step: str
    subject: Subject
    anchor: str
    opens: Offset
    due: Offset
    grace: int | None  # None: never missed, listed until done
    completion: Completion
    title: str
    template: str
    source: str = ""
    due_repair: Offset | None = None  # case-resolve: repairs are due sooner than complaints

    @property
    def step_name(self) -> str:
        return STEPS[self.step]

    @property
    def multi(self) -> bool:
        return self.anchor in MULTI_ACTION_ANCHORS

    def opens_on(self, anchor: date) -> date:
        return self.opens.apply(anchor)

    def due_on(self, anchor: date, *, repair: bool = False) -> date:
        offset = self.due_repair if repair and self.due_repair is not None else self.due
        return offset.apply(anchor)


@dataclass(frozen=True)
class Playbook:
    rules: tuple[Rule, ...]
    _by_name: dict[str, Rule] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_name.update({rule.name: rule for rule in self.rules})

    def __iter__(self):
        return iter(self.rules)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def get(self, name: str) -> Rule:
        try:
            return self._by_name[name]
        except KeyError:
            known = ", ".join(self._by_name)
            raise InvalidInput(f"unknown rule {name!r} (rules: {known})") from None

    def for_subject(self, subject: Subject) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules if rule.subject == subject)


_REQUIRED = ("step", "subject", "anchor", "opens", "due", "grace", "completion", "title")


def _rule_from_table(name: str, table: dict) -> Rule:
    missing = [key for key in _REQUIRED if key not in table]
    if missing:
        raise InvalidInput(f"playbook rule {name!r}: missing {', '.join(missing)}")
    step = str(table["step"])
    if step not in STEPS:
        raise InvalidInput(f"playbook rule {name!r}: step {step!r} is not one of {list(STEPS)}")
    anchor = table["anchor"]
    if anchor not in ANCHORS:
        raise InvalidInput(f"playbook rule {name!r}: unknown anchor {anchor!r}")
    subject = table["subject"]
    if ANCHORS[anchor] != subject:
        raise InvalidInput(
            f"playbook rule {name!r}: anchor {anchor!r} belongs to {ANCHORS[anchor]}, not {subject}"
        )
    grace = table["grace"]
    if grace == "none":
        grace = None
    elif not isinstance(grace, int) or isinstance(grace, bool) or grace < 0:
        raise InvalidInput(f'playbook rule {name!r}: grace must be days ≥ 0 or "none"')
    completion = table["completion"]
    if completion not in ("event", "done", "case-resolved"):
        raise InvalidInput(f"playbook rule {name!r}: unknown completion {completion!r}")
    try:
        opens = Offset.parse(str(table["opens"]))
        due = Offset.parse(str(table["due"]))
        due_repair = Offset.parse(str(table["due_repair"])) if "due_repair" in table else None
    except InvalidInput as exc:
        raise InvalidInput(f"playbook rule {name!r}: {exc}") from None
    return Rule(
        name=name,
        step=step,
        subject=subject,
        anchor=anchor,
        opens=opens,
        due=due,
        grace=grace,
        completion=completion,
        title=str(table["title"]),
        template=str(table.get("template", "")),
        source=str(table.get("source", "")),
        due_repair=due_repair,
    )


def parse_playbook(text: str, *, base: Playbook | None = None) -> Playbook:
    """Read a playbook from TOML text. With ``base``, the text overrides base's rules."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"playbook is not valid TOML: {exc}") from None
    tables = document.get("rules", {})
    if not isinstance(tables, dict):
        raise InvalidInput("playbook: [rules] must be a table of rules")
    if base is None:
        return Playbook(tuple(_rule_from_table(name, table) for name, table in tables.items()))
    merged: dict[str, Rule] = {rule.name: rule for rule in base.rules}
    for name, table in tables.items():
        if name in merged:
            current = _rule_table(merged[name])
            current.update(table)
            merged[name] = _rule_from_table(name, current)
        else:
            merged[name] = _rule_from_table(name, table)
    return Playbook(tuple(merged.values()))


def _rule_table(rule: Rule) -> dict:
    table: dict = {
        "step": rule.step,
        "subject": rule.subject,
        "anchor": rule.anchor,
        "opens": str(rule.opens),
        "due": str(rule.due),
        "grace": "none" if rule.grace is None else rule.grace,
        "completion": rule.completion,
        "title": rule.title,
        "template": rule.template,
        "source": rule.source,
    }
    if rule.due_repair is not None:
        table["due_repair"] = str(rule.due_repair)
    return table


_DEFAULT: Playbook | None = None


def default_playbook() -> Playbook:
    """The playbook of SPEC §3, read once from the TOML file shipped in this package."""
    global _DEFAULT
    if _DEFAULT is None:
        text = resources.files(__package__).joinpath("default_playbook.toml").read_text("utf-8")
        _DEFAULT = parse_playbook(text)
    return _DEFAULT
