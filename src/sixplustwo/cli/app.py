"""The ``sixplustwo`` command. Domain errors become one line on stderr and exit status 1."""

from __future__ import annotations

import contextlib
from typing import Any

import typer
from typer.core import TyperGroup

from sixplustwo.cli import compat
from sixplustwo.domain.errors import SixPlusTwoError


class AppGroup(TyperGroup):
    """Maps errors caused by input to one line on stderr and exit 1 (usage errors stay 2)."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        # The language is chosen as the command runs (SIXPLUSTWO_LANG, else the locale), and
        # Typer's words and the help texts are put in it: see cli/messages.py, cli/compat.py.
        from sixplustwo.cli.messages import install

        install()
        compat.localise(self)
        return super().main(*args, **kwargs)

    def make_context(self, info_name: Any, args: Any, parent: Any = None, **extra: Any) -> Any:
        argv = tuple(args)  # the command line as given, for the journal of changes (undo)
        ctx = super().make_context(info_name, args, parent, **extra)
        ctx.meta["argv"] = argv
        return ctx

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        # `export receipts FILE` reads a delivery report; `export --format …` writes a file.
        if len(args) > 1 and args[0] == "export" and args[1] == "receipts":
            return "export receipts", self.get_command(ctx, "export receipts"), args[2:]
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except SixPlusTwoError as exc:
            from sixplustwo.cli.messages import error_line

            typer.echo(error_line(exc), err=True)
            raise typer.Exit(1) from None
        except BrokenPipeError:
            # The reader has gone (`owner list | head -1`): stop quietly, as `head` expects,
            # and point stdout at nothing so that the last flush at exit cannot fail again.
            import os
            import sys

            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise typer.Exit(0) from None
        except OSError as exc:
            from sixplustwo.cli.messages import error_line, os_error

            typer.echo(error_line(os_error(exc)), err=True)
            raise typer.Exit(1) from None


# Plain values skip Typer's pydantic coercion (~0.15 s per command): see cli/compat.py.
compat.install()

app = typer.Typer(
    cls=AppGroup,
    name="sixplustwo",
    help="The 6+2 customer-service steps (客户服务6+2步法) as a customer butler's daily list.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from sixplustwo import __version__

        typer.echo(f"sixplustwo {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: str | None = typer.Option(
        None,
        "--db",
        metavar="PATH|URL",
        help="Database: a file or a postgresql:// URL (else $SIXPLUSTWO_DB, else a file in "
        "the user data directory).",
    ),
    playbook: str | None = typer.Option(
        None,
        "--playbook",
        metavar="FILE.toml",
        help="Playbook overrides for this run (else the one stored with `playbook --use`).",
    ),
    person: str | None = typer.Option(
        None,
        "--as",
        metavar="NAME",
        help="Who is at a shared account (else $SIXPLUSTWO_USER, else the system user): "
        "recorded in the journal and audit log; `undo` takes this person's last command.",
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version."
    ),
) -> None:
    # Every file and folder this command creates holds owners' personal data, or could: the
    # database and its -wal/-shm (SQLite gives them the database's mode), backups, exports,
    # the report page, lock files. Each is created 0600 (the data folder 0700) where it is
    # made, whatever the caller's umask (store/backends/sqlite.py, io/exporting.py): the
    # command leaves the umask alone, so that tests/test_private_files.py sees every one.
    if db is not None and not db.strip():
        # Refused before any command starts (one would ask its question first): an empty
        # path names no database, and is never taken for the default one.
        from sixplustwo.domain.errors import InvalidInput

        raise InvalidInput("--db is empty: name a database file or a postgresql:// URL")
    ctx.obj = {"db": db, "playbook": playbook, "as": person}


def _register() -> None:
    from sixplustwo.cli import (
        actions,
        audit,
        cases,
        db,
        demo,
        due,
        events,
        export,
        maintenance,
        notify,
        owners,
        playbook,
        projects,
        receipts,
        referrals,
        report,
        serve,
        surveys,
        undo,
        users,
    )

    app.add_typer(projects.app, name="project")
    app.add_typer(owners.app, name="owner")
    app.add_typer(events.app, name="event")
    app.add_typer(cases.app, name="case")
    app.add_typer(surveys.app, name="survey")
    app.add_typer(referrals.app, name="referral")
    app.add_typer(actions.app, name="action")
    app.command("due")(due.due)
    app.command("done")(events.done)
    app.command("export")(export.export)
    app.command("export receipts")(receipts.receipts)
    app.command("audit")(audit.audit)
    app.command("backup")(maintenance.backup)
    app.command("check")(maintenance.check)
    app.add_typer(db.app, name="db")
    app.command("playbook")(playbook.playbook)
    app.command("report")(report.report)
    app.command("demo")(demo.demo)
    app.command("undo")(undo.undo)
    app.add_typer(notify.app, name="notify")
    app.command("serve")(serve.serve)
    app.add_typer(users.app, name="user")


_register()


def main() -> None:
    """The installed script. After a command that kept its large results for the end
    (``keep_until_exit``), the process ends without the interpreter's teardown."""
    from sixplustwo.cli import context

    context.skip_teardown_allowed()
    try:
        app()
    except SystemExit as end:
        if not context.kept_until_exit() or end.code not in (0, None):
            raise
    else:
        if not context.kept_until_exit():
            return
    import os
    import sys

    code = 0
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:  # None: closed by the caller (2>&-)
                stream.flush()
        except BrokenPipeError:
            pass  # the reader has gone (`due | head`), as the command itself allows
        except OSError as exc:  # a full disk: one line, as AppGroup.invoke says it
            from sixplustwo.cli.messages import error_line, os_error

            code = 1
            with contextlib.suppress(OSError):  # echo skips a closed stderr itself
                typer.echo(error_line(os_error(exc)), err=True)
    os._exit(code)
