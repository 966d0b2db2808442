"""``sixplustwo referral``: the 滚雪球计划 ledger of who referred whom and what is owed."""

from __future__ import annotations

import typer

from sixplustwo.cli.context import open_store, parse_day, today
from sixplustwo.cli.options import FORMAT_OPTION, Format
from sixplustwo.cli.render import console_out, render

app = typer.Typer(help="Referral rewards (老带新, 滚雪球计划).", no_args_is_help=True)


@app.command("list")
def list_referrals(
    ctx: typer.Context,
    referrer: int | None = typer.Option(None, "--referrer", help="Only this referrer's."),
    on: str | None = typer.Option(
        None,
        "--as-of",
        "--date",
        help="As of this day (default today): what was recorded on or before it.",
    ),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Each referrer's referrals: pending (not signed), confirmed (signed, reward owed) or
    settled, with the reward and how it is paid (抵扣物业费 or 抵扣契税)."""
    from dataclasses import asdict

    from sixplustwo.domain.phones import mask_phone
    from sixplustwo.store.referrals import ledger_totals

    day = parse_day(on, "--as-of") or today()
    with open_store(ctx, write=False) as store:
        if referrer is not None:
            store.owners.get(referrer)  # an unknown id is an error, not an empty list
        entries = store.referrals.ledger(day, referrer)
    overall = ledger_totals(entries)
    ledger = [asdict(entry) for entry in entries]
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
            ("referrer_id", "推荐人编号"),
            ("referrer", "推荐人"),
            ("referred_id", "被推荐人编号"),
            ("referred", "被推荐人"),
            ("signed", "签约"),
            ("status_label", "状态"),
            ("amount", "奖励(元)"),
            ("settlement", "结算方式"),
            ("settled_on", "结算日"),
        ],
        fmt,
        title="老带新奖励台账（滚雪球计划）",
        empty="no referrals recorded — 暂无老带新记录",
    )
    totals: dict[int, dict[str, int]] = {}
    for row in ledger:
        total = totals.setdefault(row["referrer_id"], {"confirmed": 0, "settled": 0})
        if row["status"] in total:
            total[row["status"]] += row["amount"] or 0
    console = console_out()
    for referrer_id, total in totals.items():
        console.print(
            f"推荐人 {referrer_id}: 待结算 {total['confirmed']} 元, 已结算 {total['settled']} 元"
        )
    if ledger:
        from sixplustwo.cli.messages import _

        # The same totals as the report's referral figures on that day (ledger_totals).
        console.print(
            _(
                "As of {day}: {pending} pending, {owed} owed ({owed_amount} yuan), "
                "{settled} settled ({settled_amount} yuan)"
            ).format(day=day.isoformat(), **overall)
        )
