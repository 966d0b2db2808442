"""``sixplustwo project …``: projects (楼盘) and their milestones."""

from __future__ import annotations

import typer

from sixplustwo.cli.context import day_or_today, open_store, parse_day, today
from sixplustwo.cli.messages import _
from sixplustwo.cli.options import FORMAT_OPTION, Format
from sixplustwo.cli.render import echo_recorded, emit_json, render
from sixplustwo.domain.text import visible

app = typer.Typer(help="Projects (楼盘) and their milestones.", no_args_is_help=True)


@app.command("add")
def add(
    ctx: typer.Context,
    code: str = typer.Argument(..., metavar="CODE", help="Short project code, e.g. HY1."),
    name: str = typer.Option(..., "--name", metavar="NAME", help="Project name, e.g. 华苑一期."),
    delivery_date: str | None = typer.Option(
        None, "--delivery-date", metavar="DATE", help="First delivery date."
    ),
    opening_date: str | None = typer.Option(
        None, "--opening-date", metavar="DATE", help="Sales opening (开盘)."
    ),
    city: str | None = typer.Option(None, "--city", metavar="CITY", help="City."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Register a project (楼盘)."""
    delivery = parse_day(delivery_date, "--delivery-date")
    opening = parse_day(opening_date, "--opening-date")
    with open_store(ctx, write=True, create=True) as store:
        project = store.projects.add(code, name, delivery, city, opening)
        result = {"id": project.id, "code": project.code}
    if fmt is Format.json:
        emit_json(result)
    else:
        typer.echo(
            visible(
                _("project {code} added (id {id})").format(code=result["code"], id=result["id"])
            )
        )


@app.command("milestone")
def milestone(
    ctx: typer.Context,
    code: str = typer.Argument(..., metavar="CODE", help="Project code."),
    kind: str | None = typer.Argument(
        None,
        metavar="KIND",
        help="封顶 (topping-out), 落架 (scaffold-removal) or other; none: list them.",
    ),
    on: str | None = typer.Option(
        None, "--date", metavar="DATE", help="The day the milestone was reached."
    ),
    note: str | None = typer.Option(None, "--note", metavar="TEXT", help="A note."),
    milestone_id: int | None = typer.Option(
        None, "--id", metavar="ID", help="Correct milestone ID: its --date (or KIND, --note)."
    ),
    delete: int | None = typer.Option(
        None, "--delete", metavar="ID", help="Delete milestone ID, recorded by mistake."
    ),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Record a milestone (KIND --date D); it drives the milestone bulletin for waiting owners.
    Without KIND, list the project's milestones with their ids; --id ID --date D re-dates one,
    --delete ID removes one (the bulletins due from it follow). The same milestone on the same
    day is recorded once."""
    if delete is not None and (milestone_id is not None or kind or on or note):
        raise typer.BadParameter(_("--delete takes no KIND, --id, --date or --note"))
    if delete is None and milestone_id is None and kind is None:
        _list_milestones(ctx, code, fmt)
        return
    if delete is None and milestone_id is None and on is None:
        raise typer.BadParameter(_("required to record a milestone"), param_hint="--date")
    day = parse_day(on, "--date")
    with open_store(ctx, write=True) as store:
        if delete is not None:
            found = store.projects.delete_milestone(code, delete)
            said = _("milestone {id} of {code} deleted: {kind} on {date}")
        elif milestone_id is not None:
            found = store.projects.change_milestone(
                code, milestone_id, on=day, kind=kind, note=note, today=today()
            )
            said = _("milestone {id} of {code} changed: {kind} on {date}")
        else:
            assert kind is not None and day is not None
            found = store.projects.add_milestone(code, kind, day, note, today=today())
            said = _("milestone {kind} recorded for {code} on {date} (id {id})")
    if fmt is Format.json:
        emit_json(
            {"id": found.id, "kind": found.kind, "date": found.reached_on, "deleted": bool(delete)}
        )
    else:
        typer.echo(
            visible(said.format(id=found.id, code=code, kind=found.kind, date=found.reached_on))
        )


def _list_milestones(ctx: typer.Context, code: str, fmt: Format) -> None:
    with open_store(ctx, write=False) as store:
        rows = [
            {"id": m.id, "kind": m.kind, "date": m.reached_on, "note": m.note}
            for m in store.projects.milestones(code)
        ]
    from sixplustwo.cli.layout import Column

    render(
        rows,
        [
            Column("id", _("ID"), 10, keep=True, right=True),
            Column("kind", _("Milestone"), 10, keep=True),
            Column("date", _("Date"), 10, keep=True),
            Column("note", _("Note"), 5),
        ],
        fmt,
        empty=_("no milestones for {code} yet").format(code=code),
    )


@app.command("list")
def list_projects(ctx: typer.Context, fmt: Format = FORMAT_OPTION) -> None:
    """List projects."""
    with open_store(ctx, write=False) as store:
        rows = [
            {
                "id": p.id,
                "code": p.code,
                "name": p.name,
                "city": p.city,
                "delivery_date": p.delivery_date,
            }
            for p in store.projects.all()
        ]
    from sixplustwo.cli.layout import Column

    render(
        rows,
        [
            Column("code", _("Code"), 10, keep=True),
            Column("name", _("Project"), 10, keep=True),
            Column("delivery_date", _("First delivery"), 5),
            Column("city", _("City"), 3),
        ],
        fmt,
        empty=_("no projects yet: sixplustwo project add CODE --name NAME"),
    )


@app.command("event")
def project_event(
    ctx: typer.Context,
    code: str = typer.Argument(..., metavar="CODE", help="Project code."),
    kind: str = typer.Argument(
        ..., metavar="KIND", help="weekly-bulletin, monthly-community-event, or any kind."
    ),
    on: str | None = typer.Option(
        None, "--date", metavar="DATE", help="Day it happened (default today)."
    ),
    note: str | None = typer.Option(None, "--note", metavar="TEXT", help="What was sent or held."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Record a project-wide event: the week's SMS bulletin, a community event (社区活动)."""
    day = day_or_today(on)
    with open_store(ctx, write=True) as store:
        event, completed = store.projects.add_event(code, kind, day, note, today=today())
        event_id = event.id
    echo_recorded(fmt, event_id, completed)


@app.command("edit")
def edit(
    ctx: typer.Context,
    code: str = typer.Argument(..., metavar="CODE", help="Project code."),
    name: str | None = typer.Option(None, "--name", metavar="NAME", help="Project name."),
    delivery_date: str | None = typer.Option(
        None, "--delivery-date", metavar="DATE", help="First delivery date."
    ),
    opening_date: str | None = typer.Option(
        None, "--opening-date", metavar="DATE", help="Sales opening (开盘)."
    ),
    city: str | None = typer.Option(None, "--city", metavar="CITY", help="City."),
) -> None:
    """Change a project's name, city, opening (开盘) or first delivery date."""
    from sixplustwo.domain.errors import InvalidInput

    changes: dict[str, object] = {}
    if name is not None:
        changes["name"] = name.strip()
    if city is not None:
        changes["city"] = city.strip() or None
    if delivery_date is not None:
        changes["delivery_date"] = parse_day(delivery_date, "--delivery-date")
    if opening_date is not None:
        changes["opening_date"] = parse_day(opening_date, "--opening-date")
    if not changes:
        raise InvalidInput(
            "nothing to change: give --name, --city, --delivery-date or --opening-date"
        )
    with open_store(ctx, write=True) as store:
        store.projects.edit(code, changes)
    typer.echo(visible(_("project {code} updated").format(code=code)))
