"""What every command shares: the database option, today's date, and the command's unit of
work (one transaction, who runs it, the playbook in force)."""

from __future__ import annotations

import functools
import gc
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import typer

from sixplustwo.domain.errors import InvalidInput, SixPlusTwoError

if TYPE_CHECKING:
    from sixplustwo.domain.playbook import Playbook
    from sixplustwo.store.command import Actor
    from sixplustwo.store.database import Database
    from sixplustwo.store.queries import DueFilter, DueRow
    from sixplustwo.store.unit import Command, Store
    from sixplustwo.store.users import User


def _now() -> datetime:
    """The only place the clock is read (tests put another instant here)."""
    return datetime.now(UTC)


def today() -> date:
    """Today in the company's time zone (domain/clock.py), whatever the machine's clock."""
    from sixplustwo.domain.clock import today_in

    return today_in(company_zone(), _now())


def company_zone() -> str | None:
    """The company's time zone for this command: ``[settings] timezone`` of the playbook in
    force, else the database's ``timezone`` setting (``local`` in one made before there was
    a setting), else None (the default). Read once a command, from the database if there is
    one (a command that makes one finds none: the default)."""
    from typer._click.globals import get_current_context  # Typer 0.29 vendors click

    ctx = get_current_context(silent=True)
    root = ctx.find_root() if ctx is not None else None
    if root is not None and isinstance(root.obj, dict) and "timezone" in root.obj:
        return root.obj["timezone"]
    found = None
    if root is not None:
        from sixplustwo.store.audit import TIMEZONE_SETTING, Settings
        from sixplustwo.store.database import open_database as open_db

        try:
            with open_db(db_option(root), write=False) as db:  # type: ignore[arg-type]
                book = playbook_in_force(root, db)  # type: ignore[arg-type]
                found = book.settings.timezone or Settings(db).get(TIMEZONE_SETTING)
        except SixPlusTwoError:  # no database yet: the default (the command says the rest)
            found = None
        if isinstance(root.obj, dict):
            root.obj["timezone"] = found
    return found


def parse_day(text: str | None, what: str) -> date | None:
    from sixplustwo.domain.dates import parse_optional_date

    return parse_optional_date(text, what=what)


def day_or_today(text: str | None, what: str = "--date") -> date:
    return parse_day(text, what) or today()


def db_option(ctx: typer.Context) -> str | None:
    """The database a command uses; refused to a butler at a shell for a command that does
    not take their scope (cli/scoped.py)."""
    target = (ctx.find_root().obj or {}).get("db")
    _refuse_a_butler(ctx, target)
    return target


SCOPED = "sixplustwo.scoped"  # ctx.meta: this command takes a butler's scope (cli/scoped.py)
USER = "sixplustwo.user"  # ctx.meta: the page's user the person is, once looked up


def person(ctx: typer.Context) -> str | None:
    """The person named at the keyboard (``actor``'s name); None when nobody is named."""
    if (ctx.find_root().obj or {}).get("as") is None and not os.environ.get("SIXPLUSTWO_USER"):
        return None  # the common case: no look-up
    return actor(ctx).name


def page_user(ctx: typer.Context, db: Database) -> User | None:
    """The page's user (``sixplustwo user add``) the person is, if any."""
    if USER not in ctx.meta:
        name = person(ctx)
        from sixplustwo.store.users import Users

        ctx.meta[USER] = Users(db).find(name) if name else None
    return ctx.meta[USER]


def _refuse_a_butler(ctx: typer.Context, target: str | None) -> None:
    """A butler at a shell may run only the commands that take their scope."""
    if ctx.meta.get(SCOPED) or not person(ctx):
        return
    from sixplustwo.store.database import open_database as open_db

    try:
        with open_db(target, write=False) as db:
            user = page_user(ctx, db)
    except SixPlusTwoError:  # no database yet: the command says so itself
        return
    if user is not None and user.role == "butler":
        raise InvalidInput(
            "{name} is a butler: only due, done, action show, owner show and case open "
            "take a butler's scope",
            name=user.name,
        )


def playbook_in_force(ctx: typer.Context, db: Database) -> Playbook:
    """``--playbook FILE`` for this run, else the one stored in the database, else the
    default; both override the default rule by rule."""
    from pathlib import Path

    from sixplustwo.domain.playbook import default_playbook, parse_playbook
    from sixplustwo.store.audit import GO_LIVE_SETTING, PLAYBOOK_SETTING, Settings

    file = (ctx.find_root().obj or {}).get("playbook")
    settings = Settings(db)
    if file:
        path = Path(file)
        if not path.is_file():
            raise InvalidInput("--playbook {file}: no such file", file=file)
        book = parse_playbook(path.read_text("utf-8"), base=default_playbook(), source=file)
        if book.settings.go_live is not None:  # this run's own go-live
            return book
    else:
        stored = settings.get(PLAYBOOK_SETTING)
        if stored:
            book = parse_playbook(stored, base=default_playbook(), source="stored playbook")
        else:
            book = default_playbook()
    return with_stored_go_live(book, settings.get(GO_LIVE_SETTING))


def with_stored_go_live(book: Playbook, stored: str | None) -> Playbook:
    """``playbook --go-live DATE``'s day, set for everyone, over the playbook's own."""
    if not stored:
        return book
    go_live = date.fromisoformat(stored)
    return book if book.settings.go_live == go_live else book.with_settings(go_live=go_live)


PERSON_MAX = 40  # the longest name --as and $SIXPLUSTWO_USER take


def actor(ctx: typer.Context | None = None) -> Actor:
    """Who runs this command: the one place it is decided. The operating-system user, and
    the person at a shared account: the global ``--as NAME``, else ``$SIXPLUSTWO_USER``
    (empty: none). On a server the journal and the audit log also record the database role,
    which the store asks the connection for."""
    import getpass

    from sixplustwo.domain.text import check_line
    from sixplustwo.store.command import Actor

    try:
        os_user: str | None = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a bare container)
        os_user = str(os.getuid()) if hasattr(os, "getuid") else None
    given = (ctx.find_root().obj or {}).get("as") if ctx is not None else None
    option = "--as"
    if given is None:
        given, option = os.environ.get("SIXPLUSTWO_USER") or None, "SIXPLUSTWO_USER"
    if given is not None:
        given = check_line(option, given.strip(), PERSON_MAX)
        if not given:
            raise InvalidInput("{option} is empty: name the person at this account",
                               option=option)  # fmt: skip
    return Actor(os_user=os_user, name=given)


def command_line(ctx: typer.Context | None = None) -> Command:
    """Who runs this command (``actor``) and its argument line (as the command was given:
    ``cli/app.py`` keeps it, else the process's)."""
    import sys

    from sixplustwo.store.unit import Command

    argv = ctx.meta.get("argv") if ctx is not None else None
    return Command(actor=actor(ctx), argv=tuple(sys.argv[1:] if argv is None else argv))


@contextmanager
def open_database(ctx: typer.Context, *, write: bool, create: bool = False) -> Iterator[Database]:
    """The command's database in one transaction (the fast path: no store aggregates).
    Only the commands that add data pass ``create``: any other stops with
    ``no database at PATH`` where there is none, and creates nothing. A writing command's
    changes are journaled, for ``undo``."""
    from sixplustwo.store.database import open_database as open_db

    with open_db(db_option(ctx), write=write, create=create) as db:
        if not write:
            yield db
            return
        from sixplustwo.store.journal import Journal

        with Journal.kept(db, command_line(ctx)):
            yield db


@contextmanager
def open_store(ctx: typer.Context, *, write: bool, create: bool = False) -> Iterator[Store]:
    """The command's unit of work: one transaction, who runs it, the playbook in force.
    ``write=False`` is a read: it takes no write lock and writes nothing. ``create``: make
    the database if there is none (only the commands that add data)."""
    from sixplustwo.store.unit import Store

    with open_database(ctx, write=write, create=create) as db:
        yield Store(db, playbook_in_force(ctx, db), command_line(ctx))


WORKDAYS_OPTION = typer.Option(
    False,
    "--workdays",
    help="Move due dates off weekends and public holidays to the next working day (调休 aware).",
)


def with_workdays(book: Playbook, workdays: bool) -> Playbook:
    return book.with_settings(workdays=True) if workdays and not book.settings.workdays else book


def warn_unpublished_years(book: Playbook, day: date, rows: Iterable[DueRow]) -> None:
    """With working days on, a year whose official holiday schedule is not published yet
    counts weekends only: say so on stderr for the years of ``day`` and the rows' due dates.
    The rows are only looked at when working days are on."""
    if not book.settings.workdays:
        return
    from sixplustwo.domain.calendars import has_official_schedule

    years = {day.year} | {row.action.due_on.year for row in rows}
    for year in sorted(years):
        if not has_official_schedule(year):
            from sixplustwo.cli.messages import warning_line

            warning = SixPlusTwoError(
                "no official {year} holiday schedule yet; "
                "working days in {year} skip weekends only",
                year=year,
            )
            typer.echo(warning_line(warning), err=True)


class RollBack(Exception):
    """Leaves a command's transaction without writing (a dry run, or bad rows)."""


def refuse_bad_rows(file: object, problems: list, count: int) -> None:
    """The first problems on stderr, one per line, then the one-line refusal (exit 1)."""
    if not count:
        return
    from sixplustwo.cli.messages import text

    for problem in problems:
        typer.echo(text(problem), err=True)
    hidden = count - len(problems)
    if hidden:
        raise InvalidInput(
            "{file}: {count} bad row(s), {hidden} not shown; nothing imported",
            file=file,
            count=count,
            hidden=hidden,
        )
    raise InvalidInput("{file}: {count} bad row(s); nothing imported", file=file, count=count)


MEMBERSHIP_OPTION = typer.Option(
    None,
    "--membership",
    metavar="TIER",
    help="Only owners of this membership tier (铂金卡, 金卡, 银卡, 蓝卡).",
)


def checked_tier(book: Playbook, tier: str | None) -> str | None:
    if tier is not None and tier not in {t.name for t in book.tiers}:
        names = ", ".join(t.name for t in book.tiers)
        raise InvalidInput("--membership {tier}: tiers are {names}", tier=tier, names=names)
    return tier


# Objects a command has finished with, kept for os._exit to drop (``keep_until_exit``).
_KEPT: list[object] = []
_TEARDOWN_SKIPPABLE = False


def skip_teardown_allowed() -> None:
    """Called by the installed script's ``main`` (never by tests' CliRunner): a command that
    printed a large list may end the process without freeing it (``keep_until_exit``)."""
    global _TEARDOWN_SKIPPABLE
    _TEARDOWN_SKIPPABLE = True


def keep_until_exit(*objects: object) -> None:
    """A listing command's rows, records and output, done with once printed: freeing ~100k
    of them one by one takes ~0.1 s at a million owners (measured), so when the installed
    script runs the command they are kept, and ``main`` ends the process with ``os._exit``
    once stdout and stderr are flushed (as Instagram's servers do). The database is closed
    by then."""
    if _TEARDOWN_SKIPPABLE:
        _KEPT.extend(objects)


def kept_until_exit() -> bool:
    return bool(_KEPT)


def without_cycle_collection(command: Callable[..., None]) -> Callable[..., None]:
    """A command that lists a whole company's actions runs without cyclic garbage
    collection: the ~100k actions, rows and records it makes hold no cycles, and the
    collections they set off cost ~12% of `due` at a million owners (measured). The process
    ends with the command."""

    @functools.wraps(command)
    def run(*args: object, **kwargs: object) -> None:
        collecting = gc.isenabled()
        gc.disable()
        try:
            command(*args, **kwargs)
        finally:
            if collecting:
                gc.enable()

    return run


def due_list(
    ctx: typer.Context,
    connection: Database,
    day: date,
    where: DueFilter,
    *,
    workdays: bool,
    membership: str | None,
) -> tuple[Playbook, list[DueRow]]:
    """The day's listed actions as ``due`` and ``export`` show them: the playbook in force
    (moved onto working days if asked), only the tier asked for, and a warning on stderr for a
    year whose holiday schedule is not published yet."""
    from dataclasses import replace

    from sixplustwo.store.queries import due_rows

    book = with_workdays(playbook_in_force(ctx, connection), workdays)
    where = replace(where, membership=checked_tier(book, membership))
    rows = due_rows(connection, book, day, where)
    warn_unpublished_years(book, day, rows)
    return book, rows


def warn_unknown_butler(db: Database, butler: str | None, *, new: bool = False) -> None:
    """A ``--butler`` no customer has: a warning on stderr naming the butlers there are,
    nearest first (a typo finds nothing, silently, otherwise). ``new``: the butler is being
    given customers (``owner assign``), so only say that the name is new. One indexed lookup
    when the butler is known."""
    from sixplustwo.store.search import butler_known, butlers

    if butler is None or butler_known(db, butler):
        return
    from sixplustwo.cli.messages import warning_line

    if new:
        warning = SixPlusTwoError("{butler} is a new butler: no customer had them yet",
                                  butler=butler)  # fmt: skip
        typer.echo(warning_line(warning), err=True)
        return
    import difflib

    names = butlers(db)
    if not names:
        warning = SixPlusTwoError("unknown butler {butler}: no customer has a butler yet",
                                  butler=butler)  # fmt: skip
        typer.echo(warning_line(warning), err=True)
        return
    nearest = difflib.get_close_matches(butler, names, n=3, cutoff=0.3)
    ranked = nearest + sorted(
        (name for name in names if name not in nearest),
        key=lambda name: -difflib.SequenceMatcher(None, butler, name).ratio(),
    )
    shown = ", ".join(ranked[:_BUTLERS_SHOWN]) + (", …" if len(ranked) > _BUTLERS_SHOWN else "")
    if nearest:
        warning = SixPlusTwoError(
            "unknown butler {butler}: did you mean {nearest}? (butlers: {names})",
            butler=butler,
            nearest=nearest[0],
            names=shown,
        )
    else:
        warning = SixPlusTwoError(
            "unknown butler {butler} (butlers: {names})", butler=butler, names=shown
        )
    typer.echo(warning_line(warning), err=True)


_BUTLERS_SHOWN = 10
