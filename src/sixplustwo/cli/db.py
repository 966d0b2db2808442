"""``sixplustwo db``: the database itself, moved between a SQLite file and a PostgreSQL server."""

from __future__ import annotations

import typer

from sixplustwo.cli.context import db_option
from sixplustwo.cli.options import FORMAT_OPTION, Format

app = typer.Typer(help="The database itself: copy it to a server or a file.", no_args_is_help=True)


@app.command("copy")
def copy(
    ctx: typer.Context,
    to: str = typer.Option(
        ...,
        "--to",
        metavar="URL|FILE",
        help="An empty database to copy into: postgresql://user@host:5432/dbname, or a file.",
    ),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Copy the whole database (--db) into an empty one, in one transaction on the target;
    then compare the tables' row counts and check both (exit 1 if they differ)."""
    from sixplustwo.cli.messages import _, text
    from sixplustwo.cli.render import emit_json
    from sixplustwo.store.copying import copy_database

    result = copy_database(db_option(ctx), to)
    if fmt is Format.json:
        emit_json(
            {
                "ok": result.ok,
                "tables": {t: {"source": a, "target": b} for t, (a, b) in result.counts.items()},
                "source_check": text(result.source_check[1]),
                "target_check": text(result.target_check[1]),
            }
        )
    else:
        for table, (source, target) in result.counts.items():
            mark = "" if source == target else _("  (differs)")
            typer.echo(
                _("{table}: {source} rows copied, {target} in the target").format(
                    table=table, source=source, target=target
                )
                + mark
            )
        typer.echo(_("source: {line}").format(line=text(result.source_check[1])))
        typer.echo(_("target: {line}").format(line=text(result.target_check[1])))
    if not result.ok:
        raise typer.Exit(1)
