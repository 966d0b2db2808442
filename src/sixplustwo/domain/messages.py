"""SMS messages rendered from a rule's Chinese template."""

from __future__ import annotations

from collections.abc import Mapping


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def render_message(template: str, values: Mapping[str, object]) -> str:
    """Fill ``{name}``-style placeholders; an unknown or empty placeholder becomes ''."""
    # Dates print as ISO dates (str of a date), numbers as numbers.
    known = _Blank({key: "" if value is None else value for key, value in values.items()})
    try:
        return template.format_map(known)
    except (ValueError, IndexError, AttributeError, TypeError):
        # A malformed template (a stray brace) is shown as written rather than failing a cron run.
        return template
