"""``sixplustwo owner import``: customers from a sales-system file, all rows or none; a
large file read in a second process, a progress bar for whoever watches."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import typer

from sixplustwo.cli.context import (
    RollBack,
    open_database,
    playbook_in_force,
    refuse_bad_rows,
    today,
)
from sixplustwo.cli.messages import _
from sixplustwo.cli.options import FORMAT_OPTION, Format
from sixplustwo.cli.render import emit_json, to_terminal
from sixplustwo.domain.text import visible


def import_owners(
    ctx: typer.Context,
    file: Path = typer.Argument(..., metavar="FILE", help="CSV (UTF-8 or GB18030) or XLSX file."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Check every row, write nothing; count what would change."
    ),
    update: bool = typer.Option(
        False,
        "--update",
        help="Update customers already there (same project and unit, or owner id): only the "
        "file's columns, and only its non-empty cells.",
    ),
    clear_empty: bool = typer.Option(
        False, "--clear-empty", help="With --update: an empty cell clears the stored value."
    ),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Import customers from a sales-system file: all rows or none."""
    from sixplustwo.cli.messages import warning_line
    from sixplustwo.domain.errors import InvalidInput, SixPlusTwoError
    from sixplustwo.io.importing import OwnerFile

    if clear_empty and not update:
        raise InvalidInput("--clear-empty works with --update")
    day = today()
    owner_file = OwnerFile(file, day, update=update)
    if owner_file.ignored:
        ignored = SixPlusTwoError(
            "ignored columns: {columns}", columns=", ".join(owner_file.ignored)
        )
        typer.echo(warning_line(ignored), err=True)
    scratch = _scratch_database(ctx) if dry_run else None
    try:
        _import(ctx, owner_file, file, day, dry_run, update, clear_empty, fmt, scratch)
    finally:
        if scratch is not None:
            scratch.cleanup()


def _scratch_database(ctx: typer.Context):
    """For a dry run where there is no database yet: a throwaway one in a temporary folder,
    removed after (the rows are checked as on a new installation; nothing is created)."""
    import tempfile

    from sixplustwo.cli.context import db_option
    from sixplustwo.cli.messages import warning_line
    from sixplustwo.domain.errors import SixPlusTwoError
    from sixplustwo.store.database import require_database

    try:
        require_database(db_option(ctx))
    except SixPlusTwoError as exc:
        if exc.msgid != "no database at {path}":
            raise
        notice = SixPlusTwoError(
            "{error} yet: the rows are checked as on a new installation, and nothing is created",
            error=exc,
        )
        typer.echo(warning_line(notice), err=True)
        return tempfile.TemporaryDirectory(prefix="sixplustwo-dry-run-")
    return None


@contextmanager
def _database(ctx: typer.Context, scratch, *, write: bool, create: bool):
    if scratch is None:
        with open_database(ctx, write=write, create=create) as db:
            yield db
        return
    from sixplustwo.store.database import open_database as open_db

    with open_db(Path(scratch.name) / "dry-run.db", write=write, create=True) as db:
        yield db


def _import(ctx, owner_file, file, day, dry_run, update, clear_empty, fmt, scratch) -> None:
    from sixplustwo.cli.messages import warning_line
    from sixplustwo.domain.errors import SixPlusTwoError
    from sixplustwo.io.background import BackgroundRows, can_fork
    from sixplustwo.io.referrers import referrer_texts
    from sixplustwo.store.bulk import import_owners as import_rows
    from sixplustwo.store.bulk import insert_rows, load_projects, update_owners, update_rows
    from sixplustwo.store.history import due_before_today, max_owner_id
    from sixplustwo.store.search import resolve_owners

    expected = owner_file.estimated_rows()
    history = 0  # actions of the new owners due before today (store/history.py)
    texts = referrer_texts(owner_file, lambda: type(owner_file)(file, day, update=update))
    with _database(ctx, scratch, write=False, create=not dry_run) as db:
        projects = load_projects(db)
        # Referrers named as any owner-taking command names them (io/referrers.py).
        owner_file.referrers = resolve_owners(db, sorted(texts))
    if update:
        rows = update_rows(owner_file.updates(clear_empty), projects)
    else:
        rows = insert_rows(owner_file.values(), projects)
    # A large file is read, checked and laid out as insert rows by a second process while
    # this one inserts; it is started while no database connection is open.
    reader = (
        BackgroundRows(rows, str(file))
        if expected >= _BACKGROUND_FROM_ROWS and can_fork()
        else nullcontext(rows)
    )
    try:
        # A dry run writes too, and rolls back: every row is checked against the database.
        with (
            reader as rows,
            _database(ctx, scratch, write=True, create=not dry_run) as connection,
            _progress(expected) as advance,
        ):
            if update:
                result = update_owners(
                    connection,
                    rows,
                    day,
                    labels=owner_file.headers(),
                    progress=advance,
                    expected_rows=expected,
                )
            else:
                before = max_owner_id(connection)
                result = import_rows(connection, rows, progress=advance, expected_rows=expected)
                if not result.problems:  # the dry run's rows too, before they are rolled back
                    book = playbook_in_force(ctx, connection)
                    history = due_before_today(connection, book, day, before)
            if result.problems or dry_run:
                raise RollBack
    except RollBack:
        pass
    _refuse_bad_rows(file, result)
    written = not dry_run
    # What the run adds and, per column of an update file, how many stored values change.
    columns = owner_file.updated_columns() if update else {}
    changes = {"new": result.inserted, **{f: result.changes.get(f, 0) for f in columns}}
    summary = {
        "rows": result.rows,
        "imported": result.inserted if written else 0,
        "updated": result.updated if written else 0,
        "dry_run": dry_run,
        "changes": changes,
    }
    if update:  # rows naming owners erased on request, left alone
        summary["forgotten"] = result.forgotten_count
    # The end of the run in a few figures (fields added, never removed): owners new, changed
    # and unchanged, rows set aside (naming owners erased on request), columns ignored.
    summary.update(
        new=result.inserted,
        changed=result.updated - result.unchanged,
        unchanged=result.unchanged,
        set_aside=result.forgotten_count,
        ignored_columns=list(owner_file.ignored),
    )
    if result.forgotten_count:
        rows_named = ", ".join(map(str, result.forgotten_rows))
        if result.forgotten_count > len(result.forgotten_rows):
            rows_named += ", …"
        left = SixPlusTwoError(
            "{count} rows name customers erased on request (owner forget), left as they are: "
            "row {rows}",
            count=result.forgotten_count,
            rows=rows_named,
        )
        typer.echo(warning_line(left), err=True)
    if history:  # the ledger's past would read as overdue and missed work (on stderr)
        said = SixPlusTwoError(
            "{count} actions of the new customers fell due before today and would show as "
            "overdue or missed; if that is history from before the team used the tool, set "
            "the day it started: sixplustwo playbook --go-live YYYY-MM-DD",
            count=history,
        )
        typer.echo(warning_line(said), err=True)
    if fmt is Format.json:
        emit_json(summary)
        return
    if dry_run:
        typer.echo(
            _("{file}: {rows} rows valid (dry run, nothing written)").format(
                file=file, rows=result.rows
            )
        )
    else:
        typer.echo(
            _("{file}: imported {inserted} customers, updated {updated}").format(
                file=file, inserted=result.inserted, updated=result.updated
            )
        )
    if dry_run or update:
        typer.echo(_("new owners: {count}").format(count=result.inserted))
        for field, header in columns.items():
            typer.echo(_("{column}: {count} changed").format(column=header, count=changes[field]))
    said = _("summary: {new} new, {changed} updated, {unchanged} unchanged, {set_aside} set aside")
    said = said.format(**{k: summary[k] for k in ("new", "changed", "unchanged", "set_aside")})
    if owner_file.ignored:
        said += _("; columns ignored: {columns}").format(columns=", ".join(owner_file.ignored))
    typer.echo(visible(said))


def _refuse_bad_rows(file: Path, result) -> None:
    """The bad rows on stderr, a problem repeated on many rows folded into one line with its
    count and row ranges (and, for an unknown project, the command that adds it); then the
    one-line refusal."""
    if not any(count > 1 for _, count, _ in result.folds.values()):
        refuse_bad_rows(file, result.problems, result.problem_count)
        return
    from sixplustwo.cli.messages import text
    from sixplustwo.domain.errors import InvalidInput

    shown = 0
    for problem, count, ranges in result.folds.values():
        if shown >= result.SHOWN_PROBLEMS:
            break
        shown += 1
        if count == 1:
            typer.echo(text(problem), err=True)
            continue
        rows = ", ".join(f"{a}–{b}" if b > a else str(a) for a, b in ranges)
        if sum(b - a + 1 for a, b in ranges) < count:
            rows += ", …"
        if problem.msgid == "row {row}, project: unknown project {code!r}":
            code = problem.params["code"]
            line = InvalidInput(
                "unknown project {code!r}: rows {rows}, {count} rows; first run sixplustwo "
                "project add CODE --name {code}",
                code=code,
                rows=rows,
                count=count,
            )
        else:
            line = InvalidInput(
                "{problem}; the same on rows {rows}, {count} rows",
                problem=problem,
                rows=rows,
                count=count,
            )
        typer.echo(text(line), err=True)
    raise InvalidInput(
        "{file}: {count} bad row(s); nothing imported", file=file, count=result.problem_count
    )


_PROGRESS_FROM_ROWS = 5000


_BACKGROUND_FROM_ROWS = 20_000


@contextmanager
def _progress(total: int) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr for files big enough to wait for, when someone watches: in a
    cron job's log or a pipe it would leave an empty line."""
    if total < _PROGRESS_FROM_ROWS or not to_terminal(sys.stderr):
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    # Refreshed by the import itself, once per batch: rich's own refresh thread would contend
    # for the GIL with SQLite's, which gives it up on every row (~4 s at a million rows).
    with Progress(console=Console(stderr=True), transient=True, auto_refresh=False) as bar:
        task = bar.add_task(_("importing"), total=total)

        def advance(count: int) -> None:
            bar.advance(task, count)
            bar.refresh()

        yield advance
