"""The playbook as data: rules with anchors, offsets, grace, titles and SMS templates.

The default lives in ``default_playbook.toml`` beside this file; a company may override any
rule's offsets, grace, title and template with a TOML file of the same shape.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import date
from importlib import resources
from typing import Literal

from sixplustwo.domain.dates import Offset
from sixplustwo.domain.errors import N_, InvalidInput, SixPlusTwoError

Subject = Literal["owner", "project", "case"]
Completion = Literal["event", "done", "case-resolved"]

# The 6+2 steps by code, in order; the names a screen shows are in cli/labels.py.
STEP_CODES: tuple[str, ...] = ("1", "2", "3", "4", "5", "6", "+1", "+2")


def checked_steps(given: list[str] | tuple[str, ...]) -> set[str]:
    """The steps a filter names (``--step``), or InvalidInput naming those that are none."""
    steps = {s.strip() for s in given}
    unknown = steps - set(STEP_CODES)
    if unknown:
        raise InvalidInput(
            "--step {unknown}: steps are {steps}",
            unknown=", ".join(sorted(unknown)),
            steps=", ".join(STEP_CODES),
        )
    return steps


# 客户典型心态: the customer's typical state of mind at each step (seed 000).
STEP_MINDSETS: dict[str, str] = {
    "1": "投资价值最大化——“钱要花得值得”；降低投资风险——广纳信息、谨慎决策、防止受骗",
    "2": "心态转为被动，有无助感，容易焦虑、急躁；防止合同风险，不信任发展商和合同条款",
    "3": "憧憬未来的美好生活；忐忑不安",
    "4": "梦想实现；与交楼标准一致，排除隐患；装扮个性化家庭",
    "5": "我被持续关注；邻里关系；与开发商和物业公司的关系",
    "6": "如果被关注，感到惊喜；社区活动；居住氛围",
    "+1": "及时有效解决我的问题；安全感",
    "+2": "如果你能想到我，对我就是奢望",
}

ANCHORS: dict[str, Subject] = {
    "visited_on": "owner",
    "subscribed_on": "owner",
    "signed_on": "owner",
    "planned_delivery": "owner",
    "delivered_on": "owner",
    "birthday": "owner",
    "holiday": "owner",
    "milestone": "owner",
    "referral_delivered": "owner",
    "celebration": "owner",  # a celebration event (新婚, 乔迁, 添丁, 升学 …)
    "project_delivery": "project",
    "project_opening": "project",  # 开盘, the sales opening
    "project_week": "project",  # every week (Monday) once the project has delivered
    "project_month": "project",  # every month (the 1st) once the project has delivered
    "case_opened": "case",
    "case_resolved": "case",
}

# Rules with several actions per owner; every other owner rule has at most one.
MULTI_ACTION_ANCHORS = frozenset(
    {
        "birthday",
        "holiday",
        "milestone",
        "referral_delivered",
        "celebration",
        "project_week",
        "project_month",
    }
)
# Project rules that recur for as long as the project has residents.
PERIODIC_ANCHORS = frozenset({"project_week", "project_month"})


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
    workdays: bool = False  # due dates move off weekends and holidays (Settings.workdays)
    # Templates by action detail, e.g. one per festival for holiday-greeting; else template.
    templates: tuple[tuple[str, str], ...] = ()
    # What the customer cares about at this step (客户关注焦点) and the butler's work points
    # (工作要点说明), both from the seeds; `done` records the checklist item by item.
    talking_points: tuple[str, ...] = ()
    checklist: tuple[str, ...] = ()

    @property
    def multi(self) -> bool:
        return self.anchor in MULTI_ACTION_ANCHORS

    def template_for(self, detail: str | None) -> str:
        for key, template in self.templates:
            if key == detail:
                return template
        return self.template

    def opens_on(self, anchor: date) -> date:
        return self.opens.apply(anchor)

    def due_on(self, anchor: date, *, repair: bool = False) -> date:
        offset = self.due_repair if repair and self.due_repair is not None else self.due
        due = offset.apply(anchor)
        if self.workdays:
            from sixplustwo.domain.calendars import next_working_day

            return next_working_day(due)
        return due


@dataclass(frozen=True)
class Settings:
    """Playbook-wide settings (``[settings]`` in the TOML file)."""

    # Move due dates off weekends and public holidays onto the next working day (调休 aware).
    workdays: bool = False
    # 滚雪球计划: the reward per referred customer who signed, and how it is paid out.
    referral_reward: int = 3000
    referral_settlement: str = "抵扣物业费"


@dataclass(frozen=True)
class Tier:
    """A membership tier (会员等级) and what earns it: at least ``flats`` flats signed for,
    or at least ``referrals`` referred customers who signed."""

    name: str
    flats: int | None = None
    referrals: int | None = None

    def earned(self, flats: int, referrals: int) -> bool:
        return (self.flats is not None and flats >= self.flats) or (
            self.referrals is not None and referrals >= self.referrals
        )


# Seed 004's club cards, best first; a company sets its own with [membership.NAME] tables.
DEFAULT_TIERS = (
    Tier("铂金卡", flats=3, referrals=3),
    Tier("金卡", flats=2, referrals=2),
    Tier("银卡", referrals=1),
    Tier("蓝卡", flats=1),
)


def membership_tier(tiers: tuple[Tier, ...], flats: int, referrals: int) -> str | None:
    """The best tier earned; None for a customer who has not signed for a flat."""
    if flats < 1:
        return None
    return next((tier.name for tier in tiers if tier.earned(flats, referrals)), None)


@dataclass(frozen=True)
class Playbook:
    rules: tuple[Rule, ...]
    settings: Settings = Settings()
    tiers: tuple[Tier, ...] = DEFAULT_TIERS
    _by_name: dict[str, Rule] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if any(rule.workdays != self.settings.workdays for rule in self.rules):
            rules = tuple(replace(rule, workdays=self.settings.workdays) for rule in self.rules)
            object.__setattr__(self, "rules", rules)
        self._by_name.update({rule.name: rule for rule in self.rules})

    def with_settings(self, **changes: object) -> Playbook:
        return Playbook(
            self.rules,
            replace(self.settings, **changes),  # type: ignore[arg-type]
            self.tiers,
        )

    def __iter__(self):
        return iter(self.rules)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def get(self, name: str) -> Rule:
        try:
            return self._by_name[name]
        except KeyError:
            known = ", ".join(self._by_name)
            raise InvalidInput(
                "unknown rule {name!r} (rules: {known})", name=name, known=known
            ) from None

    def for_subject(self, subject: Subject) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules if rule.subject == subject)


_REQUIRED = ("step", "subject", "anchor", "opens", "due", "grace", "completion", "title")
_OPTIONAL = frozenset(
    {"template", "templates", "source", "due_repair", "talking_points", "checklist"}
)


def _rule_from_table(name: str, table: dict) -> Rule:
    missing = [key for key in _REQUIRED if key not in table]
    if missing:
        raise _KeyError(missing[0], "missing {keys}", keys=", ".join(missing))
    unknown = set(table) - set(_REQUIRED) - _OPTIONAL
    if unknown:
        key = sorted(unknown)[0]
        raise _KeyError(key, "unknown key {key!r}", key=key)
    step = str(table["step"])
    if step not in STEP_CODES:
        raise _KeyError(
            "step", "step {step!r} is not one of {steps}", step=step, steps=list(STEP_CODES)
        )
    anchor = table["anchor"]
    if anchor not in ANCHORS:
        raise _KeyError(
            "anchor",
            "unknown anchor {anchor!r} (anchors: {anchors})",
            anchor=anchor,
            anchors=", ".join(ANCHORS),
        )
    subject = table["subject"]
    if ANCHORS[anchor] != subject:
        raise _KeyError(
            "subject",
            "anchor {anchor!r} belongs to {belongs}, not {subject}",
            anchor=anchor,
            belongs=ANCHORS[anchor],
            subject=subject,
        )
    grace = table["grace"]
    if grace == "none":
        grace = None
    elif not isinstance(grace, int) or isinstance(grace, bool) or grace < 0:
        raise _KeyError("grace", 'grace must be days ≥ 0 or "none"')
    completion = table["completion"]
    if completion not in ("event", "done", "case-resolved"):
        raise _KeyError("completion", "unknown completion {completion!r}", completion=completion)
    offsets: dict[str, Offset | None] = {}
    for key in ("opens", "due", "due_repair"):
        try:
            offsets[key] = Offset.parse(str(table[key])) if key in table else None
        except InvalidInput as exc:
            raise _KeyError(key, exc) from None
    for key in ("title", "template", "source"):
        if key in table and not isinstance(table[key], str):
            raise _KeyError(key, "{key} must be text", key=key)
    for key in ("talking_points", "checklist"):
        items = table.get(key, [])
        if not isinstance(items, list) or not all(isinstance(i, str) and i for i in items):
            raise _KeyError(key, "{key} must be a list of texts", key=key)
    templates = table.get("templates", {})
    if not isinstance(templates, dict) or not all(
        isinstance(text, str) for text in templates.values()
    ):
        raise _KeyError("templates", "[rules.NAME.templates] must map names to message text")
    _check_texts(table, templates)
    return Rule(
        name=name,
        step=step,
        subject=subject,
        anchor=anchor,
        opens=offsets["opens"],  # type: ignore[arg-type]
        due=offsets["due"],  # type: ignore[arg-type]
        grace=grace,
        completion=completion,
        title=table["title"],
        template=table.get("template", ""),
        source=table.get("source", ""),
        due_repair=offsets["due_repair"],
        templates=tuple(templates.items()),
        talking_points=tuple(table.get("talking_points", ())),
        checklist=tuple(table.get("checklist", ())),
    )


def _check_texts(table: dict, templates: dict) -> None:
    """Templates are data (domain/messages.py); no text of a rule holds a control or
    bidirectional character (README: "Hostile text")."""
    from sixplustwo.domain.messages import template_problem
    from sixplustwo.domain.text import line_problem, note_problem

    # One line: a title, a source, a checklist item; a talking point may have several.
    texts = [(key, table.get(key, ""), line_problem) for key in ("title", "source")]
    texts += [(key, item, line_problem) for key in ("checklist",) for item in table.get(key, ())]
    texts += [("talking_points", item, note_problem) for item in table.get("talking_points", ())]
    for key, text, problem_of in texts:
        problem = problem_of(text, _TEXT_MAX)
        if problem:
            raise _KeyError(key, "{key}: {reason}", key=key, reason=problem)
    for key, template in (("template", table.get("template", "")), *templates.items()):
        problem = note_problem(template, _TEXT_MAX) or template_problem(template)
        if problem:
            where = "template" if key == "template" else f"templates.{key}"
            error = _KeyError(key, "{where}: {reason}", where=where, reason=problem)
            error.table = "" if key == "template" else ".templates"
            raise error


_TEXT_MAX = 2000  # any text of a rule: a title, a template, a talking point


class PlaybookError(InvalidInput):
    """A playbook file that cannot be used, with the line it went wrong on when known."""


_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column \d+\)\s*$")
_SETTINGS: dict[str, type] = {"workdays": bool, "referral_reward": int, "referral_settlement": str}
# One whole message per kind of value, so that each reads as a sentence when translated.
_SETTING_WANTED: dict[type, str] = {
    bool: N_("{source}, line {line}: setting {key!r} must be true or false"),
    int: N_("{source}, line {line}: setting {key!r} must be a whole number"),
    str: N_("{source}, line {line}: setting {key!r} must be text"),
}
SETTLEMENTS = ("抵扣物业费", "抵扣契税")


def parse_playbook(
    text: str, *, base: Playbook | None = None, source: str = "playbook"
) -> Playbook:
    """Read a playbook from TOML text. With ``base``, the text overrides base's rules: a rule
    named in it changes only the keys it gives, ``enabled = false`` turns a rule off, and an
    unknown name adds a rule. Errors name ``source`` and, where it can be found, the line."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        position = _TOML_POSITION.search(message)
        if position:
            reason = message[: position.start()]
            raise PlaybookError(
                "{source}, line {line}: {reason}",
                source=source,
                line=position.group(1),
                reason=reason,
            ) from None
        raise PlaybookError(
            "{source}: not valid TOML: {reason}", source=source, reason=message
        ) from None
    unknown = set(document) - {"rules", "settings", "membership"}
    if unknown:
        name = sorted(unknown)[0]
        raise PlaybookError(
            "{source}, line {line}: unknown table {name!r} "
            "(a playbook has [rules.NAME], [settings] and [membership.TIER])",
            source=source,
            line=_line_of(text, None, name),
            name=name,
        )
    tables = document.get("rules", {})
    if not isinstance(tables, dict) or not all(isinstance(t, dict) for t in tables.values()):
        raise PlaybookError(
            "{source}: [rules] must hold one table per rule, [rules.NAME]", source=source
        )
    settings = _settings(document.get("settings", {}), base, text, source)
    merged: dict[str, Rule] = {rule.name: rule for rule in base.rules} if base else {}
    for name, table in tables.items():
        try:
            enabled = table.get("enabled", True)
            if not isinstance(enabled, bool):
                raise _KeyError("enabled", "must be true or false")
            if not enabled:
                merged.pop(name, None)
                continue
            current = _rule_table(merged[name]) if name in merged else {}
            current.update({k: v for k, v in table.items() if k != "enabled"})
            merged[name] = _rule_from_table(name, current)
        except _KeyError as exc:
            line = _line_of(text, name + exc.table, exc.key)
            raise PlaybookError(
                "{source}, line {line}: rule {name!r}: {reason}",
                source=source,
                line=line,
                name=name,
                reason=exc.reason,
            ) from None
    tiers = _tiers(document["membership"], text, source) if "membership" in document else None
    return Playbook(
        tuple(merged.values()),
        settings,
        tiers if tiers is not None else base.tiers if base else DEFAULT_TIERS,
    )


def _tier_line(text: str, name: str) -> int:
    headers = (f"[membership.{name}]", f'[membership."{name}"]')
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip().replace(" ", "") in headers:
            return number
    return 1


def _tiers(table: object, text: str, source: str) -> tuple[Tier, ...]:
    """[membership.NAME] tables, best tier first, each with flats and/or referrals."""
    if not isinstance(table, dict) or not table:
        raise PlaybookError("{source}: [membership] must hold one table per tier", source=source)
    tiers = []
    for name, criteria in table.items():
        line = _tier_line(text, name)
        if not isinstance(criteria, dict) or not set(criteria) <= {"flats", "referrals"}:
            raise PlaybookError(
                "{source}, line {line}: tier {name!r} takes flats and referrals (numbers)",
                source=source,
                line=line,
                name=name,
            )
        values = {}
        for key, value in criteria.items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise PlaybookError(
                    "{source}, line {line}: tier {name!r}: {key} must be ≥ 0",
                    source=source,
                    line=line,
                    name=name,
                    key=key,
                )
            values[key] = value
        if not values:
            raise PlaybookError(
                "{source}, line {line}: tier {name!r} needs flats or referrals",
                source=source,
                line=line,
                name=name,
            )
        tiers.append(Tier(name, **values))
    return tuple(tiers)


def _settings(table: object, base: Playbook | None, text: str, source: str) -> Settings:
    current = base.settings if base else Settings()
    if not isinstance(table, dict):
        raise PlaybookError("{source}: [settings] must be a table", source=source)
    values: dict[str, object] = {}
    for key, value in table.items():
        line = _line_of(text, "settings", key)
        if key not in _SETTINGS:
            raise PlaybookError(
                "{source}, line {line}: unknown setting {key!r}", source=source, line=line, key=key
            )
        kind = _SETTINGS[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise PlaybookError(_SETTING_WANTED[kind], source=source, line=line, key=key)
        if key == "referral_reward" and value < 0:
            raise PlaybookError(
                "{source}, line {line}: referral_reward must be ≥ 0 yuan", source=source, line=line
            )
        if key == "referral_settlement" and value not in SETTLEMENTS:
            raise PlaybookError(
                "{source}, line {line}: referral_settlement is one of {settlements}",
                source=source,
                line=line,
                settlements=", ".join(SETTLEMENTS),
            )
        values[key] = value
    return replace(current, **values)  # type: ignore[arg-type]


def _line_of(text: str, table: str | None, key: str) -> int:
    """The line of ``key`` inside ``[rules.TABLE]`` (or ``[settings]``, or of the table
    header itself when ``table`` is None), for error messages; 1 when it cannot be found."""
    lines = text.splitlines()
    headers = (
        {f"[{key}]", f"[{key}."} if table is None
        else {"[settings]"} if table == "settings"
        else {f"[rules.{table}]", f'[rules."{table}"]'}
    )  # fmt: skip
    inside = False
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            if table is None and any(stripped.startswith(h) for h in headers):
                return number
            inside = stripped.replace(" ", "") in headers
            continue
        if inside and re.match(rf"[\"']?{re.escape(key)}[\"']?\s*=", stripped):
            return number
    for number, line in enumerate(lines, start=1):
        if table and table in line and line.strip().startswith("["):
            return number
    return 1


class _KeyError(InvalidInput):
    """A bad key of one rule table: ``reason`` is a message id with its parameters, or the
    error raised while reading the value."""

    def __init__(self, key: str, reason: str | SixPlusTwoError, /, **params: object) -> None:
        if not isinstance(reason, SixPlusTwoError):
            reason = InvalidInput(reason, **params)
        super().__init__("{reason}", reason=reason)
        self.key = key
        self.reason = reason
        self.table = ""  # ".templates": the key is in [rules.NAME.templates]


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
    if rule.talking_points:
        table["talking_points"] = list(rule.talking_points)
    if rule.checklist:
        table["checklist"] = list(rule.checklist)
    if rule.templates:
        table["templates"] = dict(rule.templates)
    return table


_DEFAULT: Playbook | None = None


def default_playbook() -> Playbook:
    """The playbook of SPEC §3, read once from the TOML file shipped in this package."""
    global _DEFAULT
    if _DEFAULT is None:
        text = resources.files(__package__).joinpath("default_playbook.toml").read_text("utf-8")
        _DEFAULT = parse_playbook(text)
    return _DEFAULT


def playbook_toml(playbook: Playbook) -> str:
    """The playbook as a TOML file that ``--playbook`` reads back: a starting point to edit."""
    lines = [
        "# sixplustwo playbook: edit and use with `sixplustwo --playbook FILE` or",
        "# `sixplustwo playbook --use FILE`. A rule changes only the keys you keep; set",
        "# `enabled = false` to turn a rule off. Offsets: +3mo+14d (units y, mo, d).",
        "",
        "[settings]",
        f"workdays = {_toml_value(playbook.settings.workdays)}",
        f"referral_reward = {_toml_value(playbook.settings.referral_reward)}",
        f"referral_settlement = {_toml_value(playbook.settings.referral_settlement)}",
    ]
    for tier in playbook.tiers:
        lines += ["", f"[membership.{_toml_value(tier.name)}]"]
        lines += [f"{key} = {value}" for key, value in (("flats", tier.flats),
                  ("referrals", tier.referrals)) if value is not None]  # fmt: skip
    for rule in playbook:
        lines += ["", f"[rules.{rule.name}]"]
        table = _rule_table(rule)
        templates = table.pop("templates", {})
        for key, value in table.items():
            lines.append(f"{key} = {_toml_value(value)}")
        if templates:
            lines += ["", f"[rules.{rule.name}.templates]"]
            lines += [
                f"{_toml_value(key)} = {_toml_value(text)}" for key, text in templates.items()
            ]
    return "\n".join(lines) + "\n"


def _toml_value(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    # JSON's string escapes are valid in TOML basic strings.
    return json.dumps(str(value), ensure_ascii=False)


ANCHOR_TEXT: dict[str, str] = {
    "visited_on": "visited",
    "subscribed_on": "subscribed",
    "signed_on": "signed",
    "planned_delivery": "planned delivery (owner's, else project's)",
    "delivered_on": "delivered",
    "birthday": "birthday, each year after signing (02-29 → 02-28; 农历 if so marked)",
    "holiday": "元旦 春节 元宵 端午 中秋 国庆, each year after signing",
    "milestone": "each project milestone M (owners signed by M, not delivered by M)",
    "referral_delivered": "referred customer's delivery (if signed)",
    "project_delivery": "project first delivery",
    "project_opening": "project sales opening (开盘)",
    "celebration": "a celebration recorded for the owner (新婚, 乔迁, 添丁, 升学)",
    "project_week": "each week (Monday) once the project delivered",
    "project_month": "each month (the 1st) once the project delivered",
    "case_opened": "case opened",
    "case_resolved": "case resolved",
}


def _window(offset: Offset) -> str:
    text = str(offset)
    return "A" if text == "+0d" else "A" + text.replace("-", "−")


def playbook_markdown(playbook: Playbook) -> str:
    """The rules as the README's Markdown table (generated, and checked by a test)."""
    lines = [
        "| rule | step | anchor (A) | opens | due | grace | source |",
        "|---|---|---|---|---|---|---|",
    ]
    for rule in playbook:
        due = _window(rule.due)
        if rule.due_repair is not None:
            due = f"{due} complaint, {_window(rule.due_repair)} repair"
        grace = "none" if rule.grace is None else str(rule.grace)
        lines.append(
            f"| {rule.name} | {rule.step} | {ANCHOR_TEXT.get(rule.anchor, rule.anchor)} | "
            f"{_window(rule.opens)} | {due} | {grace} | {rule.source} |"
        )
    return "\n".join(lines) + "\n"
