"""``sixplustwo export receipts FILE``: the SMS platform's delivery report. A message it names
failed is not sent: the action its sending completed is open again (SPEC §7, "Sent is done for
messages"). One transaction, audited, undoable; a bad row refuses the file, naming it."""

from __future__ import annotations

from pathlib import Path

import typer

from sixplustwo.cli.context import RollBack, open_database, open_store, today
from sixplustwo.cli.messages import N_, _
from sixplustwo.cli.options import FORMAT_OPTION, Format
from sixplustwo.cli.render import emit_json


def receipts(
    ctx: typer.Context,
    file: Path = typer.Argument(
        ...,
        metavar="FILE",
        help="CSV or XLSX: 状态/status (成功, 失败, DELIVRD, UNDELIV …), and action_id "
        "(or OutId, 外部流水号), or 手机号码/phone and 发送时间/date.",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check every row, change nothing."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Read the SMS platform's delivery report: the actions whose message failed are open
    again (and no longer counted done by the report); delivered and pending rows change
    nothing. All rows or none."""
    from sixplustwo.io.receipts import ReceiptFile
    from sixplustwo.store.batches import ImportResult
    from sixplustwo.store.sent import Reopened

    report = ReceiptFile(file, today())
    result = ImportResult()
    counts = {"delivered": 0, "failed": 0, "pending": 0}
    reopened = Reopened()
    try:
        with open_store(ctx, write=True) as store:
            failed: list[str] = []
            for _row, row in report:
                result.rows += 1
                if not hasattr(row, "delivery"):
                    result.problem(row)
                    continue
                counts[row.delivery] += 1
                if row.delivery != "failed":
                    continue
                if row.action_id is not None:
                    failed.append(row.action_id)
                else:
                    named = store.sent.sent_on(row.phone, row.on)
                    failed.extend(named or [f"{row.phone} {row.on.isoformat()}"])
            if result.problem_count:
                raise RollBack
            reopened = store.sent.reopen_failed(failed)
            if dry_run:
                raise RollBack
            store.audit.record(
                "export receipts",
                N_("{failed} failed: {reopened} re-opened"),
                len(reopened.actions),
                str(file),
                failed=counts["failed"],
                reopened=len(reopened.actions),
            )
    except RollBack:
        pass
    if result.problem_count:
        from sixplustwo.cli.messages import text
        from sixplustwo.domain.errors import InvalidInput

        for problem in result.problems:
            typer.echo(text(problem), err=True)
        raise InvalidInput(
            "{file}: {count} bad row(s); nothing re-opened", file=file, count=result.problem_count
        )
    from sixplustwo.domain.phones import mask_phone

    # A failed row that names no completion: by phone, masked (personal data).
    nothing = [
        item if ":" in item else f"{mask_phone(item.split()[0])} {item.split()[1]}"
        for item in reopened.nothing
    ]
    missed = _past_their_day(ctx, reopened.actions) if reopened.actions and not dry_run else []
    if fmt is Format.json:
        emit_json(
            {
                "rows": result.rows,
                "missed": missed,
                **counts,
                "reopened": reopened.actions,
                "deleted_event_ids": reopened.events,
                "nothing_to_reopen": nothing,
                "dry_run": dry_run,
            }
        )
        return
    line = (
        _("{file}: {failed} failed, {reopened} would be open again (dry run); {delivered} "
          "delivered, {pending} pending")
        if dry_run
        else _("{file}: {failed} failed, {reopened} open again; {delivered} delivered, "
               "{pending} pending")
    )  # fmt: skip
    typer.echo(
        line.format(
            file=file,
            failed=counts["failed"],
            reopened=len(reopened.actions),
            delivered=counts["delivered"],
            pending=counts["pending"],
        )
    )
    if reopened.actions:
        typer.echo(_("open again: {ids}").format(ids=", ".join(reopened.actions)))
    if nothing:
        typer.echo(
            _("failed, but completed nothing by sending: {items}").format(items=", ".join(nothing))
        )
    if missed:
        typer.echo(
            _(
                "past their day, so not on the list (missed): {ids}; call the owner and record "
                "it with sixplustwo done ID"
            ).format(ids=", ".join(missed))
        )


def _past_their_day(ctx, action_ids: list[str]) -> list[str]:
    """Those of the re-opened actions that today's list does not show: their grace is over
    (a birthday's greeting the day after), so only a butler who is told will make up for it."""
    from sixplustwo.cli.context import due_list
    from sixplustwo.store.queries import DueFilter

    with open_database(ctx, write=False) as connection:
        rows = due_list(ctx, connection, today(), DueFilter(), workdays=False, membership=None)[1]
    listed = {row.action.action_id for row in rows}
    return [action_id for action_id in action_ids if action_id not in listed]
