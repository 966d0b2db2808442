"""``sixplustwo report``: what a manager reads about the 6+2 steps, in the terminal or a page."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from sixplustwo.cli.console import console_out
from sixplustwo.cli.context import open_store, parse_day, today
from sixplustwo.cli.messages import _
from sixplustwo.cli.options import format_option, projects_option
from sixplustwo.cli.render import emit_json
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
    project: list[str] = projects_option(),
    start: str | None = typer.Option(
        None, "--from", metavar="DATE", help="First day (default: quarter start)."
    ),
    end: str | None = typer.Option(None, "--to", metavar="DATE", help="Last day (default: today)."),
    html: Path | None = typer.Option(
        None, "--html", metavar="FILE", help="Also write a self-contained page."
    ),
    fmt: str = format_option("table", help="table or json."),
) -> None:
    """The 6+2 execution report: per step and rule done on time, late, missed or open; each
    butler's workload and on-time rate; satisfaction; complaints and repairs; referrals."""
    from sixplustwo.cli.labels import chinese
    from sixplustwo.domain.errors import InvalidInput
    from sixplustwo.io.exporting import write_atomically
    from sixplustwo.io.report_html import report_html
    from sixplustwo.store.reporting import build_report

    if fmt not in ("table", "json"):
        raise typer.BadParameter(
            _("{fmt!r} is not one of table, json").format(fmt=fmt), param_hint="--format"
        )
    day = today()
    last = parse_day(end, "--to") or day
    first = parse_day(start, "--from") or _quarter_start(last)
    if first > last:
        raise InvalidInput("--from {first} is after --to {last}", first=first, last=last)
    with open_store(ctx, write=False) as store:
        # Any of the projects named (--project, repeatable), each once, in the order given.
        found = list({p.id: p for p in map(store.projects.get, project)}.values())
        data = build_report(
            store.db,
            store.playbook,
            start=first,
            end=last,
            today=day,
            project_id=[p.id for p in found] or None,
        )
    _name_groups(data)
    data["project"] = ",".join(p.code for p in found) or None
    data["projects"] = [p.code for p in found]
    names = "、".join(p.name for p in found)
    if html is not None:
        # The page is a Chinese document for managers, whatever the terminal's language.
        title = f"6+2 执行报告 · {names or '全部项目'}"
        write_atomically(html, report_html(data, title, chinese).encode("utf-8"))
        typer.echo(_("report written to {file}").format(file=html), err=True)
    if fmt == "json":
        emit_json(data)
        return
    name = names or _("all projects")
    _print(data, _("6+2 execution report · {project}").format(project=name))


def _name_groups(data: dict) -> None:
    """The store reports codes: each step gets its name, and rows of work with no butler are
    named by their group and sorted among the others (in Chinese whatever the language: the
    JSON and the page carry them)."""
    from sixplustwo.cli.labels import chinese

    data["steps"] = [
        {"step": row["step"], "name": chinese("step", row["step"]), **row} for row in data["steps"]
    ]
    for row in data["butlers"]:
        group = row.pop("group", None)
        if group is not None:
            row["butler"] = chinese("work_group", group)
    data["butlers"].sort(key=lambda row: row["butler"])


def _print(data: dict, title: str) -> None:
    from rich.text import Text

    from sixplustwo.cli.labels import WORK_GROUP, chinese, label
    from sixplustwo.cli.layout import Column, print_rows

    groups = {chinese("work_group", code): label("work_group", code) for code in WORK_GROUP}
    console = console_out()
    period = data["period"]
    console.print(Text(visible(f"{title}  {period['from']} – {period['to']}"), style="bold"))
    keys = ("on_time", "late", "missed", "open")
    if period.get("go_live"):
        console.print(
            Text(
                _("Go-live {date}: actions due before it are not counted").format(
                    date=period["go_live"]
                )
            )
        )

    def outcome_table(caption: str, first: str, rows: list[dict], name_of) -> None:
        # One line a row: its name and its numbers whole; the bar gives way first.
        columns = [
            Column("name", first, 10, keep=True),
            *(Column(key, label("outcome_head", key), 9, keep=True, right=True) for key in keys),
            Column("rate", _("On-time rate"), 9, keep=True, right=True),
            Column("bar", "", 1),
        ]
        shown = [
            {
                "name": name_of(row),
                **{key: "" if row[key] is None else str(row[key]) for key in keys},
                "rate": "" if row["on_time_rate"] is None else f"{row['on_time_rate']:.0%}",
                "bar": _bar(row["on_time_rate"]),
            }
            for row in rows
        ]
        console.print()
        print_rows(shown, columns, empty="—", title=caption)

    outcome_table(
        _("The 6+2 steps"),
        _("Step"),
        data["steps"],
        lambda r: f"{r['step']} {label('step', r['step'])}",
    )
    if period.get("before_go_live"):
        console.print(
            Text(_("The period ends before go-live: its actions are history, no figures"))
        )
    rules = [r for r in data["rules"] if any(r[k] for k in keys)]
    outcome_table(_("Rules"), _("Action"), rules, lambda r: r["title"])
    outcome_table(
        _("Butlers' workload and on-time rate"),
        _("Butler"),
        data["butlers"],
        lambda r: groups.get(r["butler"], r["butler"]),
    )
    console.print()
    satisfaction = data["satisfaction"]
    most = max(satisfaction["distribution"].values(), default=0) or 1
    average = satisfaction["average"]
    console.print(
        _("Satisfaction: {answers} answers, average {average}").format(
            answers=satisfaction["answers"], average="—" if average is None else average
        )
    )
    for score, count in satisfaction["distribution"].items():
        bar = "█" * round(_BAR * count / most)
        console.print(f"  {_('score {score}').format(score=score)} {bar:<{_BAR}} {count}")
    for kind, cases in data["cases"].items():
        median = cases["median_days_to_resolve"]
        rate = cases["revisit_rate"]
        console.print(
            Text(
                _(
                    "{kind}: {opened} new, {open} open, {resolved} resolved, median {days} days "
                    "to resolve, revisited {rate}"
                ).format(
                    kind=label("case_kind", kind),
                    opened=cases["opened"],
                    open=cases["open_now"],
                    resolved=cases["resolved"],
                    days="—" if median is None else median,
                    rate="—" if rate is None else f"{rate:.0%}",
                )
            )
        )
    if data["checklist_problems"]:
        console.print(Text(_("Checklist problems (by project, most first):")))
        for row in data["checklist_problems"]:
            console.print(
                Text(
                    visible(
                        "  "
                        + _("{project} {item}: a problem {problems} times of {checked}").format(
                            project=row["project"],
                            item=row["item"],
                            problems=row["problems"],
                            checked=row["checked"],
                        )
                    )
                )
            )
    referrals = data["referrals"]
    console.print(
        _(
            "Referrals in the period: {signed} signed, {settled} rewards settled "
            "({settled_amount} yuan)"
        ).format(
            signed=referrals["referred_signed"],
            settled=referrals["rewards_settled"],
            settled_amount=referrals["settled_amount"],
        )
    )
    console.print(
        _(
            "Referrals as of {day}: {pending} awaiting signing, {due} rewards to settle "
            "({amount} yuan)"
        ).format(
            day=period["as_of"],
            pending=referrals["pending"],
            due=referrals["rewards_due"],
            amount=referrals["reward_amount"],
        )
    )
