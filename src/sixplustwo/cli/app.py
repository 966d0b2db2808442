"""The ``sixplustwo`` command. Domain errors become one line on stderr and exit status 1."""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from sixplustwo.domain.errors import SixPlusTwoError


class AppGroup(TyperGroup):
    """Maps errors caused by input to one line on stderr and exit 1 (usage errors stay 2)."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except SixPlusTwoError as exc:
            from sixplustwo.cli.messages import error_line

            typer.echo(error_line(exc), err=True)
            raise typer.Exit(1) from None
        except OSError as exc:
            from sixplustwo.cli.messages import error_line, os_error

            typer.echo(error_line(os_error(exc)), err=True)
            raise typer.Exit(1) from None


def _coerce_plain_values_without_pydantic() -> None:
    """Typer 0.29 passes every parameter through a pydantic TypeAdapter: importing pydantic
    and building the first adapter costs ~0.15 s per command, a third of ``due --butler``'s
    budget (issue 4). Values that need no such machinery (absent, already of the parameter's
    type, text for a ``list[str]``, digits for a plain ``int``, one of an enum's values) are
    converted here as typer would; everything else still goes through typer's coercion."""
    from enum import Enum

    try:
        from typer.core import _TyperParameter
    except ImportError:  # a Typer without this layer: its own coercion, only slower
        return
    typer_process_value = _TyperParameter.process_value

    def process_value(self: _TyperParameter, ctx: Any, value: Any) -> Any:
        annotation = self.type_descriptor.annotation
        info = self.type_descriptor.parameter_info
        plain = info.parser is None and not (self.multiple or self.nargs != 1)
        if plain and value is None:
            pass
        elif (
            plain
            and type(value) is annotation
            and (info.min is None or value >= info.min)
            and (info.max is None or value <= info.max)
        ):
            pass  # text for a str, or a default given in its own type (and range)
        elif (
            self.multiple
            and annotation == list[str]
            and info.parser is None
            and isinstance(value, list | tuple)
            and all(type(item) is str for item in value)
        ):
            value = list(value)
        elif (
            plain
            and annotation is int
            and type(value) is str
            and value.isascii()
            and value.isdigit()
            and info.min is None
            and info.max is None
        ):
            value = int(value)
        elif (
            plain
            and isinstance(annotation, type)
            and issubclass(annotation, Enum)
            and info.case_sensitive
            and type(value) is str
            and value in annotation._value2member_map_
        ):
            value = annotation(value)
        else:
            return typer_process_value(self, ctx, value)
        if self.required and self.value_is_missing(value):
            from typer._click.exceptions import MissingParameter

            raise MissingParameter(ctx=ctx, param=self)
        if self.callback is not None:
            value = self.callback(ctx, self, value)
        return value

    _TyperParameter.process_value = process_value  # type: ignore[method-assign]


_coerce_plain_values_without_pydantic()

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
        metavar="PATH",
        help="Database file (else $SIXPLUSTWO_DB, else one in the user data directory).",
    ),
    playbook: str | None = typer.Option(
        None,
        "--playbook",
        metavar="FILE.toml",
        help="Playbook overrides for this run (else the one stored with `playbook --use`).",
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version."
    ),
) -> None:
    ctx.obj = {"db": db, "playbook": playbook}


def _register() -> None:
    from sixplustwo.cli import (
        actions,
        demo,
        due,
        export,
        journey,
        maintenance,
        owners,
        projects,
        referrals,
        report,
    )

    app.add_typer(projects.app, name="project")
    app.add_typer(owners.app, name="owner")
    app.add_typer(journey.event_app, name="event")
    app.add_typer(journey.case_app, name="case")
    app.add_typer(journey.survey_app, name="survey")
    app.add_typer(referrals.app, name="referral")
    app.add_typer(actions.app, name="action")
    app.command("due")(due.due)
    app.command("done")(journey.done)
    app.command("export")(export.export)
    app.command("audit")(export.audit)
    app.command("backup")(maintenance.backup)
    app.command("check")(maintenance.check)
    app.command("playbook")(due.playbook)
    app.command("report")(report.report)
    app.command("demo")(demo.demo)


_register()


def main() -> None:
    app()
