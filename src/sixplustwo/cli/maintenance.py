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
    from sixplustwo.store.database import check as run_check

    healthy, line = run_check((ctx.find_root().obj or {}).get("db"))
    typer.echo(text(line), err=not healthy)
    if not healthy:
        raise typer.Exit(1)
