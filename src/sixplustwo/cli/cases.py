"""``sixplustwo case …``: complaints (投诉) and repairs (报修)."""

from __future__ import annotations

import typer

from sixplustwo.cli.context import day_or_today, open_store, today
from sixplustwo.cli.messages import N_, _
from sixplustwo.cli.options import FORMAT_OPTION, Format, projects_option
from sixplustwo.cli.render import emit_json, render

app = typer.Typer(help="Complaints (投诉) and repairs (报修).", no_args_is_help=True)


@app.command("open")
def open_case(
    ctx: typer.Context,
    owner: str = typer.Argument(
        ..., metavar="OWNER", help="Owner id, or a phone, *last-4, flat or name naming one."
    ),
    kind: str = typer.Option(
        ..., "--kind", metavar="KIND", help="complaint (投诉) or repair (报修)."
    ),
    note: str = typer.Option(..., "--note", metavar="TEXT", help="What it is about."),
    on: str | None = typer.Option(
        None, "--date", metavar="DATE", help="Day it was received (default today)."
    ),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Open a complaint or repair case; prints the new case id."""
    from sixplustwo.cli.labels import code

    day = day_or_today(on)
    from sixplustwo.store.search import resolve_owner

    with open_store(ctx, write=True) as store:
        owner_id = resolve_owner(store.db, owner)
        case_id = store.cases.open(owner_id, code("case_kind", kind), note, day, today()).id
    if fmt is Format.json:
        emit_json({"id": case_id})
    else:
        typer.echo(case_id)


@app.command("resolve")
def resolve_case(
    ctx: typer.Context,
    case_id: int = typer.Argument(..., help="Case id."),
    on: str | None = typer.Option(
        None, "--date", metavar="DATE", help="Day it was resolved (default today)."
    ),
    note: str | None = typer.Option(None, "--note", metavar="TEXT", help="How it was resolved."),
) -> None:
    """Mark a case resolved; its revisit (回访) becomes due."""
    day = day_or_today(on)
    with open_store(ctx, write=True) as store:
        store.cases.resolve(case_id, day, note, today=today())
    typer.echo(_("case {id} resolved on {date}").format(id=case_id, date=day))


@app.command("reopen")
def reopen_case(
    ctx: typer.Context,
    case_id: int = typer.Argument(..., help="Case id."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Reopen a resolved case (resolved by mistake, or the fix did not hold): it is open and
    due again; its revisit (回访) events are deleted, and a new revisit is due once it is
    resolved again."""
    with open_store(ctx, write=True) as store:
        revisits = store.cases.reopen(case_id, today())[1]
    if fmt is Format.json:
        emit_json({"id": case_id, "deleted_events": [e.id for e in revisits]})
        return
    typer.echo(_("case {id} reopened").format(id=case_id))
    for event in revisits:
        typer.echo(
            _("its revisit (event {id}, {date}) was deleted").format(
                id=event.id, date=event.happened_on
            )
        )


@app.command("list")
def list_cases(
    ctx: typer.Context,
    only_open: bool = typer.Option(False, "--open", help="Only cases not yet resolved."),
    project: list[str] = projects_option(N_("Only this project's cases; repeat for several.")),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """List complaints and repairs."""
    from sixplustwo.domain.phones import mask_phone

    with open_store(ctx, write=False) as store:
        rows = [
            {
                "id": case.id,
                "kind": case.kind,
                "owner_id": owner.id,
                "owner": owner.name,
                "phone": mask_phone(owner.phone),
                "project": project_.code,
                "unit": owner.unit,
                "note": case.note,
                "opened_on": case.opened_on,
                "resolved_on": case.resolved_on,
            }
            for case, owner, project_ in store.cases.list(only_open, project)
        ]
    if fmt is not Format.table:
        render(rows, [], fmt)
        return
    from sixplustwo.cli.labels import label
    from sixplustwo.cli.layout import Column, print_rows

    shown = [
        {**row, "kind_label": label("case_kind", row["kind"]), "owner": row["owner"] or "—"}
        for row in rows
    ]
    # One line a case: what it is about, whose it is and where stay whole; the rest gives way.
    columns = [
        Column("id", _("ID"), 10, keep=True, right=True),
        Column("kind_label", _("Kind"), 10, keep=True),
        Column("opened_on", _("Opened"), 10, keep=True),
        Column("resolved_on", _("Resolved"), 8),
        Column("owner", _("Owner"), 10, keep=True),
        Column("note", _("Details"), 10, keep=True),
        Column("phone", _("Phone"), 4),
        Column("project", _("Project"), 3),
        Column("unit", _("Unit"), 6, keep=True),
    ]
    print_rows(shown, columns, empty=_("no cases"))
