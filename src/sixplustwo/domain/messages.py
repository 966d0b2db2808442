"""SMS messages rendered from a rule's Chinese template.

A template is data, not code: text with ``{placeholder}`` fields from ``PLACEHOLDERS`` and
nothing else (``{{`` and ``}}`` for a brace). No attribute or index access
(``{name.__class__}``, ``{name[0]}``), no conversion (``{name!r}``), no format spec
(``{name:>30000000}``): a playbook that has one is refused when it is read
(``template_problem``), and ``render_message`` never calls ``str.format``, so that even a
template that was not checked cannot reach an attribute or allocate a width.

Length: an SMS is 70 Chinese characters, or 67 a part when a message is sent in parts. A
message is at most ``MESSAGE_MAX`` characters (3 parts): a template whose own text (without
its placeholders) is longer is refused; a rendered message longer than that (a long name or
project name) is cut to ``MESSAGE_MAX`` characters, the last one ``…``.
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
SMS_PART = 67  # characters of one part of a long (concatenated) Chinese SMS; 70 when alone
SMS_PARTS = 3
MESSAGE_MAX = SMS_PART * SMS_PARTS  # 201

# A field, a doubled brace, or a lone brace (an error).
_FIELD = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_KNOWN = frozenset(PLACEHOLDERS)


def template_problem(template: str) -> InvalidInput | None:
    """Why ``template`` cannot be a message template, or None."""
    literal = 0
    last = 0
    for match in _FIELD.finditer(template):
        literal += match.start() - last
        last = match.end()
        token = match.group()
        if token in ("{{", "}}"):
            literal += 1
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
    literal += len(template) - last
    if literal > MESSAGE_MAX:
        return InvalidInput(
            "the text is {length} characters without its placeholders; a message is at most "
            "{most} ({parts} SMS parts of {part})",
            length=literal,
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
    then cut to MESSAGE_MAX characters."""
    pieces = []
    for text, field in _parts(template):
        pieces.append(text)
        if field is not None:
            value = values.get(field)
            pieces.append("" if value is None else str(value))
    message = "".join(pieces)
    if len(message) > MESSAGE_MAX:
        message = message[: MESSAGE_MAX - 1] + "…"
    return message
