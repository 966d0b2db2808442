"""``sixplustwo export``: the day's reminders for cron (SMS platform, calendar, JSON)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path

import typer

from sixplustwo.cli.context import (
    MEMBERSHIP_OPTION,
    WORKDAYS_OPTION,
    command_line,
    day_or_today,
    db_option,
    due_list,
    open_database,
)
from sixplustwo.cli.options import format_option


class ExportFormat(StrEnum):
    csv = "csv"
    json = "json"
    ics = "ics"


# Where each format goes unless --destination names another: `--new-only` remembers what was
# written per destination, so the calendar or a feed never takes a row from the SMS file.
DEFAULT_DESTINATIONS = {
    ExportFormat.csv: "sms",
    ExportFormat.ics: "calendar",
    ExportFormat.json: "feed",
}
DESTINATION_MAX = 64


def destination_for(fmt: ExportFormat, name: str | None) -> str:
    """The destination an export writes to: ``--destination NAME``, else its format's."""
    from sixplustwo.domain.errors import InvalidInput

    if name is None:
        return DEFAULT_DESTINATIONS[fmt]
    if (
        not name.strip()
        or len(name) > DESTINATION_MAX
        or any(not character.isprintable() for character in name)
    ):
        raise InvalidInput(
            "--destination: a name of 1 to {most} printable characters, e.g. sms-backup",
            most=DESTINATION_MAX,
        )
    return name


def export_records(rows, playbook, day: date) -> list[dict]:
    """The due list's records with what the SMS platform needs: the full phone, the rule's
    plain title and the message rendered from its template."""
    from sixplustwo.cli.due import due_records
    from sixplustwo.domain.messages import render_message

    amount = playbook.settings.referral_reward
    settlement = playbook.settings.referral_settlement
    # A cron run renders ~90k messages from a few dozen (rule, detail) templates.
    templates: dict[tuple[str, str | None], tuple[str, str]] = {}
    records = []
    for row, record in zip(rows, due_records(rows, day), strict=True):
        action = row.action
        key = (action.rule, action.detail)
        found = templates.get(key)
        if found is None:
            rule = playbook.get(action.rule)
            found = templates[key] = (rule.title, rule.template_for(action.detail))
        title, template = found
        values = {
            "name": row.owner,
            "project": row.project_name,
            "unit": row.unit,
            "due_on": action.due_on,
            "butler": row.butler,
            "title": title,
            "milestone": action.detail if action.rule == "milestone-bulletin" else "",
            "milestone_on": action.detail_on or "",
            "amount": amount,
            "settlement": settlement,
        }
        del record["subject"]
        record["title"] = title
        record["phone_masked"] = record["phone"]
        record["phone"] = row.phone
        record["message"] = render_message(template, values)
        records.append(record)
    return records


def export(
    ctx: typer.Context,
    fmt: ExportFormat = format_option(..., help="csv (SMS platform), json or ics."),
    out: str = typer.Option(
        ..., "--out", "-o", metavar="FILE", help="File to write (mode 0600), or - for stdout."
    ),
    on: str | None = typer.Option(
        None, "--date", metavar="DATE", help="The day to export (default today)."
    ),
    new_only: bool = typer.Option(
        False,
        "--new-only",
        help="Skip actions an earlier export already wrote to the same destination.",
    ),
    destination: str | None = typer.Option(
        None,
        "--destination",
        metavar="NAME",
        help="What --new-only remembers this export under (default: sms for csv, "
        "calendar for ics, feed for json), e.g. a second SMS platform.",
    ),
    wait: float = typer.Option(
        60.0, "--wait", min=0, metavar="SECONDS", help="Seconds to wait for another export."
    ),
    workdays: bool = WORKDAYS_OPTION,
    membership: str | None = MEMBERSHIP_OPTION,
) -> None:
    """Write the day's reminders for cron: SMS CSV (full phones), JSON or iCalendar."""
    from sixplustwo.io.exporting import csv_bytes, ics_bytes, json_bytes, write_atomically
    from sixplustwo.store.audit import Audit
    from sixplustwo.store.database import lock, require_database
    from sixplustwo.store.queries import DueFilter

    day = day_or_today(on)
    target = Path(out)
    where = destination_for(fmt, destination)
    require_database(db_option(ctx))  # before the lock file beside it is made
    # On the database directly, like `due`: a cron run needs none of the store's aggregates.
    with lock(db_option(ctx), "export", wait), open_database(ctx, write=True) as connection:
        audit = Audit(connection, command_line().user)
        book, rows = due_list(
            ctx, connection, day, DueFilter(), workdays=workdays, membership=membership
        )
        records = export_records(rows, book, day)
        if fmt is not ExportFormat.ics:
            # The SMS platform needs someone to message: project actions go to the calendar only.
            records = [r for r in records if r["phone"]]
        if new_only:
            already = audit.exported(where, [r["action_id"] for r in records])
            records = [r for r in records if r["action_id"] not in already]
        if fmt is ExportFormat.csv:
            data = csv_bytes(records)
        elif fmt is ExportFormat.json:
            data = json_bytes(
                [{k: v for k, v in r.items() if k not in ("phone_masked",)} for r in records]
            )
        else:
            data = ics_bytes(records)
        write_atomically(target, data)
        written = [r["action_id"] for r in records]
        audit.record_export(fmt.value, where, written, str(target), day)
    if out != "-":
        from sixplustwo.cli.messages import _

        typer.echo(
            _("{count} reminders for {day} written to {file}").format(
                count=len(records), day=day, file=out
            ),
            err=True,
        )
