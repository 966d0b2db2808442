"""A butler at a shell: ``--as NAME`` (or ``$SIXPLUSTWO_USER``) naming a butler who logs in to
the page (``sixplustwo user add NAME --role butler``) gives the CLI that butler's scope, the
page's own (``store/scope.py``): ``due``, ``done``, ``action show``, ``owner show`` and
``case open`` see and change only their owners, and another butler's id is not found, as a
missing one is. Every other command is refused for them, before it opens the database
(``guard``, called by ``cli/context.db_option``): a butler's shell on the shared server
imports, exports and edits nothing. A manager, a name that is no user, or no name at all:
the office's CLI as before.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import typer

from sixplustwo.domain.errors import InvalidInput

if TYPE_CHECKING:
    from sixplustwo.store.database import Database
    from sixplustwo.store.scope import Scope
    from sixplustwo.store.users import User

_SCOPED = "sixplustwo.scoped"  # ctx.meta: this command takes a butler's scope
_USER = "sixplustwo.user"  # ctx.meta: the page's user the person is, once looked up


def person(ctx: typer.Context) -> str | None:
    """The person at the keyboard: ``--as NAME``, else ``$SIXPLUSTWO_USER``."""
    given = (ctx.find_root().obj or {}).get("as")
    if given is None:
        given = os.environ.get("SIXPLUSTWO_USER") or None
    return given.strip() if given else None


def takes_scope(ctx: typer.Context) -> None:
    """Called by a command that reads and writes within a butler's scope."""
    ctx.meta[_SCOPED] = True


def _user(ctx: typer.Context, db: Database) -> User | None:
    if _USER not in ctx.meta:
        name = person(ctx)
        from sixplustwo.store.users import Users

        ctx.meta[_USER] = Users(db).find(name) if name else None
    return ctx.meta[_USER]


def scope_of(ctx: typer.Context, db: Database) -> Scope:
    """What the person may see: a butler user's owners, else everything."""
    from sixplustwo.store.scope import scope

    user = _user(ctx, db)
    if user is not None and user.disabled and not user.is_manager:
        raise InvalidInput("user {name} is disabled", name=user.name)
    return scope(user if user is not None and user.role == "butler" else None)


def guard(ctx: typer.Context, target: str | None) -> None:
    """Refuse a command that does not take a butler's scope when the person is a butler."""
    if ctx.meta.get(_SCOPED) or not person(ctx):
        return
    from sixplustwo.domain.errors import SixPlusTwoError
    from sixplustwo.store.database import open_database

    try:
        with open_database(target, write=False) as db:
            user = _user(ctx, db)
    except SixPlusTwoError:  # no database yet: the command says so itself
        return
    if user is not None and user.role == "butler":
        raise InvalidInput(
            "{name} is a butler: only due, done, action show, owner show and case open "
            "take a butler's scope",
            name=user.name,
        )
