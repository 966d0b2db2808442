"""Who runs a command, and how it was typed: what the audit log names and the journal of
changes keeps with each entry (``store/journal.py``), given to the unit of work
(``store/unit.py``) by the CLI."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    """Who runs a command, and how it was typed."""

    user: str | None = None
    argv: Sequence[str] = ()
