"""The playbook read from TOML: the default shipped beside this file
(``default_playbook.toml``), and a company's overrides of any rule's offsets, grace, title
and template in a file of the same shape, each mistake named with its line.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import replace
from datetime import date, datetime
from importlib import resources

from sixplustwo.domain.dates import Offset
from sixplustwo.domain.errors import N_, InvalidInput, SixPlusTwoError
from sixplustwo.domain.notices import parse_quiet_hours
from sixplustwo.domain.playbook_data import (
    ANCHORS,
    DEFAULT_TIERS,
    STEP_CODES,
    Playbook,
    Rule,
    Settings,
    Tier,
)
from sixplustwo.domain.toml_reasons import TOML_END as _TOML_END
from sixplustwo.domain.toml_reasons import TOML_POSITION as _TOML_POSITION
from sixplustwo.domain.toml_reasons import toml_reason as _toml_reason

_REQUIRED = ("step", "subject", "anchor", "opens", "due", "grace", "completion", "title")
_OPTIONAL = frozenset(
    {
        "template",
        "templates",
        "source",
        "due_repair",
        "talking_points",
        "checklist",
        "sent_is_done",
    }
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
    sent_is_done = table.get("sent_is_done", False)
    if not isinstance(sent_is_done, bool):
        raise _KeyError("sent_is_done", "sent_is_done must be true or false")
    if sent_is_done and subject != "owner":
        # Only an owner is sent an SMS (project and case actions go to the calendar).
        raise _KeyError(
            "sent_is_done", "sent_is_done = true is for owner rules: only owners are sent an SMS"
        )
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
        sent_is_done=sent_is_done,
    )


def _check_texts(table: dict, templates: dict) -> None:
    """Templates are data (domain/messages.py); no text of a rule holds a control or
    bidirectional character (docs/data-rules.md: "Hostile text")."""
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


_SETTINGS: dict[str, type] = {
    "workdays": bool,
    "referral_reward": int,
    "referral_settlement": str,
    "quiet_hours": str,
    "sms_per_owner_per_day": int,
}
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
                reason=_toml_reason(reason),
            ) from None
        if message.endswith(_TOML_END):
            raise PlaybookError(
                "{source}, at its end: {reason}",
                source=source,
                reason=_toml_reason(message[: -len(_TOML_END)]),
            ) from None
        raise PlaybookError(
            "{source}: not valid TOML: {reason}", source=source, reason=_toml_reason(message)
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
            current = rule_table(merged[name]) if name in merged else {}
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
        if key == "go_live":
            values[key] = _go_live(value, source, line)
            continue
        if key == "timezone":
            from sixplustwo.domain.clock import zone

            if not isinstance(value, str) or zone(value, source, line) is False:
                raise PlaybookError(
                    "{source}, line {line}: timezone must be a time zone's name, such as "
                    "Asia/Shanghai, or local (the machine's clock)",
                    source=source,
                    line=line,
                )
            values[key] = value
            continue
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
        if key == "quiet_hours" and value:
            try:
                parse_quiet_hours(value)
            except InvalidInput:
                raise PlaybookError(
                    "{source}, line {line}: quiet_hours must look like 21:00-08:00",
                    source=source,
                    line=line,
                ) from None
        if key == "sms_per_owner_per_day" and value < 0:
            raise PlaybookError(
                "{source}, line {line}: sms_per_owner_per_day must be ≥ 0", source=source, line=line
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


def _go_live(value: object, source: str, line: int) -> date:
    """``go_live = "2026-12-01"`` (or a TOML date): the day the team started with the tool."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise PlaybookError(
        "{source}, line {line}: go_live must be a date, YYYY-MM-DD", source=source, line=line
    )


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


def template_warnings(book: Playbook) -> list[SixPlusTwoError]:
    """The templates of ``book`` that long but plausible values take past three SMS parts
    (``messages.template_warning``): a warning each, naming the rule and the template."""
    from sixplustwo.domain.messages import template_warning

    settings = book.settings
    found: list[SixPlusTwoError] = []
    for rule in book:
        named = (("template", rule.template), *((f"templates.{k}", t) for k, t in rule.templates))
        for where, template in named:
            reason = template_warning(
                template, rule.title, settings.referral_reward, settings.referral_settlement
            )
            if reason is not None:
                found.append(
                    SixPlusTwoError(
                        "rule {rule!r}: {where}: {reason}",
                        rule=rule.name,
                        where=where,
                        reason=reason,
                    )
                )
    return found


def rule_table(rule: Rule) -> dict:
    """A rule as the table of a playbook file gives it (what an override changes, and what
    ``playbook_toml`` writes)."""
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
        "sent_is_done": rule.sent_is_done,
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
