"""``sixplustwo project …``: projects (楼盘) and their milestones."""

from __future__ import annotations

import typer

from sixplustwo.cli.context import day_or_today, open_store, parse_day, today
from sixplustwo.cli.options import FORMAT_OPTION, Format
from sixplustwo.cli.render import echo_recorded, emit_json, render

app = typer.Typer(help="Projects (楼盘) and their milestones.", no_args_is_help=True)


@app.command("add")
def add(
    ctx: typer.Context,
    code: str = typer.Argument(..., help="Short project code, e.g. HY1."),
    name: str = typer.Option(..., "--name", help="Project name, e.g. 华苑一期."),
    delivery_date: str | None = typer.Option(None, "--delivery-date", help="First delivery date."),
    opening_date: str | None = typer.Option(None, "--opening-date", help="Sales opening (开盘)."),
    city: str | None = typer.Option(None, "--city"),
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
        typer.echo(f"project {result['code']} added (id {result['id']})")


@app.command("milestone")
def milestone(
    ctx: typer.Context,
    code: str = typer.Argument(..., help="Project code."),
    kind: str = typer.Argument(..., help="封顶 (topping-out), 落架 (scaffold-removal) or other."),
    on: str = typer.Option(..., "--date", help="The day the milestone was reached."),
    note: str | None = typer.Option(None, "--note"),
) -> None:
    """Record a milestone; it drives the milestone bulletin for waiting owners."""
    day = day_or_today(on)
    with open_store(ctx, write=True) as store:
        recorded = store.projects.add_milestone(code, kind, day, note, today=today())
        typer.echo(f"milestone {recorded.kind} recorded for {code} on {recorded.reached_on}")


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
    render(
        rows,
        [("code", "代码"), ("name", "项目"), ("city", "城市"), ("delivery_date", "首批交付")],
        fmt,
        empty="no projects yet: sixplustwo project add CODE --name NAME",
    )


@app.command("event")
def project_event(
    ctx: typer.Context,
    code: str = typer.Argument(..., help="Project code."),
    kind: str = typer.Argument(..., help="weekly-bulletin, monthly-community-event, or any kind."),
    on: str | None = typer.Option(None, "--date", help="Day it happened (default today)."),
    note: str | None = typer.Option(None, "--note", help="What was sent or held."),
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
    code: str = typer.Argument(..., help="Project code."),
    name: str | None = typer.Option(None, "--name"),
    delivery_date: str | None = typer.Option(None, "--delivery-date", help="First delivery date."),
    opening_date: str | None = typer.Option(None, "--opening-date", help="Sales opening (开盘)."),
    city: str | None = typer.Option(None, "--city"),
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
    typer.echo(f"project {code} updated")
