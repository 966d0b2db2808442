"""A butler at a shell: ``--as NAME`` (or ``$SIXPLUSTWO_USER``) naming a butler who logs in to
the page (``sixplustwo user add NAME --role butler``) gives the CLI that butler's scope, the
page's own (``store/scope.py``): ``due``, ``done``, ``action show``, ``owner show`` and
``case open`` see and change only their owners, and another butler's id is not found, as a
missing one is. Every other command is refused for them, before it opens the database
(``cli/context.db_option``): a butler's shell on the shared server imports, exports and edits
nothing. A manager, a name that is no user, or no name at all:
the office's CLI as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from sixplustwo.cli.context import SCOPED, page_user
from sixplustwo.domain.errors import InvalidInput

if TYPE_CHECKING:
    from sixplustwo.store.database import Database
    from sixplustwo.store.scope import Scope


def takes_scope(ctx: typer.Context) -> None:
    """Called by a command that reads and writes within a butler's scope."""
    ctx.meta[SCOPED] = True


def scope_of(ctx: typer.Context, db: Database) -> Scope:
    """What the person may see: a butler user's owners, else everything."""
    from sixplustwo.store.scope import scope

    user = page_user(ctx, db)
    if user is not None and user.disabled and not user.is_manager:
        raise InvalidInput("user {name} is disabled", name=user.name)
    return scope(user if user is not None and user.role == "butler" else None)
