"""``sixplustwo due``: the morning list."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from typing import TYPE_CHECKING

import typer

from sixplustwo.cli.context import (
    MEMBERSHIP_OPTION,
    WORKDAYS_OPTION,
    day_or_today,
    due_list,
    keep_until_exit,
    open_database,
    warn_unknown_butler,
    without_cycle_collection,
)
from sixplustwo.cli.messages import _
from sixplustwo.cli.options import FORMAT_OPTION, Format, projects_option
from sixplustwo.cli.render import emit_json_lines, render

if TYPE_CHECKING:
    from sixplustwo.store.queries import DueRow


def due_records(rows: Iterable[DueRow], on: date) -> Iterator[dict]:
    """The listed actions as ``--format json`` shows them, one by one."""
    from sixplustwo.cli.labels import title
    from sixplustwo.domain.phones import mask_phone

    for row in rows:
        action = row.action
        yield {
            "action_id": action.action_id,
            "rule": action.rule,
            "step": action.step,
            "title": title(row.title, action.detail),
            "status": action.status,
            "opens_on": action.opens_on,
            "due_on": action.due_on,
            "days_overdue": action.days_overdue(on),
            "subject": action.subject,
            "owner_id": row.owner_id,
            "owner": row.owner,
            "phone": mask_phone(row.phone) if row.phone else None,
            "project": row.project,
            "project_name": row.project_name,
            "unit": row.unit,
            "butler": row.butler,
            "case_id": row.case_id,
        }


@without_cycle_collection
def due(
    ctx: typer.Context,
    on: str | None = typer.Option(None, "--date", metavar="DATE", help="Show another day's list."),
    project: list[str] = projects_option(),
    butler: str | None = typer.Option(
        None, "--butler", metavar="NAME", help="Only this butler's customers."
    ),
    step: list[str] = typer.Option(
        [], "--step", metavar="STEP", help="Only these steps: 1 … 6, +1, +2."
    ),
    workdays: bool = WORKDAYS_OPTION,
    membership: str | None = MEMBERSHIP_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """The morning list: open and overdue actions, most urgent first."""
    from sixplustwo.domain.playbook import checked_steps
    from sixplustwo.store.queries import DueFilter, project_id_of

    day = day_or_today(on)
    steps = checked_steps(step)
    # Straight on the database, without the store's aggregates: the morning list is read.
    with open_database(ctx, write=False) as connection:
        projects = frozenset(project_id_of(connection, code) for code in project)
        warn_unknown_butler(connection, butler)
        where = DueFilter(None, butler, frozenset(steps) or None, projects=projects)
        rows = due_list(ctx, connection, day, where, workdays=workdays, membership=membership)[1]
    if fmt is Format.json:
        # Each record made as it is printed, while it is in the CPU's cache.
        emit_json_lines(due_records(rows, day))
    elif fmt is Format.csv:
        render(list(due_records(rows, day)), [], fmt)  # JSON and CSV carry every field
    else:
        _print_list(list(due_records(rows, day)), day, butler is not None)
    keep_until_exit(rows)


def _print_list(records: list[dict], day, one_butler: bool) -> None:
    """The morning list on a screen: one line an action at any width it can have, what a
    butler needs least giving way first (see cli/layout.py); two-line cards when even the
    status, date, title, owner and action id do not fit on one line."""
    from sixplustwo.cli.labels import label
    from sixplustwo.cli.layout import Column, print_rows

    for record in records:
        status = label("status", record["status"])
        late = record["days_overdue"]
        record["status_label"] = (
            _("{status} {days}d").format(status=status, days=late) if late else status
        )
        due_on = record["due_on"]
        record["due_short"] = due_on.strftime("%m-%d") if due_on.year == day.year else str(due_on)
        if record["subject"] == "project":  # a project's action: its project, by name
            record["owner"] = record["project_name"] or record["project"]
        else:
            record["owner"] = record["owner"] or label("subject", record["subject"])
    overdue = sum(1 for r in records if r["status"] == "overdue")

    def red_when_late(row: dict) -> str | None:
        return "red" if row["status"] == "overdue" else None

    columns = [
        Column("status_label", _("Status"), 10, keep=True, style=red_when_late),
        Column("due_short", _("Due"), 10, keep=True),
        Column("step", _("Step"), 2),
        Column("title", _("Action"), 10, keep=True),
        Column("owner", _("Owner"), 10, keep=True),
        Column("phone", _("Phone"), 5),
        Column("project_name", _("Project"), 4),
        Column("unit", _("Unit"), 6),
        *([] if one_butler else [Column("butler", _("Butler"), 3)]),
        Column("action_id", _("ID"), 9, essential=True),
    ]
    print_rows(
        records,
        columns,
        empty=_("{day}: nothing due").format(day=day.isoformat()),
        title=_("{day}: {count} to do ({overdue} overdue)").format(
            day=day.isoformat(), count=len(records), overdue=overdue
        ),
        footer=_("complete with: sixplustwo done ACTION_ID"),
    )
