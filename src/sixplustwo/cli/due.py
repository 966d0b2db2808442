"""``sixplustwo due`` (the morning list) and ``sixplustwo playbook`` (the rules in force)."""

from __future__ import annotations

from pathlib import Path

import typer

from sixplustwo.cli.context import (
    MEMBERSHIP_OPTION,
    WORKDAYS_OPTION,
    day_or_today,
    due_list,
    open_database,
    open_store,
)
from sixplustwo.cli.options import FORMAT_OPTION, Format, format_option
from sixplustwo.cli.render import render

DUE_COLUMNS = [
    ("status_label", "状态"),
    ("step_label", "步骤"),
    ("title", "事项"),
    ("owner", "业主"),
    ("phone", "手机"),
    ("project_name", "项目"),
    ("unit", "房号"),
    ("butler", "管家"),
    ("due_on", "截止"),
    ("days_overdue", "逾期天数"),
    ("action_id", "编号"),
]


def due_records(rows, on) -> list[dict]:
    from sixplustwo.domain.phones import mask_phone

    return [
        {
            "action_id": row.action.action_id,
            "rule": row.action.rule,
            "step": row.action.step,
            "title": row.title + (f"（{row.action.detail}）" if row.action.detail else ""),
            "status": row.action.status,
            "opens_on": row.action.opens_on,
            "due_on": row.action.due_on,
            "days_overdue": row.action.days_overdue(on),
            "subject": row.action.subject,
            "owner_id": row.owner_id,
            "owner": row.owner,
            "phone": mask_phone(row.phone) if row.phone else None,
            "project": row.project,
            "project_name": row.project_name,
            "unit": row.unit,
            "butler": row.butler,
            "case_id": row.case_id,
        }
        for row in rows
    ]


def due(
    ctx: typer.Context,
    on: str | None = typer.Option(None, "--date", help="Show another day's list."),
    project: str | None = typer.Option(None, "--project", help="Only this project."),
    butler: str | None = typer.Option(None, "--butler", help="Only this butler's customers."),
    step: list[str] = typer.Option([], "--step", help="Only these steps: 1 … 6, +1, +2."),
    workdays: bool = WORKDAYS_OPTION,
    membership: str | None = MEMBERSHIP_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """The morning list: open and overdue actions, most urgent first."""
    from sixplustwo.domain.errors import InvalidInput
    from sixplustwo.domain.playbook import STEP_CODES
    from sixplustwo.store.queries import DueFilter, project_id_of

    day = day_or_today(on)
    steps = {s.strip() for s in step}
    unknown = steps - set(STEP_CODES)
    if unknown:
        raise InvalidInput(
            "--step {unknown}: steps are {steps}",
            unknown=", ".join(sorted(unknown)),
            steps=", ".join(STEP_CODES),
        )
    # Straight on the database, without the store's aggregates: the morning list is read.
    with open_database(ctx, write=False) as connection:
        project_id = project_id_of(connection, project) if project else None
        where = DueFilter(project_id, butler, frozenset(steps) or None)
        _, rows = due_list(ctx, connection, day, where, workdays=workdays, membership=membership)
    records = due_records(rows, day)
    if fmt is Format.table:
        from sixplustwo.cli.labels import label

        for record in records:
            status = label("status", record["status"])
            record["status_label"] = (
                f"[red]{status}[/red]" if record["status"] == "overdue" else status
            )
            record["step_label"] = f"{record['step']} {label('step', record['step'])}"
            record["days_overdue"] = record["days_overdue"] or ""
            record["owner"] = record["owner"] or label("subject", record["subject"])
        overdue = sum(1 for r in records if r["status"] == "overdue")
        render(
            records,
            DUE_COLUMNS,
            fmt,
            title=f"{day.isoformat()} 待办 {len(records)} 项（逾期 {overdue}）",
            empty=f"{day.isoformat()}: nothing due — 今日无待办事项",
            caption="complete with: sixplustwo done ACTION_ID",
        )
    else:
        render(records, DUE_COLUMNS, fmt)


def playbook(
    ctx: typer.Context,
    fmt: str = format_option(
        "table",
        help="table, json, csv, toml (a file to start editing) or markdown (the README's table).",
    ),
    use: Path | None = typer.Option(
        None, "--use", metavar="FILE.toml", help="Store this playbook: it stays in force."
    ),
    reset: bool = typer.Option(False, "--reset", help="Back to the default playbook."),
) -> None:
    """The rules in force: step, anchor, window, grace, title."""
    from sixplustwo.cli.labels import label
    from sixplustwo.domain.errors import InvalidInput
    from sixplustwo.domain.playbook import (
        default_playbook,
        parse_playbook,
        playbook_markdown,
        playbook_toml,
    )
    from sixplustwo.store.audit import PLAYBOOK_SETTING

    if fmt not in ("table", "json", "csv", "toml", "markdown"):
        from sixplustwo.cli.messages import _

        raise typer.BadParameter(
            _("{fmt!r} is not one of table, json, csv, toml, markdown").format(fmt=fmt),
            param_hint="--format",
        )
    if use is not None and reset:
        raise InvalidInput("--use and --reset: choose one")
    if use is not None or reset:
        text = None
        if use is not None:
            if not use.is_file():
                raise InvalidInput("--use {use}: no such file", use=use)
            text = use.read_text("utf-8")
            parse_playbook(text, base=default_playbook(), source=str(use))  # refused if bad
        with open_store(ctx, write=True) as store:
            store.settings.set(PLAYBOOK_SETTING, text)
            store.audit.record("playbook", f"use {use}" if use else "reset to default")
        typer.echo(f"playbook {'from ' + str(use) if use else 'reset to the default'} in force")
        return
    with open_store(ctx, write=False) as store:
        book = store.playbook
    if fmt in ("toml", "markdown"):
        typer.echo(playbook_toml(book) if fmt == "toml" else playbook_markdown(book), nl=False)
        return
    rows = [
        {
            "rule": rule.name,
            "step": rule.step,
            "step_name": label("step", rule.step),
            "subject": rule.subject,
            "anchor": rule.anchor,
            "opens": str(rule.opens),
            "due": str(rule.due) + (f" (repair {rule.due_repair})" if rule.due_repair else ""),
            "grace": "none" if rule.grace is None else rule.grace,
            "completion": rule.completion,
            "title": rule.title,
            "template": rule.template,
            "source": rule.source,
        }
        for rule in book
    ]
    render(
        rows,
        [
            ("rule", "rule"),
            ("step", "步骤"),
            ("title", "事项"),
            ("subject", "对象"),
            ("anchor", "anchor"),
            ("opens", "opens"),
            ("due", "due"),
            ("grace", "grace"),
        ],
        Format(fmt),
        title="6+2 playbook" + ("（工作日顺延）" if book.settings.workdays else ""),
    )
