"""Hostile text: what may be stored, how it is shown on a terminal, how it goes into a CSV.

Three guarantees, each one function here, used everywhere:

- ``visible(text)``: what a terminal is given. Control characters (C0, DEL, C1), the
  bidirectional marks, overrides and isolates (U+200E/F, U+061C, U+202A–U+202E,
  U+2066–U+2069), the line and paragraph separators (U+2028/9) and lone surrogates are shown
  as escapes (``\\x1b``, ``\\u202e``), so that no stored text can move the cursor, set the
  window title, plant a link (OSC 8), clear the screen or reverse a line.
- ``check_line`` / ``check_note``: what may be stored. One-line fields (names, units,
  butlers, tags, project codes and names, channels …) refuse every such character; notes
  keep newlines and tabs (a Windows ``\\r\\n`` becomes ``\\n``) and refuse the rest. Every
  field has a maximum length (``LIMITS``). A one-line value with no visible character (only
  zero-width, format, space or combining characters: ``invisible``) is refused. A refusal
  names the field.
- ``safe_cell(text)``: a CSV cell a spreadsheet cannot run (OWASP CSV injection).

The checks are precompiled regular expressions behind ``str.isprintable`` (false for every
character they match): a million-row import runs them per row.
"""

from __future__ import annotations

import re
import unicodedata

from sixplustwo.domain.errors import InvalidInput
from sixplustwo.domain.fields import FieldName

# C0 controls, DEL and C1 controls; bidi marks, embeddings, overrides and isolates; the
# Unicode line and paragraph separators; surrogates (undecodable bytes in an argument).
_MARKS = "\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
UNSAFE = re.compile(f"[\x00-\x1f{_MARKS}]")
# In a note: the same, but for tab (\x09) and newline (\x0a).
UNSAFE_IN_NOTE = re.compile(f"[\x00-\x08\x0b-\x1f{_MARKS}]")

# Maximum lengths, in characters, of every stored text field (docs/data-rules.md: "Hostile text").
NAME_MAX = 100  # an owner's name (a company as customer included)
UNIT_MAX = 50
BUTLER_MAX = 50
TAG_MAX = 100
CODE_MAX = 32  # a project's code
PROJECT_NAME_MAX = 100
CITY_MAX = 50
KIND_MAX = 50  # an event's or milestone's kind
CHANNEL_MAX = 50
SOURCE_MAX = 100  # a survey's source
NOTE_MAX = 2000  # notes, case texts, checklist remarks, survey comments
LIMITS = {
    "name": NAME_MAX,
    "unit": UNIT_MAX,
    "butler": BUTLER_MAX,
    "tag": TAG_MAX,
    "project": CODE_MAX,
    "code": CODE_MAX,
    "project name": PROJECT_NAME_MAX,
    "city": CITY_MAX,
    "kind": KIND_MAX,
    "channel": CHANNEL_MAX,
    "source": SOURCE_MAX,
    "note": NOTE_MAX,
}


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with every character that could drive a terminal shown as an escape."""
    # isprintable() is false for every character UNSAFE matches, and ~5x cheaper.
    return text if text.isprintable() else UNSAFE.sub(_escape, text)


def visible_lines(text: str) -> str:
    """``visible``, but newlines and tabs stay: for text printed as several lines."""
    return UNSAFE_IN_NOTE.sub(_escape, text)


def _refused(found: re.Match[str]) -> InvalidInput:
    return InvalidInput(
        "control or bidirectional character {char} is not allowed (character {position})",
        char=_escape(found),
        position=found.start() + 1,
    )


def _too_long(value: str, most: int) -> InvalidInput:
    return InvalidInput(
        "{length} characters is too long (at most {most})", length=len(value), most=most
    )


def invisible(value: str) -> bool:
    """No character of ``value`` shows: it has no letter, number, punctuation or symbol
    (Unicode categories L, N, P, S), only format characters (Cf: zero-width spaces and
    joiners, the byte order mark), spaces (Z), combining marks (M) or controls. ``王伟``,
    ``Zoë`` and ``阿卜杜拉·买买提`` show; ``\u200b\u200d`` does not."""
    if value[:1].isalnum():  # a letter or number first: the usual case, decided at once
        return False
    return not any(unicodedata.category(char)[0] in "LNPS" for char in value)


def line_problem(value: str, most: int) -> InvalidInput | None:
    """Why a one-line text cannot be stored (too long; a control or bidi character; nothing
    in it that shows), or None. The reason alone: the caller names the field."""
    if len(value) > most:
        return _too_long(value, most)
    found = None if value.isprintable() else UNSAFE.search(value)
    if found:
        return _refused(found)
    if value and invisible(value):
        return InvalidInput("no visible character: only zero-width, space or combining characters")
    return None


def note_problem(value: str, most: int = NOTE_MAX) -> InvalidInput | None:
    """``line_problem`` for a note, which may hold tabs and newlines (``\r\n`` included)."""
    if len(value) > most:
        return _too_long(value, most)
    found = None if value.isprintable() else UNSAFE_IN_NOTE.search(value.replace("\r\n", "\n"))
    return _refused(found) if found else None


def _field_error(field: str, reason: InvalidInput) -> InvalidInput:
    return InvalidInput("{field}: {reason}", field=FieldName(field), reason=reason)


def check_line(field: str, value: str, most: int) -> str:
    """A one-line text field as given, or InvalidInput naming ``field``: no control or bidi
    character, at most ``most`` characters."""
    problem = line_problem(value, most)
    if problem:
        raise _field_error(field, problem)
    return value


def check_note(field: str, value: str, most: int = NOTE_MAX) -> str:
    """A note as stored: newlines and tabs kept (``\r\n`` becomes ``\n``), other control
    and bidi characters refused, at most ``most`` characters."""
    value = value.replace("\r\n", "\n") if "\r" in value else value
    problem = note_problem(value, most)
    if problem:
        raise _field_error(field, problem)
    return value


def optional_line(field: str, value: str | None, most: int) -> str | None:
    return None if value is None else check_line(field, value, most)


def optional_note(field: str, value: str | None, most: int = NOTE_MAX) -> str | None:
    return None if value is None else check_note(field, value, most)


# CSV injection (OWASP): a cell a spreadsheet would read as a formula starts with one of
# these; it gets a leading apostrophe, which Excel, WPS and LibreOffice show as text. A cell
# that is a plain number (a phone stored as +85291234567, a step "+1", "-3") is no formula
# and is left as it is.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")


def safe_cell(value: str) -> str:
    """A text cell neutralised for spreadsheets (see FORMULA_START)."""
    if value.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value
