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
    warn_unknown_butler,
    without_cycle_collection,
)
from sixplustwo.cli.messages import _, warning_line
from sixplustwo.cli.options import format_option, projects_option
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
        values = message_values(row, title, amount, settlement)
        del record["subject"]
        record["title"] = title
        record["phone_masked"] = record["phone"]
        record["phone"] = row.phone
        record["message"] = render_message(template, values)
        records.append(record)
    return records


def message_values(row, title: str, amount: int, settlement: str) -> dict:
    """What a rule's message template is filled with (domain/messages.py PLACEHOLDERS)."""
    action = row.action
    return {
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


@without_cycle_collection
def export(
    ctx: typer.Context,
    fmt: ExportFormat = format_option(..., help="csv (SMS platform), json or ics."),
    out: str = typer.Option(
        ...,
        "--out",
        "-o",
        metavar="FILE",
        help="File to write, or - for stdout; with several --butler, a name with {butler} in "
        "it (one file each).",
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
    project: list[str] = projects_option(),
    butler: list[str] = typer.Option(
        [],
        "--butler",
        metavar="NAME",
        help="Only this butler's customers, in a file (and --new-only record) of their own; "
        "repeat for several.",
    ),
    mode: str = typer.Option(
        "0600",
        "--mode",
        metavar="OCTAL",
        help="The file's mode, e.g. 0640 for a web server's group; never writable by all.",
    ),
) -> None:
    """Write the day's reminders for cron: SMS CSV (full phones), JSON or iCalendar."""
    from sixplustwo.io.exporting import file_mode, is_stream
    from sixplustwo.store.audit import Audit
    from sixplustwo.store.database import lock, require_database
    from sixplustwo.store.queries import DueFilter, project_id_of

    day = day_or_today(on)
    permissions = file_mode(mode)
    where = destination_for(fmt, destination)
    targets = export_targets(out, butler)
    require_database(db_option(ctx))  # before the lock file beside it is made
    # One export at a time per database: what --new-only skips is what the last one wrote.
    with lock(db_option(ctx), "export", wait):
        _finish_unfinished(ctx)
        # Read in a read transaction: other commands write meanwhile (a large export takes
        # seconds to read and render); what was written is recorded after, briefly.
        with open_database(ctx, write=False) as connection:
            for name in butler:
                warn_unknown_butler(connection, name)
            projects = frozenset(project_id_of(connection, code) for code in project)
            where_listed = DueFilter(projects=projects)
            book, rows = due_list(
                ctx, connection, day, where_listed, workdays=workdays, membership=membership
            )
            records = export_records(rows, book, day)
            if fmt is not ExportFormat.ics:
                # The SMS platform needs someone to message: project actions go to the
                # calendar only.
                records = [r for r in records if r["phone"]]
            files = []
            for name, target in targets:
                # A butler's own file is a destination of its own: what --new-only skips
                # for 李晓's calendar is what 李晓's calendar was given.
                mine = records if name is None else [r for r in records if r["butler"] == name]
                key = where if name is None else butler_destination(where, name)
                if new_only:
                    already = Audit(connection).exported(key, [r["action_id"] for r in mine])
                    mine = [r for r in mine if r["action_id"] not in already]
                files.append((name, target, key, mine))
        fault_point("export:read")
        completed: list[str] = []
        for name, target, key, mine in files:
            data = export_bytes(fmt, mine, day, name)
            written = [r["action_id"] for r in mine]
            # Sent is done (store/sent.py): the SMS platform's file completes the greetings,
            # bulletins and notices it carries, in the transaction that records it.
            sent = Sending(book, day, written if _sends_sms(fmt, where) else [])
            if is_stream(target):
                _write_to_stream(ctx, target, data, fmt, key, written, day, sent)
            else:
                _deliver(ctx, target, data, fmt, key, written, day, sent, permissions)
            completed += sent.completed
            if str(target) != "-":
                typer.echo(
                    _("{count} reminders for {day} written to {file}").format(
                        count=len(mine), day=day, file=target
                    ),
                    err=True,
                )
    if completed:
        typer.echo(
            _("{count} of them done by sending: their SMS is the whole action").format(
                count=len(completed)
            ),
            err=True,
        )
    keep_until_exit(rows, records, files)


BUTLER_PLACEHOLDER = "{butler}"


def export_targets(out: str, butlers: list[str]) -> list[tuple[str | None, Path]]:
    """Where each file goes: ``--out`` for the whole team, or a file a butler (``--out``
    with ``{butler}`` replaced by their name; one butler may also have a plain name)."""
    from sixplustwo.domain.errors import InvalidInput

    named = list(dict.fromkeys(butlers))  # each butler once, in the order given
    if not named:
        if BUTLER_PLACEHOLDER in out:
            raise InvalidInput(
                "--out {out} names {placeholder}: give --butler NAME",
                out=out,
                placeholder=BUTLER_PLACEHOLDER,
            )
        return [(None, Path(out))]
    if len(named) > 1 and (out == "-" or BUTLER_PLACEHOLDER not in out):
        raise InvalidInput(
            "several --butler write a file each: --out needs {placeholder} in its name, "
            "e.g. /srv/www/calendar/{placeholder}.ics",
            placeholder=BUTLER_PLACEHOLDER,
        )
    for name in named:
        if not name.strip() or "/" in name or "\0" in name or name.startswith("."):
            raise InvalidInput("--butler {name}: cannot be part of a file name", name=name)
    return [(name, Path(out.replace(BUTLER_PLACEHOLDER, name))) for name in named]


def butler_destination(destination: str, butler: str) -> str:
    """The --new-only record of one butler's file: ``calendar@李晓``."""
    return f"{destination}@{butler}"


def export_bytes(fmt: ExportFormat, records: list[dict], day: date, butler: str | None) -> bytes:
    """One export file's content."""
    from sixplustwo.io.exporting import csv_bytes, ics_bytes, json_bytes

    if fmt is ExportFormat.csv:
        return csv_bytes(records)
    if fmt is ExportFormat.json:
        return json_bytes([{k: v for k, v in r.items() if k != "phone_masked"} for r in records])
    return ics_bytes(records, day=day, name=butler)


SMS_DESTINATION = "sms"


def _sends_sms(fmt: ExportFormat, where: str) -> bool:
    """Does this export go to the SMS platform (the ``sms`` destination's rows, not a
    calendar's)?"""
    return where == SMS_DESTINATION and fmt is not ExportFormat.ics


class Sending:
    """The actions an export to the SMS platform completes by sending (their rules say
    ``sent_is_done``), recorded in the transaction that records the export's rows."""

    def __init__(self, book, day: date, action_ids: list[str]) -> None:
        self.book, self.day, self.action_ids = book, day, action_ids
        self.completed: list[str] = []

    def complete(self, db, batch_id: int | None) -> None:
        if not self.action_ids:
            return
        from sixplustwo.store.sent import Sent

        sent = Sent(db, self.book)
        self.completed = sent.complete_sent(self.action_ids, self.day, batch_id=batch_id)


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


def _deliver(
    ctx,
    target: Path,
    data: bytes,
    fmt,
    where: str,
    written,
    day: date,
    sent: Sending,
    mode: int = 0o600,
) -> None:
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
        write_private(temporary, data, mode)
        fault_point("export:temporary-written")
        with open_database(ctx, write=True) as db:  # journaled: an export cannot be undone
            audit = Audit(db, command_line(ctx).actor)
            audit.fill_batch(batch, written, _lease())
            sent.complete(db, batch.id)
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


def _write_to_stream(
    ctx, target: Path, data: bytes, fmt, where: str, written, day, sent: Sending
) -> None:
    """Stdout, a pipe or a device cannot be written whole or not at all: written first,
    then recorded (a run killed between the two writes these rows again next time)."""
    from sixplustwo.io.exporting import write_stream
    from sixplustwo.store.audit import Audit

    write_stream(target, data)
    with open_database(ctx, write=True) as db:
        Audit(db, command_line(ctx).actor).record_export(
            fmt.value, where, written, str(target), day
        )
        sent.complete(db, None)


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
