"""``sixplustwo notify``: the day's list to each butler's chat robot, the owners' SMS through
a gateway, and the outbox's state (issue 30; SPEC §7 "The butler's phone").

Exactly once: every message is an outbox row (store/outbox.py) before it is sent, marked
``sending`` in its own commit before the request and ``sent``/``failed`` after the answer,
so that a run killed at any moment leaves at most the messages in flight ``sending``:
``notify status`` lists them as unknown and only ``notify retry --unknown`` sends them
again. A run holds the database's lock (``notify-butlers`` or ``notify-owners``, as the
export's), so that two hosts running at once send each message once.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

import typer

from sixplustwo.cli.context import (
    day_or_today,
    db_option,
    due_list,
    open_database,
)
from sixplustwo.cli.messages import _, warning_line
from sixplustwo.cli.notify_send import Outcome, host_name, send_messages
from sixplustwo.cli.options import FORMAT_OPTION, Format

if TYPE_CHECKING:
    from sixplustwo.io.channels.config import Channels
    from sixplustwo.store.outbox import Message

app = typer.Typer(
    help="Send the day's list to the butlers' chat robots and the owners' SMS.",
    no_args_is_help=True,
)

CHANNELS_OPTION = typer.Option(
    None,
    "--channels",
    metavar="FILE",
    help="The robots, routes and SMS gateway (mode 0600; default $SIXPLUSTWO_CHANNELS).",
)
TIMEOUT_OPTION = typer.Option(
    300.0, "--timeout", min=1, metavar="SECONDS", help="Stop retrying after this many seconds."
)
WAIT_OPTION = typer.Option(
    60.0, "--wait", min=0, metavar="SECONDS", help="Seconds to wait for another notify."
)
DATE_OPTION = typer.Option(None, "--date", metavar="DATE", help="The day (default today).")
DRY_RUN_OPTION = typer.Option(False, "--dry-run", help="Show what would be sent; send nothing.")
# For tests and for a run that must act as of another moment: the team's local time now.
NOW_ENV = "SIXPLUSTWO_NOW"


def _now() -> datetime:
    fixed = os.environ.get(NOW_ENV)
    return datetime.fromisoformat(fixed) if fixed else datetime.now()


def _channels(option: str | None) -> Channels:
    from sixplustwo.io.channels.config import channels_path, read_channels

    return read_channels(channels_path(option))


# -- notify butlers -------------------------------------------------------------------------


@app.command("butlers")
def butlers(
    ctx: typer.Context,
    on: str | None = DATE_OPTION,
    dry_run: bool = DRY_RUN_OPTION,
    empty: bool = typer.Option(False, "--empty", help="Tell a butler with nothing due so too."),
    channels: str | None = CHANNELS_OPTION,
    timeout: float = TIMEOUT_OPTION,
    wait: float = WAIT_OPTION,
) -> None:
    """Send each butler the day's list (as `due --butler` gives it) through their robot."""
    from sixplustwo.cli.due import due_records
    from sixplustwo.cli.notify_text import butler_messages
    from sixplustwo.store.database import lock, require_database
    from sixplustwo.store.outbox import Message
    from sixplustwo.store.queries import DueFilter

    day = day_or_today(on)
    config = _channels(channels)
    require_database(db_option(ctx))
    with lock(db_option(ctx), "notify-butlers", 0 if dry_run else wait):
        with open_database(ctx, write=False) as connection:
            rows = due_list(ctx, connection, day, DueFilter(), workdays=False, membership=None)[1]
        by_butler: dict[str, list[dict]] = {}
        for record in due_records(rows, day):
            if record["butler"]:
                by_butler.setdefault(record["butler"], []).append(record)
        unrouted = sorted(b for b in by_butler if b not in config.butlers)
        for butler in unrouted:
            message = _("{butler}: no route in {path}; {count} actions not sent")
            typer.echo(
                warning_line(
                    message.format(butler=butler, path=config.path, count=len(by_butler[butler]))
                ),
                err=True,
            )
        messages: list[Message] = []
        for butler, route in config.butlers.items():
            records = by_butler.get(butler, [])
            if not records and not empty:
                continue
            robot = config.robots[route.robot]
            payloads = butler_messages(
                robot.kind,
                robot.msgtype,
                butler,
                day,
                [_jsonable(r) for r in records],
                route.mobile,
            )
            for part, payload in enumerate(payloads, 1):
                key = f"{robot.name}/{butler}/{day.isoformat()}/{part}"
                messages.append(
                    Message(
                        key,
                        robot.name,
                        robot.kind,
                        butler,
                        day,
                        part,
                        payload=json.dumps(payload, ensure_ascii=False),
                    )
                )
        if dry_run:
            _show_dry_run(messages)
            return
        outcome = send_messages(ctx, config, messages, timeout, "notify butlers")
    _report(outcome, day)


def _jsonable(record: dict) -> dict:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in record.items()}


def _show_dry_run(messages: Sequence[Message]) -> None:
    for message in messages:
        payload = json.loads(message.payload)
        typer.echo(f"# {message.channel} → {message.subject} ({message.kind})")
        typer.echo(payload.get("text") or payload.get("body") or _sms_line(payload))
    typer.echo(_("{count} messages would be sent").format(count=len(messages)), err=True)


def _sms_line(payload: dict) -> str:
    from sixplustwo.domain.phones import mask_phone

    params = ", ".join(f"{k}={v}" for k, v in payload["params"].items())
    return f"{mask_phone(payload['phone'])} {payload['template']} {params}"


# -- notify owners --------------------------------------------------------------------------


@app.command("owners")
def owners(
    ctx: typer.Context,
    on: str | None = DATE_OPTION,
    dry_run: bool = DRY_RUN_OPTION,
    channels: str | None = CHANNELS_OPTION,
    timeout: float = TIMEOUT_OPTION,
    wait: float = WAIT_OPTION,
) -> None:
    """Send the owners' SMS (the SMS export's rows) through the SMS gateway, decently."""
    from sixplustwo.cli.context import playbook_in_force
    from sixplustwo.cli.export import export_records
    from sixplustwo.domain.errors import InvalidInput
    from sixplustwo.domain.notices import in_quiet_hours
    from sixplustwo.store.database import lock, require_database
    from sixplustwo.store.queries import DueFilter

    day = day_or_today(on)
    config = _channels(channels)
    if config.sms is None:
        raise InvalidInput("channels file {path} has no [sms] table", path=config.path)
    require_database(db_option(ctx))
    with open_database(ctx, write=False) as connection:
        book = playbook_in_force(ctx, connection)
    moment = _now()
    if in_quiet_hours(book.settings.quiet_hours, moment):
        message = _("quiet hours ({hours}): no SMS sent at {time}; run again after them")
        typer.echo(
            warning_line(
                message.format(hours=book.settings.quiet_hours, time=moment.strftime("%H:%M"))
            ),
            err=True,
        )
        return
    with lock(db_option(ctx), "notify-owners", 0 if dry_run else wait):
        with open_database(ctx, write=False) as connection:
            book, rows = due_list(
                ctx, connection, day, DueFilter(), workdays=False, membership=None
            )
            records = [r for r in export_records(rows, book, day) if r["phone"]]
            quiet_owners = _opted_out(connection, [r["owner_id"] for r in records])
            messages = _owner_messages(
                ctx, connection, config, book, rows, records, quiet_owners, day
            )
        if dry_run:
            _show_dry_run(messages)
            return
        outcome = send_messages(ctx, config, messages, timeout, "notify owners")
        _complete_sent(ctx, book, day)
    _report(outcome, day)


def _opted_out(connection, owner_ids: Sequence[int]) -> set[int]:
    """Owners who want no SMS (owner edit --no-sms, 短信退订) or were forgotten."""
    found: set[int] = set()
    for placeholders, params in connection.in_bulk(sorted({o for o in owner_ids if o})):
        found.update(
            owner
            for (owner,) in connection.query(
                f"SELECT id FROM owner WHERE id IN ({placeholders}) "
                "AND (no_sms = TRUE OR forgotten_on IS NOT NULL)",
                params,
            )
        )
    return found


def _owner_messages(ctx, connection, config, book, rows, records, quiet_owners, day):
    from sixplustwo.cli.export import message_values
    from sixplustwo.cli.notify_text import sms_payload
    from sixplustwo.domain.notices import within_allowance
    from sixplustwo.store.outbox import Message, Outbox

    sms = config.sms
    by_action = {row.action.action_id: row for row in rows}
    candidates, untemplated = [], {}
    for record in records:
        if record["owner_id"] in quiet_owners:
            continue
        code = sms.templates.get(record["rule"])
        if not code:
            untemplated[record["rule"]] = untemplated.get(record["rule"], 0) + 1
            continue
        candidates.append((record, code))
    for rule, count in sorted(untemplated.items()):
        message = _("rule {rule} has no template code in [sms.templates]; {count} SMS not sent")
        typer.echo(warning_line(message.format(rule=rule, count=count)), err=True)
    outbox = Outbox(connection)
    already = outbox.sent_to_owners(day, [r["owner_id"] for r, _ in candidates])
    existing = outbox.rows(_sms_key(r["action_id"], day) for r, _ in candidates)
    # What was (or may have been) sent earlier today is counted once, not again as new.
    fresh = [(r, c) for r, c in candidates if _sms_key(r["action_id"], day) not in existing]
    allowed = within_allowance(
        [r["owner_id"] for r, _ in fresh], book.settings.sms_per_owner_per_day, already
    )
    waiting = sum(1 for ok in allowed if not ok)
    if waiting:
        message = _("{count} SMS wait for tomorrow: at most {most} an owner a day")
        typer.echo(
            warning_line(message.format(count=waiting, most=book.settings.sms_per_owner_per_day)),
            err=True,
        )
    amount, settlement = book.settings.referral_reward, book.settings.referral_settlement
    messages = []
    for (record, code), ok in zip(fresh, allowed, strict=True):
        if not ok:
            continue
        row = by_action[record["action_id"]]
        rule = book.get(row.action.rule)
        values = message_values(row, record["title"], amount, settlement)
        payload = sms_payload(row.phone, code, rule.template_for(row.action.detail), values)
        messages.append(
            Message(
                _sms_key(record["action_id"], day),
                "sms",
                sms.kind,
                record["action_id"],
                day,
                1,
                record["owner_id"],
                record["action_id"],
                json.dumps(payload, ensure_ascii=False),
            )
        )
    # Failed earlier today (refused, not sent): tried again.
    for row in existing.values():
        if row.state in ("pending", "failed") and row.payload:
            messages.append(row.message())
    return messages


def _sms_key(action_id: str, day: date) -> str:
    return f"sms/{action_id}/{day.isoformat()}"


def _complete_sent(ctx, book, day: date) -> None:
    """Complete the ``sent_is_done`` actions whose SMS went out on ``day`` (store/sent.py), as
    the SMS export does: this run's and any an earlier, killed run sent but did not get to
    complete (an action some event already names is left as it is)."""
    from sixplustwo.io.channels import SMS_KINDS
    from sixplustwo.store.outbox import SENT, Outbox
    from sixplustwo.store.sent import Sent

    with open_database(ctx, write=True) as db:
        sent = [
            row.action_id
            for row in Outbox(db).of_day(day, [SENT])
            if row.action_id and row.kind in SMS_KINDS
        ]
        if sent:
            Sent(db, book).complete_sent(sent, day)


def _report(outcome: Outcome, day: date) -> None:
    message = _(
        "{day}: {sent} sent, {failed} failed, {unknown} unknown, {left} left for "
        "the next run, {skipped} sent before"
    )
    typer.echo(
        message.format(
            day=day.isoformat(),
            sent=outcome.sent,
            failed=outcome.failed,
            unknown=outcome.unknown,
            left=outcome.left,
            skipped=outcome.skipped,
        ),
        err=True,
    )
    if outcome.unknown:
        warning = _(
            "{count} messages may or may not have arrived: see notify status; "
            "notify retry --unknown sends them again"
        )
        typer.echo(warning_line(warning.format(count=outcome.unknown)), err=True)
    if outcome.failed or outcome.unknown or outcome.left:
        raise typer.Exit(1)


# -- notify status, notify retry ------------------------------------------------------------


@app.command("status")
def status(ctx: typer.Context, on: str | None = DATE_OPTION, fmt: Format = FORMAT_OPTION) -> None:
    """The day's outbox: each message's state (unknown: it may have arrived)."""
    from sixplustwo.cli.render import render
    from sixplustwo.store.outbox import SENDING, UNKNOWN, Outbox

    day = day_or_today(on)
    with open_database(ctx, write=False) as connection:
        found = Outbox(connection).of_day(day)
    rows = [
        {
            "key": r.key,
            "channel": r.channel,
            "kind": r.kind,
            "subject": r.subject,
            "part": r.part,
            "state": UNKNOWN if r.state == SENDING else r.state,
            "attempts": r.attempts,
            "code": r.code,
            "detail": r.detail,
            "updated_at": r.updated_at[:19],
        }
        for r in found
    ]
    if fmt is Format.table:
        from sixplustwo.cli.layout import Column

        render(
            rows,
            [
                Column("state", _("State"), 7, keep=True),
                Column("channel", _("Channel"), 6, keep=True),
                Column("subject", _("To"), 8, keep=True),
                Column("part", _("Part"), 2),
                Column("attempts", _("Tries"), 2),
                Column("code", _("Code"), 4),
                Column("detail", _("Details"), 6),
                Column("updated_at", _("Time"), 8),
            ],
            fmt,
            empty=_("{day}: nothing in the outbox").format(day=day.isoformat()),
        )
    else:
        render(rows, [], fmt)
    unknown = sum(1 for r in rows if r["state"] == UNKNOWN)
    if unknown:
        warning = _(
            "{count} messages may or may not have arrived: check with the service, "
            "then notify retry --unknown sends them again"
        )
        typer.echo(warning_line(warning.format(count=unknown)), err=True)


@app.command("retry")
def retry(
    ctx: typer.Context,
    unknown: bool = typer.Option(
        False, "--unknown", help="Send again the messages whose fate is unknown."
    ),
    on: str | None = DATE_OPTION,
    channels: str | None = CHANNELS_OPTION,
    timeout: float = TIMEOUT_OPTION,
    wait: float = WAIT_OPTION,
) -> None:
    """Send again the day's messages a killed run left unknown (they may arrive twice)."""
    from sixplustwo.domain.errors import InvalidInput
    from sixplustwo.store.database import lock, require_database
    from sixplustwo.store.outbox import FAILED, SENDING, UNKNOWN, Outbox

    if not unknown:
        raise InvalidInput("notify retry: say what to send again: --unknown")
    day = day_or_today(on)
    config = _channels(channels)
    require_database(db_option(ctx))
    with lock(db_option(ctx), "notify-butlers", wait), lock(db_option(ctx), "notify-owners", wait):
        from sixplustwo.store.database import session

        with session(db_option(ctx)) as writing, writing() as db:
            outbox = Outbox(db, host_name())
            rows = outbox.of_day(day, (SENDING, UNKNOWN))
            # Each goes back to "failed", so that the sender claims it once more.
            for row in rows:
                db.change(
                    "UPDATE outbox SET state = :failed WHERE msg_key = :key",
                    {"failed": FAILED, "key": row.key},
                )
        outcome = send_messages(
            ctx, config, [r.message() for r in rows if r.payload], timeout, "notify retry"
        )
    _report(outcome, day)
