"""``sixplustwo due``: the morning list."""

from __future__ import annotations

import typer

from sixplustwo.cli.context import (
    MEMBERSHIP_OPTION,
    WORKDAYS_OPTION,
    day_or_today,
    due_list,
    open_database,
)
from sixplustwo.cli.options import FORMAT_OPTION, Format
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
