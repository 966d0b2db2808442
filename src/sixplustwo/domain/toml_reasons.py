"""What Python's TOML reader says when a playbook file is not TOML, as message ids (issue 28:
no English reason under a Chinese interface); a reason not among them is shown as worded.
"""

from __future__ import annotations

import re

from sixplustwo.domain.errors import N_, InvalidInput

TOML_POSITION = re.compile(r"\s*\(at line (\d+), column \d+\)\s*$")
TOML_END = " (at end of document)"
# What Python's TOML reader says, as message ids (issue 28: no English reason under Chinese);
# a reason not among them is shown as the reader words it.
TOML_REASONS = (
    N_("Cannot declare {key} twice"),
    N_("Cannot mutate immutable namespace {key}"),
    N_("Cannot overwrite a value"),
    N_("Cannot redefine namespace {key}"),
    N_("Duplicate inline table key {key}"),
    N_("Escaped character is not a Unicode scalar value"),
    N_("Expected '=' after a key in a key/value pair"),
    N_("Expected ']' at the end of a table declaration"),
    N_("Expected ']]' at the end of an array declaration"),
    N_("Expected {expected}"),
    N_("Found invalid character {char}"),
    N_("Illegal character {char}"),
    N_("Invalid date or datetime"),
    N_("Invalid hex value"),
    N_("Invalid initial character for a key part"),
    N_("Invalid statement"),
    N_("Invalid value"),
    N_("Unclosed array"),
    N_("Unclosed inline table"),
    N_("Unescaped '\\' in a string"),
    N_("Unterminated string"),
)


def toml_reason(reason: str) -> InvalidInput | str:
    """The TOML reader's reason as one of :data:`TOML_REASONS`, else as it is."""
    for msgid in TOML_REASONS:
        parts = re.split(r"\{(\w+)\}", msgid)
        pattern = "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+)" for i, part in enumerate(parts)
        )
        found = re.fullmatch(pattern, reason.strip())
        if found:
            return InvalidInput(msgid, **found.groupdict())
    return reason
