"""``sixplustwo report``: what a manager reads about the 6+2 steps, in the terminal or a page."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from sixplustwo.cli.context import open_store, parse_day, today
from sixplustwo.cli.options import format_option
from sixplustwo.cli.render import console_out, emit_json
from sixplustwo.domain.text import visible

_BAR = 20


def _bar(rate: float | None) -> str:
    if rate is None:
        return ""
    filled = round(rate * _BAR)
    return "█" * filled + "░" * (_BAR - filled)


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def report(
    ctx: typer.Context,
    project: str | None = typer.Option(None, "--project", help="Only this project."),
    start: str | None = typer.Option(None, "--from", help="First day (default: quarter start)."),
    end: str | None = typer.Option(None, "--to", help="Last day (default: today)."),
    html: Path | None = typer.Option(None, "--html", help="Also write a self-contained page."),
    fmt: str = format_option("table", help="table or json."),
) -> None:
    """The 6+2 execution report: per step and rule done on time, late, missed or open; each
    butler's workload and on-time rate; satisfaction; complaints and repairs; referrals."""
    from sixplustwo.cli.labels import label
    from sixplustwo.domain.errors import InvalidInput
    from sixplustwo.io.exporting import write_atomically
    from sixplustwo.io.report_html import report_html
    from sixplustwo.store.reporting import build_report

    if fmt not in ("table", "json"):
        from sixplustwo.cli.messages import _

        raise typer.BadParameter(
            _("{fmt!r} is not one of table, json").format(fmt=fmt), param_hint="--format"
        )
    day = today()
    last = parse_day(end, "--to") or day
    first = parse_day(start, "--from") or _quarter_start(last)
    if first > last:
        raise InvalidInput("--from {first} is after --to {last}", first=first, last=last)
    with open_store(ctx, write=False) as store:
        found = store.projects.get(project) if project else None
        data = build_report(
            store.db,
            store.playbook,
            start=first,
            end=last,
            today=day,
            project_id=found.id if found else None,
        )
    _name_groups(data)
    data["project"] = found.code if found else None
    title = f"6+2 执行报告 · {found.name if found else '全部项目'}"
    if html is not None:
        write_atomically(html, report_html(data, title, label).encode("utf-8"))
        typer.echo(f"report written to {html}", err=True)
    if fmt == "json":
        emit_json(data)
        return
    _print(data, title)


def _name_groups(data: dict) -> None:
    """The store reports codes: each step gets its name, and rows of work with no butler are
    named by their group and sorted among the others."""
    from sixplustwo.cli.labels import label

    data["steps"] = [
        {"step": row["step"], "name": label("step", row["step"]), **row} for row in data["steps"]
    ]
    for row in data["butlers"]:
        group = row.pop("group", None)
        if group is not None:
            row["butler"] = label("work_group", group)
    data["butlers"].sort(key=lambda row: row["butler"])


def _print(data: dict, title: str) -> None:
    from rich.text import Text

    from sixplustwo.cli.labels import label
    from sixplustwo.cli.layout import Column, print_rows

    console = console_out()
    period = data["period"]
    console.print(Text(visible(f"{title}  {period['from']} – {period['to']}"), style="bold"))
    keys = ("on_time", "late", "missed", "open")

    def outcome_table(caption: str, first: str, rows: list[dict], name_of) -> None:
        # One line a row: its name and its numbers whole; the bar gives way first.
        columns = [
            Column("name", first, 10, keep=True),
            *(Column(key, label("outcome_head", key), 9, keep=True, right=True) for key in keys),
            Column("rate", "按时率", 9, keep=True, right=True),
            Column("bar", "", 1),
        ]
        shown = [
            {
                "name": name_of(row),
                **{key: str(row[key]) for key in keys},
                "rate": "" if row["on_time_rate"] is None else f"{row['on_time_rate']:.0%}",
                "bar": _bar(row["on_time_rate"]),
            }
            for row in rows
        ]
        console.print()
        print_rows(shown, columns, empty="—", title=caption)

    outcome_table(
        "6+2 各步骤", "步骤", data["steps"], lambda r: f"{r['step']} {label('step', r['step'])}"
    )
    rules = [r for r in data["rules"] if any(r[k] for k in keys)]
    outcome_table("各规则", "事项", rules, lambda r: r["title"])
    outcome_table("管家工作量与按时率", "管家", data["butlers"], lambda r: r["butler"])
    console.print()
    satisfaction = data["satisfaction"]
    most = max(satisfaction["distribution"].values(), default=0) or 1
    average = satisfaction["average"]
    console.print(
        f"客户满意度: {satisfaction['answers']} 份, 平均 {'—' if average is None else average} 分"
    )
    for score, count in satisfaction["distribution"].items():
        console.print(f"  {score} 分 {'█' * round(_BAR * count / most):<{_BAR}} {count}")
    for kind, cases in data["cases"].items():
        median = cases["median_days_to_resolve"]
        rate = cases["revisit_rate"]
        console.print(
            f"{label('case_kind', kind)}: 新增 {cases['opened']}, "
            f"未解决 {cases['open_now']}, 解决 {cases['resolved']}, "
            f"用时中位数 {'—' if median is None else median} 天, "
            f"回访率 {'—' if rate is None else f'{rate:.0%}'}"
        )
    if data["checklist_problems"]:
        console.print("检查项问题（按项目，最多的在前）:")
        for row in data["checklist_problems"]:
            console.print(
                Text(
                    visible(
                        f"  {row['project']} {row['item']}: "
                        f"{row['problems']}/{row['checked']} 次有问题"
                    )
                )
            )
    referrals = data["referrals"]
    console.print(
        f"老带新（期间）: 签约 {referrals['referred_signed']} 位, "
        f"结算 {referrals['rewards_settled']} 项 {referrals['settled_amount']} 元"
    )
    console.print(
        f"老带新（截至 {period['as_of']}）: 待签约 {referrals['pending']} 位, "
        f"待结算 {referrals['rewards_due']} 项 {referrals['reward_amount']} 元"
    )
