"""``sixplustwo audit``: who exported, revealed or erased what, and when."""

from __future__ import annotations

import typer

from sixplustwo.cli.context import open_store
from sixplustwo.cli.messages import _, read_back
from sixplustwo.cli.options import FORMAT_OPTION, Format
from sixplustwo.cli.render import render


def audit(
    ctx: typer.Context,
    limit: int = typer.Option(50, "--limit", min=0, help="Most recent entries (0: all)."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """The audit log: exports, revealed phones, erased owners, and who did each (the person
    --as or $SIXPLUSTWO_USER names; on a server the database role first)."""
    from sixplustwo.cli.context import company_zone

    zone = company_zone()  # stored in UTC, shown on the company's clock (JSON: with its offset)
    with open_store(ctx, write=False) as store:
        rows = [
            {
                "id": a.id,
                "at": _when(a.at, zone),
                "command": a.command,
                "detail": a.detail,
                "rows": a.rows,
                "target": a.target,
                "user": a.who,  # on a server the role first, then the person
                "person": a.person,
                "role": a.role,
                "os_user": a.os_user,
            }
            for a in store.audit.entries(limit)
        ]
    if fmt is not Format.table:
        render(rows, [], fmt)
        return
    from sixplustwo.cli.layout import Column
    from sixplustwo.store.audit import AUDIT_DETAILS, AUDIT_WHO

    # The log keeps English; the screen says it in the user's language.
    shown = [
        {
            **row,
            "at": str(row["at"])[:16].replace("T", " "),  # minutes
            "detail": read_back(row["detail"], AUDIT_DETAILS),
            "user": read_back(row["user"], (AUDIT_WHO,)),
        }
        for row in rows
    ]
    # One line an entry: when, what and about what stay whole; rows, who and where give way.
    render(
        shown,
        [
            Column("at", _("Time"), 10, keep=True),
            Column("command", _("Command"), 10, keep=True),
            Column("detail", _("Details"), 10, keep=True),
            Column("rows", _("Rows"), 6, right=True),
            Column("user", _("User"), 5),
            Column("target", _("Target"), 4),
        ],
        fmt,
        empty=_("the audit log is empty"),
    )


def _when(at: object, zone: str | None) -> str:
    from datetime import datetime

    from sixplustwo.domain.clock import shown_in

    if isinstance(at, datetime):
        return shown_in(zone, at).isoformat()
    return str(at)
