"""Who runs a command, and how it was typed: what the audit log names and the journal of
changes keeps with each entry (``store/journal.py``), given to the unit of work
(``store/unit.py``) by the CLI (``cli/context.py``, ``actor``: the one place it is decided)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Actor:
    """Who runs a command: the operating-system user, and the person at a shared account
    (``--as NAME`` or ``$SIXPLUSTWO_USER``) where one is named. On a server the database role
    is the third name, the one the server vouches for: the store asks the connection for it
    (``Database.role``), so that no command line can claim it."""

    os_user: str | None = None
    name: str | None = None

    @property
    def person(self) -> str | None:
        """The person a journal entry and an audit line name: the one named, else the
        operating-system user."""
        return self.name or self.os_user


@dataclass(frozen=True)
class Command:
    """Who runs a command, and how it was typed."""

    actor: Actor = field(default_factory=Actor)
    argv: Sequence[str] = ()

    @property
    def user(self) -> str | None:
        """The person (see ``Actor.person``)."""
        return self.actor.person


def who(person: str | None, role: str | None) -> str:
    """Who did it, as the audit log and ``undo`` name them: on a server the database role
    first (the server vouches for it), the person beside it as a hint ("office_hz (陈静)");
    on a file the person."""
    if role is None:
        return person or "?"
    return f"{role} ({person})" if person and person != role else role
