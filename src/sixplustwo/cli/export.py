"""``sixplustwo export``: the day's reminders for cron (SMS platform, calendar, JSON)."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
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
    keep_until_exit,
    open_database,
    without_cycle_collection,
)
from sixplustwo.cli.messages import _, warning_line
from sixplustwo.cli.options import format_option
from sixplustwo.faults import fault_point


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


@without_cycle_collection
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
    from sixplustwo.io.exporting import csv_bytes, ics_bytes, is_stream, json_bytes
    from sixplustwo.store.audit import Audit
    from sixplustwo.store.database import lock, require_database
    from sixplustwo.store.queries import DueFilter

    day = day_or_today(on)
    target = Path(out)
    where = destination_for(fmt, destination)
    require_database(db_option(ctx))  # before the lock file beside it is made
    # One export at a time per database: what --new-only skips is what the last one wrote.
    with lock(db_option(ctx), "export", wait):
        _finish_unfinished(ctx)
        # Read in a read transaction: other commands write meanwhile (a large export takes
        # seconds to read and render); what was written is recorded after, briefly.
        with open_database(ctx, write=False) as connection:
            book, rows = due_list(
                ctx, connection, day, DueFilter(), workdays=workdays, membership=membership
            )
            records = export_records(rows, book, day)
            if fmt is not ExportFormat.ics:
                # The SMS platform needs someone to message: project actions go to the
                # calendar only.
                records = [r for r in records if r["phone"]]
            if new_only:
                already = Audit(connection).exported(where, [r["action_id"] for r in records])
                records = [r for r in records if r["action_id"] not in already]
        fault_point("export:read")
        if fmt is ExportFormat.csv:
            data = csv_bytes(records)
        elif fmt is ExportFormat.json:
            data = json_bytes(
                [{k: v for k, v in r.items() if k not in ("phone_masked",)} for r in records]
            )
        else:
            data = ics_bytes(records)
        written = [r["action_id"] for r in records]
        if is_stream(target):
            _write_to_stream(ctx, target, data, fmt, where, written, day)
        else:
            _deliver(ctx, target, data, fmt, where, written, day)
    if out != "-":
        typer.echo(
            _("{count} reminders for {day} written to {file}").format(
                count=len(records), day=day, file=out
            ),
            err=True,
        )
    keep_until_exit(rows, records, data)


# -- exactly once --------------------------------------------------------------------------
# A file export is a batch (store/audit.py) that goes: open the batch ("writing", naming its
# temporary file) → write the temporary file whole (0600, fsync) → record its rows and mark
# it "pending", in one short write transaction → rename the file into place → mark it
# "done". The next export first settles any batch left unfinished by a killed one: a pending
# batch whose temporary file is gone was renamed (delivered), so it is done; any other is
# discarded (its rows leave the log, its temporary file is removed) and its rows go into this
# export's file. Each action thus reaches exactly one delivered file per destination. A
# batch is its export's until its lease expires (or, on the host that wrote it, until that
# export is gone: the next one holds the lock): then whoever exports next settles it. The
# fault points (sixplustwo/faults.py) are where tests/test_exactly_once.py kills it.


def _deliver(ctx, target: Path, data: bytes, fmt, where: str, written, day: date) -> None:
    from sixplustwo.io.exporting import (
        put_in_place,
        remove_stale_temporaries,
        temporary_beside,
        write_private,
    )
    from sixplustwo.store.audit import Audit

    temporary = temporary_beside(target)
    remove_stale_temporaries(target, LEASE.total_seconds())
    with _bookkeeping(ctx) as db:
        batch = Audit(db).open_batch(
            fmt.value, where, day, str(target), str(temporary), _host(), _lease()
        )
    fault_point("export:batch-opened")
    try:
        write_private(temporary, data)
        fault_point("export:temporary-written")
        with open_database(ctx, write=True) as db:  # journaled: an export cannot be undone
            audit = Audit(db, command_line(ctx).actor)
            audit.fill_batch(batch, written, _lease())
            fault_point("export:pending-not-committed")
        fault_point("export:pending")
        put_in_place(temporary, target)
    except Exception:  # e.g. a full disk, a target that is a folder: this batch is undone
        _finish_unfinished(ctx, quiet=True)
        raise
    fault_point("export:renamed")
    with _bookkeeping(ctx) as db:
        Audit(db).finish_batch(batch.id)
        fault_point("export:done-not-committed")
    fault_point("export:done")


def _write_to_stream(ctx, target: Path, data: bytes, fmt, where: str, written, day) -> None:
    """Stdout, a pipe or a device cannot be written whole or not at all: written first,
    then recorded (a run killed between the two writes these rows again next time)."""
    from sixplustwo.io.exporting import write_stream
    from sixplustwo.store.audit import Audit

    write_stream(target, data)
    with open_database(ctx, write=True) as db:
        Audit(db, command_line(ctx).actor).record_export(
            fmt.value, where, written, str(target), day
        )


def _bookkeeping(ctx):
    """A short write transaction for the batch's state, outside the journal of changes."""
    from sixplustwo.store.database import open_database as open_db

    return open_db(db_option(ctx), write=True)


def _finish_unfinished(ctx, *, quiet: bool = False) -> None:
    """Settle the batches a killed export left (see above), saying so on stderr (unless
    ``quiet``: this run's own, which failed)."""
    from sixplustwo.io.exporting import remove_temporary
    from sixplustwo.store.audit import Audit

    with open_database(ctx, write=False) as db:
        unfinished = Audit(db).unfinished_batches(_host(), _now())
    for batch in unfinished:
        if batch.state == "pending":
            if not os.path.lexists(batch.temporary):  # renamed into place: delivered
                with _bookkeeping(ctx) as db:
                    Audit(db).finish_batch(batch.id)
                continue
            with _bookkeeping(ctx) as db:
                count = Audit(db, command_line(ctx).actor).unfill_batch(batch)
            if not quiet:
                message = _(
                    "an earlier export to {target} was stopped before its file was in place; "
                    "its {count} reminders are written again"
                )
                typer.echo(warning_line(message.format(target=batch.target, count=count)), err=True)
        remove_temporary(batch.temporary)
        with _bookkeeping(ctx) as db:
            Audit(db).drop_batch(batch.id)


# How long an export batch is its export's own: the export renews it as it goes (opened,
# its file whole); past it, the next export settles the batch on any host (a container or a
# CronJob gets a new hostname each run). Far longer than writing a file takes.
LEASE = timedelta(minutes=15)


def _now() -> str:
    """Now in UTC, as the tables hold times (store/rows.py)."""
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _lease() -> str:
    return (datetime.now(UTC) + LEASE).strftime("%Y-%m-%d %H:%M:%S.%f")


def _host() -> str:
    """This machine's name: the disk an export batch's temporary file is on. (socket is
    imported here, not at start-up: every command imports this module.)"""
    import socket

    return socket.gethostname()
