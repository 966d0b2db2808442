"""``sixplustwo referral``: the 滚雪球计划 ledger of who referred whom and what is owed."""

from __future__ import annotations

import typer

from sixplustwo.cli.context import open_store, parse_day, today
from sixplustwo.cli.messages import _
from sixplustwo.cli.options import FORMAT_OPTION, Format
from sixplustwo.cli.render import console_out, render

app = typer.Typer(help="Referral rewards (老带新, 滚雪球计划).", no_args_is_help=True)


@app.command("list")
def list_referrals(
    ctx: typer.Context,
    referrer: int | None = typer.Option(
        None, "--referrer", metavar="ID", help="Only this referrer's."
    ),
    on: str | None = typer.Option(
        None, "--date", metavar="DATE", help="As of this day (default today)."
    ),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Each referrer's referrals: pending (not signed), confirmed (signed, reward owed) or
    settled, with the reward and how it is paid (抵扣物业费 or 抵扣契税)."""
    from dataclasses import asdict

    from sixplustwo.domain.phones import mask_phone

    day = parse_day(on, "--date") or today()
    with open_store(ctx, write=False) as store:
        if referrer is not None:
            store.owners.get(referrer)  # an unknown id is an error, not an empty list
        ledger = [asdict(entry) for entry in store.referrals.ledger(day, referrer)]
    for row in ledger:
        row["referrer_phone"] = mask_phone(row["referrer_phone"])
    if fmt is not Format.table:
        render(ledger, [], fmt)
        return
    from sixplustwo.cli.labels import label

    for row in ledger:
        row["status_label"] = label("referral_status", row["status"])
        row["amount"] = row["amount"] or ""
    render(
        ledger,
        [
            ("referrer_id", _("Referrer ID")),
            ("referrer", _("Referrer")),
            ("referred_id", _("Referred ID")),
            ("referred", _("Referred")),
            ("signed", _("Signed")),
            ("status_label", _("Status")),
            ("amount", _("Reward (yuan)")),
            ("settlement", _("Paid as")),
            ("settled_on", _("Settled on")),
        ],
        fmt,
        title=_("Referral rewards ledger (滚雪球计划)"),
        empty=_("no referrals recorded"),
    )
    totals: dict[int, dict[str, int]] = {}
    for row in ledger:
        total = totals.setdefault(row["referrer_id"], {"confirmed": 0, "settled": 0})
        if row["status"] in total:
            total[row["status"]] += row["amount"] or 0
    console = console_out()
    for referrer_id, total in totals.items():
        console.print(
            _("referrer {id}: {confirmed} yuan to settle, {settled} yuan settled").format(
                id=referrer_id, confirmed=total["confirmed"], settled=total["settled"]
            )
        )
