"""Events, cases and completing actions."""

from __future__ import annotations

from pathlib import Path

import typer

from sixplustwo.cli.context import RollBack, day_or_today, open_store, refuse_bad_rows, today
from sixplustwo.cli.options import FORMAT_OPTION, Format
from sixplustwo.cli.render import echo_recorded, emit_json, render

event_app = typer.Typer(help="Journey events (回访, 通知, 祝福 …).", no_args_is_help=True)
case_app = typer.Typer(help="Complaints (投诉) and repairs (报修).", no_args_is_help=True)
survey_app = typer.Typer(help="Satisfaction surveys (满意度调查).", no_args_is_help=True)


@event_app.command("add")
def add_event(
    ctx: typer.Context,
    owner_id: int = typer.Argument(..., help="Owner id."),
    kind: str = typer.Argument(..., help="A rule name (e.g. revisit-3m) or any event kind."),
    on: str | None = typer.Option(None, "--date", help="Day it happened (default today)."),
    note: str | None = typer.Option(None, "--note"),
    channel: str | None = typer.Option(None, "--channel", help="电话, 短信, 上门, 微信 …"),
    score: int | None = typer.Option(None, "--score", help="Satisfaction 1–5."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Record a journey event; an event named after a rule completes that rule's action."""
    day = day_or_today(on)
    with open_store(ctx, write=True) as store:
        event, completed = store.journey.add_event(
            owner_id, kind, day, note=note, channel=channel, score=score, today=today()
        )
        event_id = event.id
    echo_recorded(fmt, event_id, completed)


def done(
    ctx: typer.Context,
    action_id: str = typer.Argument(..., help="Action id from due, e.g. o12:revisit-3m."),
    on: str | None = typer.Option(None, "--date", help="Day it was done (default today)."),
    note: str | None = typer.Option(None, "--note"),
    channel: str | None = typer.Option(None, "--channel", help="电话, 短信, 上门, 微信 …"),
    score: int | None = typer.Option(
        None, "--score", help="The customer's satisfaction 1–5 (回访 and surveys)."
    ),
    ok: list[str] = typer.Option(
        [], "--ok", metavar="ITEM", help="A checklist item found fine (its text or number)."
    ),
    problem: list[str] = typer.Option(
        [],
        "--problem",
        metavar="'ITEM NOTE'",
        help="A checklist item with a problem and what it is: '2 地漏返味' or '2=地漏返味'.",
    ),
    interactive: bool = typer.Option(
        False, "--interactive", "-i", help="Ask item by item (the default in a terminal)."
    ),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Complete an action (records the completing event), with its checklist item by item: a
    problem found at the 1-year check or the 3-month revisit opens a repair case."""
    day = day_or_today(on)
    checklist = [(item, True, None) for item in ok] + [_problem(text) for text in problem]
    if not checklist and (interactive or _terminal()):
        checklist = _ask_checklist(ctx, action_id)
    with open_store(ctx, write=True) as store:
        action = store.journey.complete(
            action_id,
            day,
            note=note,
            channel=channel,
            score=score,
            today=today(),
            checklist=checklist,
        )
    if fmt is Format.json:
        emit_json({"action_id": action.action_id, "status": action.status, "done_on": day})
    else:
        typer.echo(f"{action.action_id} done on {day}")


def _problem(text: str) -> tuple[str, bool, str | None]:
    """'ITEM NOTE', 'ITEM=NOTE' or 'ITEM：NOTE' → (item, False, note)."""
    import re

    parts = re.split(r"\s*[=:：]\s*|\s+", text.strip(), maxsplit=1)
    return parts[0], False, (parts[1].strip() if len(parts) > 1 else None) or None


def _terminal() -> bool:
    import sys

    return sys.stdin.isatty() and sys.stdout.isatty()


def _ask_checklist(ctx: typer.Context, action_id: str) -> list[tuple[str, bool, str | None]]:
    """Each checklist item in turn: Enter for fine, or type the problem. Asked before the
    write transaction opens, so that a butler on the phone holds no lock."""
    with open_store(ctx, write=False) as store:
        _, rule = store.journey.find_action(action_id, today())
    answers: list[tuple[str, bool, str | None]] = []
    if rule.checklist:
        typer.echo(f"{rule.title}：逐项记录（回车 = 正常，或输入发现的问题）")
    for number, item in enumerate(rule.checklist, start=1):
        reply = typer.prompt(f"{number}. {item}", default="", show_default=False).strip()
        answers.append(
            (item, True, None) if reply in ("", "y", "ok", "好", "正常") else (item, False, reply)
        )
    return answers


@case_app.command("open")
def open_case(
    ctx: typer.Context,
    owner_id: int = typer.Argument(..., help="Owner id."),
    kind: str = typer.Option(..., "--kind", help="complaint (投诉) or repair (报修)."),
    note: str = typer.Option(..., "--note", help="What it is about."),
    on: str | None = typer.Option(None, "--date", help="Day it was received (default today)."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Open a complaint or repair case; prints the new case id."""
    day = day_or_today(on)
    with open_store(ctx, write=True) as store:
        case_id = store.cases.open(owner_id, kind, note, day, today()).id
    if fmt is Format.json:
        emit_json({"id": case_id})
    else:
        typer.echo(case_id)


@case_app.command("resolve")
def resolve_case(
    ctx: typer.Context,
    case_id: int = typer.Argument(..., help="Case id."),
    on: str | None = typer.Option(None, "--date", help="Day it was resolved (default today)."),
    note: str | None = typer.Option(None, "--note"),
) -> None:
    """Mark a case resolved; its revisit (回访) becomes due."""
    day = day_or_today(on)
    with open_store(ctx, write=True) as store:
        store.cases.resolve(case_id, day, note, today=today())
    typer.echo(f"case {case_id} resolved on {day}")


@case_app.command("list")
def list_cases(
    ctx: typer.Context,
    only_open: bool = typer.Option(False, "--open", help="Only cases not yet resolved."),
    project: str | None = typer.Option(None, "--project"),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """List complaints and repairs."""
    from sixplustwo.domain.phones import mask_phone

    with open_store(ctx, write=False) as store:
        rows = [
            {
                "id": case.id,
                "kind": case.kind,
                "owner_id": owner.id,
                "owner": owner.name,
                "phone": mask_phone(owner.phone),
                "project": project_.code,
                "unit": owner.unit,
                "note": case.note,
                "opened_on": case.opened_on,
                "resolved_on": case.resolved_on,
            }
            for case, owner, project_ in store.cases.list(only_open, project)
        ]
    render(
        rows,
        [
            ("id", "编号"),
            ("kind", "类型"),
            ("owner", "业主"),
            ("phone", "手机"),
            ("project", "项目"),
            ("unit", "房号"),
            ("note", "内容"),
            ("opened_on", "受理"),
            ("resolved_on", "解决"),
        ],
        fmt,
        empty="no cases",
    )


@survey_app.command("import")
def import_survey(
    ctx: typer.Context,
    file: Path = typer.Argument(
        ..., help="CSV or XLSX: 业主编号 (or 项目 and 房号), 日期, 评分, 意见."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check every row, write nothing."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Import a third-party satisfaction survey's results (第三方客户满意度调查): all rows or
    none; each answer becomes a ``survey`` event with its 1–5 score and comment."""
    from sixplustwo.io.importing import SurveyFile

    survey = SurveyFile(file, today())
    try:
        with open_store(ctx, write=True) as store:
            result = store.journey.import_survey(survey, today())
            if result.problems or dry_run:
                raise RollBack
    except RollBack:
        pass
    refuse_bad_rows(file, result.problems, result.problem_count)
    imported = 0 if dry_run else result.inserted
    if fmt is Format.json:
        emit_json({"rows": result.rows, "imported": imported, "dry_run": dry_run})
    else:
        typer.echo(
            f"{file}: {result.rows} answers" + (" valid (dry run)" if dry_run else " imported")
        )
