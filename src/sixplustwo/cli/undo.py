"""``sixplustwo undo``: reverse the last write command, from the journal of changes."""

from __future__ import annotations

import typer

from sixplustwo.cli.context import open_store
from sixplustwo.cli.messages import N_, _
from sixplustwo.cli.options import FORMAT_OPTION, Format
from sixplustwo.cli.render import emit_json
from sixplustwo.domain.text import visible


def undo(
    ctx: typer.Context,
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Say what would be undone, change nothing."
    ),
    user: str | None = typer.Option(
        None,
        "--user",
        metavar="NAME",
        help="The newest command of this person, not yours (the name --as gives).",
    ),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Reverse your last write command (--as, else $SIXPLUSTWO_USER, else the system user; on a
    server, of the database role too), in one transaction, audited. Exports are passed over:
    they cannot be undone, and neither can owner forget, nor a command whose records a later
    command changed or a later export sent."""
    from sixplustwo.store import journal

    with open_store(ctx, write=not dry_run) as store:
        person = user if user is not None else store.command.actor.person
        entry = journal.last_entry(store.db, person, store.audit.role())
        journal.check_undoable(store.db, entry)
        if dry_run:
            count = journal.changes(store.db, entry)
        else:
            count = journal.undo(store.db, entry)
            store.audit.record(
                "undo",
                N_("journal {id}: {command} ({user}, {at})"),
                count,
                id=entry.id,
                command=entry.name,
                user=entry.user,
                at=entry.when,
            )
    if fmt is Format.json:
        emit_json(
            {
                "journal_id": entry.id,
                "command": list(entry.argv),
                "user": entry.user,
                "role": entry.role,
                "at": entry.when,
                "changes": count,
                "dry_run": dry_run,
            }
        )
        return
    said = (
        _("would undo: {command} ({user}, {at})")
        if dry_run
        else _("undone: {command} ({user}, {at})")
    )
    typer.echo(visible(said.format(command=entry.command, user=entry.user or "?", at=entry.when)))
