"""Options that several commands share, declared once (as sqlite-utils' ``output_options``).

Typer reads a command's options from its signature, so the shared piece is the option itself
(``fmt: Format = FORMAT_OPTION``), not a decorator that adds parameters behind the signature.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import typer

from sixplustwo.cli.messages import N_


class Format(StrEnum):
    """How a listing prints: a rich table, JSON (a list of objects, ISO dates) or CSV."""

    table = "table"
    json = "json"
    csv = "csv"


def format_option(default: Any = Format.table, *, help: str = N_("table, json or csv.")) -> Any:
    """``--format``/``-f``: every command that prints or writes in more than one form takes
    its form under this name. The accepted values are the parameter's type (``Format``, or a
    command's own enum) or, for plain ``str``, the command's own check; ``...`` as the default
    makes the option required."""
    return typer.Option(default, "--format", "-f", help=help)


#: The listings' ``--format``: table (default), json or csv.
FORMAT_OPTION = format_option()


def projects_option(help: str = N_("Only this project; repeat for several.")) -> Any:
    """``--project CODE``, repeatable: a listing or an export of any of the projects given
    (each by its code or name)."""
    return typer.Option([], "--project", metavar="CODE", help=help)
