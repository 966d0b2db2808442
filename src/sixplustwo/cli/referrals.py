"""``sixplustwo referral``: the 滚雪球计划 ledger of who referred whom and what is owed."""

from __future__ import annotations

import typer

from sixplustwo.cli.console import console_out
from sixplustwo.cli.context import open_store, parse_day, today
from sixplustwo.cli.messages import _
from sixplustwo.cli.options import FORMAT_OPTION, Format
from sixplustwo.cli.render import render

app = typer.Typer(help="Referral rewards (老带新, 滚雪球计划).", no_args_is_help=True)


@app.command("list")
def list_referrals(
    ctx: typer.Context,
    referrer: str | None = typer.Option(
        None,
        "--referrer",
        metavar="OWNER",
        help="Only this referrer's: owner id, or a phone, *last-4, flat or name naming one.",
    ),
    on: str | None = typer.Option(
        None,
        "--as-of",
        "--date",
        metavar="DATE",
        help="As of this day (default today): what was recorded on or before it.",
    ),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Each referrer's referrals: pending (not signed), confirmed (signed, reward owed) or
    settled, with the reward and how it is paid (抵扣物业费 or 抵扣契税)."""
    from dataclasses import asdict

    from sixplustwo.domain.phones import mask_phone
    from sixplustwo.store.referrals import ledger_totals
    from sixplustwo.store.search import resolve_owner

    day = parse_day(on, "--as-of") or today()
    with open_store(ctx, write=False) as store:
        referrer_id = None
        if referrer is not None:
            referrer_id = resolve_owner(store.db, referrer)
            store.owners.get(referrer_id)  # an unknown id is an error, not an empty list
        entries = store.referrals.ledger(day, referrer_id)
    overall = ledger_totals(entries)
    ledger = [asdict(entry) for entry in entries]
    for row in ledger:
        row["referrer_phone"] = mask_phone(row["referrer_phone"])
    if fmt is not Format.table:
        render(ledger, [], fmt)
        return
    from sixplustwo.cli.labels import label
    from sixplustwo.cli.layout import Column

    for row in ledger:
        row["status_label"] = label("referral_status", row["status"])
        row["amount_shown"] = row["amount"] or ""
        # Each person by id and name together: the id is what other commands take.
        row["referrer_shown"] = f"{row['referrer_id']} {row['referrer'] or '—'}"
        row["referred_shown"] = f"{row['referred_id']} {row['referred'] or '—'}"
    # One line a referral: who referred whom, where it stands and what is owed stay whole.
    render(
        ledger,
        [
            Column("referrer_shown", _("Referrer"), 10, keep=True),
            Column("referred_shown", _("Referred"), 10, keep=True),
            Column("status_label", _("Status"), 9, keep=True),
            Column("amount_shown", _("Reward (yuan)"), 9, keep=True, right=True),
            Column("signed", _("Signed"), 6),
            Column("settlement", _("Paid as"), 5),
            Column("settled_on", _("Settled on"), 4),
            Column("referrer_phone", _("Referrer's phone"), 2),
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
    if ledger:
        # The same totals as the report's referral figures on that day (ledger_totals).
        console.print(
            _(
                "As of {day}: {pending} pending, {owed} owed ({owed_amount} yuan), "
                "{settled} settled ({settled_amount} yuan)"
            ).format(day=day.isoformat(), **overall)
        )
