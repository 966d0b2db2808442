"""What every command shares: the database option, today's date, the open store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from sixplustwo.store.repository import Store


def today() -> date:
    """The only place the clock is read."""
    return date.today()


def parse_day(text: str | None, what: str) -> date | None:
    from sixplustwo.domain.dates import parse_optional_date

    return parse_optional_date(text, what=what)


def day_or_today(text: str | None, what: str = "--date") -> date:
    return parse_day(text, what) or today()


def db_option(ctx: typer.Context) -> str | None:
    return (ctx.find_root().obj or {}).get("db")


@contextmanager
def open_store(ctx: typer.Context, *, write: bool) -> Iterator[Store]:
    from sixplustwo.domain.playbook import default_playbook
    from sixplustwo.store.db import open_session
    from sixplustwo.store.repository import Store

    with open_session(db_option(ctx), write=write) as session:
        yield Store(session, default_playbook())
