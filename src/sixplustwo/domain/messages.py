"""SMS messages rendered from a rule's Chinese template.

A template is data, not code: text with ``{placeholder}`` fields from ``PLACEHOLDERS`` and
nothing else (``{{`` and ``}}`` for a brace). No attribute or index access
(``{name.__class__}``, ``{name[0]}``), no conversion (``{name!r}``), no format spec
(``{name:>30000000}``): a playbook that has one is refused when it is read
(``template_problem``), and ``render_message`` never calls ``str.format``, so that even a
template that was not checked cannot reach an attribute or allocate a width.

Length, as the operators count it: in UTF-16 units (a character outside the Basic
Multilingual Plane, such as a rare name character 𪨶, counts two), 70 for a message sent
alone, 67 a part for one sent in parts (a character's two units never split over two parts).
A message is at most ``SMS_PARTS`` parts (``MESSAGE_MAX`` units): a template whose own text
(without its placeholders) is longer is refused; a rendered message past three parts (a long
name or project name) is cut to three, the last character ``…``. ``template_warning`` says
when a template filled with long but plausible values (``PLAUSIBLE``) goes past three parts.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

from sixplustwo.domain.errors import InvalidInput

# The values export fills in (cli/export.py: export_records).
PLACEHOLDERS = (
    "name",
    "project",
    "unit",
    "due_on",
    "butler",
    "title",
    "milestone",
    "milestone_on",
    "amount",
    "settlement",
)
SMS_SINGLE = 70  # UTF-16 units of a Chinese (UCS-2) SMS sent alone
SMS_PART = 67  # UTF-16 units of one part of a long (concatenated) Chinese SMS
SMS_PARTS = 3
MESSAGE_MAX = SMS_PART * SMS_PARTS  # 201

# Long but plausible values of the placeholders whose values vary (characters): what
# template_warning fills a template with. The rule's title and the settings' amount and
# settlement are known.
PLAUSIBLE = {
    "name": 10,  # 阿卜杜拉·买买提 is 8; a company as customer may be longer
    "project": 16,
    "unit": 16,  # 3栋2单元1201室 is 10
    "due_on": 10,
    "butler": 10,
    "milestone": 10,
    "milestone_on": 10,
}


def sms_units(text: str) -> int:
    """``text``'s length as an SMS counts it: UTF-16 units."""
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


def sms_parts(text: str) -> int:
    """How many SMS parts ``text`` is sent as: one up to 70 units, else parts of 67 units,
    a character of two units never split over two parts."""
    units = sms_units(text)
    if units <= SMS_SINGLE:
        return 1
    if units == len(text):
        return -(-units // SMS_PART)
    parts, used = 1, 0
    for char in text:
        width = 2 if ord(char) > 0xFFFF else 1
        if used + width > SMS_PART:
            parts, used = parts + 1, 0
        used += width
    return parts


def _cut(message: str) -> str:
    """``message`` cut to SMS_PARTS parts, its last character ``…``."""
    parts, used, end = 1, 0, 0
    for char in message:
        width = 2 if ord(char) > 0xFFFF else 1
        if used + width > SMS_PART:
            parts, used = parts + 1, 0
            if parts > SMS_PARTS:
                break
        used += width
        end += 1
    kept = message[:end]
    while sms_parts(kept + "…") > SMS_PARTS:
        kept = kept[:-1]
    return kept + "…"


# A field, a doubled brace, or a lone brace (an error).
_FIELD = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_KNOWN = frozenset(PLACEHOLDERS)


def template_problem(template: str) -> InvalidInput | None:
    """Why ``template`` cannot be a message template, or None."""
    literal: list[str] = []
    last = 0
    for match in _FIELD.finditer(template):
        literal.append(template[last : match.start()])
        last = match.end()
        token = match.group()
        if token in ("{{", "}}"):
            literal.append(token[0])
            continue
        field = match.group(1)
        if field is None:
            return InvalidInput(
                "a lone {brace!r} at character {position} (write {double!r} for a brace)",
                brace=token,
                position=match.start() + 1,
                double=token * 2,
            )
        if field not in _KNOWN:
            return InvalidInput(
                "placeholder {placeholder} is not allowed: a template takes only {known} "
                "(no attribute, index, conversion or format)",
                placeholder="{" + field + "}",
                known=", ".join("{" + name + "}" for name in PLACEHOLDERS),
            )
    literal.append(template[last:])
    length = sms_units("".join(literal))
    if length > MESSAGE_MAX:
        return InvalidInput(
            "the text is {length} characters without its placeholders; a message is at most "
            "{most} ({parts} SMS parts of {part})",
            length=length,
            most=MESSAGE_MAX,
            parts=SMS_PARTS,
            part=SMS_PART,
        )
    return None


@functools.lru_cache(maxsize=512)
def _parts(template: str) -> tuple[tuple[str, str | None], ...]:
    """A template as (text, placeholder or None) pairs: parsed once, rendered ~90k times by a
    cron export. What is not a known placeholder (a template read before the checks) stays
    text, as written."""
    parts: list[tuple[str, str | None]] = []
    text: list[str] = []
    last = 0
    for match in _FIELD.finditer(template):
        text.append(template[last : match.start()])
        last = match.end()
        token, field = match.group(), match.group(1)
        if token in ("{{", "}}"):
            text.append(token[0])
        elif field in _KNOWN:
            parts.append(("".join(text), field))
            text = []
        else:
            text.append(token)
    text.append(template[last:])
    parts.append(("".join(text), None))
    return tuple(parts)


def render_message(template: str, values: Mapping[str, object]) -> str:
    """Fill the placeholders (dates as ISO dates, numbers as numbers; an empty one is ''),
    then cut to SMS_PARTS parts (``sms_parts``)."""
    pieces = []
    for text, field in _parts(template):
        pieces.append(text)
        if field is not None:
            value = values.get(field)
            pieces.append("" if value is None else str(value))
    message = "".join(pieces)
    # Up to 99 characters, even all of two units, is three parts at most.
    if len(message) > 99 and sms_parts(message) > SMS_PARTS:
        return _cut(message)
    return message


def template_warning(
    template: str, title: str, amount: object, settlement: str
) -> InvalidInput | None:
    """Why a message from ``template`` may be cut: filled with long but plausible values
    (``PLAUSIBLE``, the rule's ``title``, the settings' ``amount`` and ``settlement``) it is
    past SMS_PARTS parts. None when it fits."""
    values: dict[str, object] = {name: "王" * length for name, length in PLAUSIBLE.items()}
    values.update(title=title, amount=amount, settlement=settlement)
    pieces = []
    for text, field in _parts(template):
        pieces.append(text)
        if field is not None:
            pieces.append(str(values[field]))
    message = "".join(pieces)
    if sms_parts(message) <= SMS_PARTS:
        return None
    return InvalidInput(
        "with long values (a name of {name} characters, a project name of {project}) a "
        "message is {length} characters, more than {parts} SMS parts ({most}): such messages "
        "are cut",
        name=PLAUSIBLE["name"],
        project=PLAUSIBLE["project"],
        length=sms_units(message),
        parts=SMS_PARTS,
        most=MESSAGE_MAX,
    )
