"""``sixplustwo backup`` and ``sixplustwo check``: for the nightly cron and for peace of mind."""

from __future__ import annotations

from pathlib import Path

import typer


def backup(
    ctx: typer.Context,
    target: Path = typer.Argument(..., metavar="FILE", help="Backup file to write (mode 0600)."),
) -> None:
    """A consistent copy of the database, safe while others use it."""
    from sixplustwo.store.database import backup as make_backup

    pages = make_backup((ctx.find_root().obj or {}).get("db"), target)
    from sixplustwo.cli.messages import _

    typer.echo(_("backup written to {file} ({pages} pages)").format(file=target, pages=pages))


def check(ctx: typer.Context) -> None:
    """Integrity and foreign-key checks, reported in one line (exit 1 if anything is wrong)."""
    from sixplustwo.cli.messages import text
    from sixplustwo.domain.errors import SixPlusTwoError
    from sixplustwo.store.database import check as run_check

    db = (ctx.find_root().obj or {}).get("db")
    healthy, line = run_check(db)
    twins = _flat_twins(db) if healthy else []
    typer.echo(text(line), err=not healthy)
    for code, key, first, twin in twins:
        typer.echo(
            text(
                SixPlusTwoError(
                    "owners {first} and {twin} both have flat {code} {flat}",
                    first=first,
                    twin=twin,
                    code=code,
                    flat=key,
                )
            ),
            err=True,
        )
    if not healthy or twins:
        raise typer.Exit(1)


def _flat_twins(db) -> list[tuple[str, str, int, int]]:
    """Owners of one flat that an older database held before the flat's key was unique."""
    from sixplustwo.store.database import open_database
    from sixplustwo.store.search import flat_twins

    with open_database(db, write=False) as connection:
        return flat_twins(connection)
