"""``sixplustwo action show``: everything a butler needs on one screen before the call."""

from __future__ import annotations

import typer

from sixplustwo.cli.context import open_store, parse_day, today
from sixplustwo.cli.options import FORMAT_OPTION, Format
from sixplustwo.cli.render import console_out, emit_json

app = typer.Typer(help="One action: what to say and check (话术与检查项).", no_args_is_help=True)

_RECENT = 5


@app.command("show")
def show(
    ctx: typer.Context,
    action_id: str = typer.Argument(..., help="Action id from due, e.g. o12:revisit-3m."),
    on: str | None = typer.Option(None, "--date", help="As of this day (default today)."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """The owner (phone masked), the step and the customer's state of mind, the talking points,
    the checklist, and the owner's recent journey: last events and open cases."""
    from sixplustwo.cli.labels import label
    from sixplustwo.domain.phones import mask_phone
    from sixplustwo.domain.playbook import STEP_MINDSETS

    day = parse_day(on, "--date") or today()
    with open_store(ctx, write=False) as store:
        action, rule = store.journey.find_action(action_id, day)
        owner_id = action.subject_id if action.subject == "owner" else None
        if action.subject == "case":
            owner_id = store.cases.get(action.subject_id).owner_id
        owner = None
        events: list[dict] = []
        cases: list[dict] = []
        recorded: list[dict] = []
        if owner_id is not None:
            view = store.journey.owner_view(owner_id, day)
            owner = {
                "id": view.owner.id,
                "name": view.owner.name,
                "phone": mask_phone(view.owner.phone),
                "project": view.project.name,
                "unit": view.owner.unit,
                "butler": view.owner.butler,
            }
            events = [
                {"date": e.happened_on, "kind": e.kind, "note": e.note, "score": e.score}
                for e in view.events[-_RECENT:]
            ]
            cases = [
                {"id": c.id, "kind": c.kind, "note": c.note, "opened": c.opened_on}
                for c in view.cases
                if c.resolved_on is None
            ]
            recorded = [
                {"item": r.item, "ok": r.ok, "note": r.note, "case_id": r.case_id}
                for r in store.journey.checklist_results(owner_id)
                if r.action_id == action.action_id
            ]
    shown = {
        "action_id": action.action_id,
        "rule": rule.name,
        "title": rule.title + (f"（{action.detail}）" if action.detail else ""),
        "step": rule.step,
        "step_name": label("step", rule.step),
        "mindset": STEP_MINDSETS.get(rule.step, ""),
        "status": action.status,
        "opens_on": action.opens_on,
        "due_on": action.due_on,
        "owner": owner,
        "talking_points": list(rule.talking_points),
        "checklist": list(rule.checklist),
        "recorded": recorded,
        "recent_events": events,
        "open_cases": cases,
    }
    if fmt is not Format.table:
        emit_json(shown)
        return
    _print(shown)


def _print(shown: dict) -> None:
    """Lines of plain text (names and notes print as typed, never as markup); a long line
    wraps between words at the terminal's width."""
    from rich.text import Text

    from sixplustwo.cli.labels import label
    from sixplustwo.domain.text import visible

    console = console_out()

    def line(*parts: tuple[str, str] | str) -> None:
        # Control characters in the data shown as escapes (rich would drop some silently).
        console.print(
            Text.assemble(
                *(visible(p) if isinstance(p, str) else (visible(p[0]), p[1]) for p in parts)
            )
        )

    line(
        (shown["title"], "bold"),
        f"  {shown['action_id']}  {label('status', shown['status'])}，截止 {shown['due_on']}",
    )
    owner = shown["owner"]
    if owner:
        line(
            f"业主 {owner['name'] or '（已删除）'} #{owner['id']}  {owner['phone']}  "
            f"{owner['project']} {owner['unit']}  管家 {owner['butler'] or '—'}"
        )
    line(f"步骤 {shown['step']} {shown['step_name']}")
    if shown["mindset"]:
        line(f"客户心态：{shown['mindset']}")
    if shown["talking_points"]:
        line(("客户关注（话术要点）", "bold"))
        for point in shown["talking_points"]:
            line(f"  • {point}")
    if shown["checklist"]:
        done = {r["item"]: r for r in shown["recorded"]}
        line(("检查项", "bold"), "（done --ok N / --problem N 说明）")
        for number, item in enumerate(shown["checklist"], start=1):
            result = done.get(item)
            mark = "  " if result is None else ("✓ " if result["ok"] else "✗ ")
            extra = f" — {result['note']}" if result and result["note"] else ""
            line(f"  {mark}{number}. {item}{extra}")
    if shown["recent_events"]:
        line(("最近记录", "bold"))
        for event in shown["recent_events"]:
            score = f" {event['score']}分" if event["score"] else ""
            note = f" {event['note']}" if event["note"] else ""
            line(f"  {event['date']} {event['kind']}{score}{note}")
    for case in shown["open_cases"]:
        kind = label("case_kind", case["kind"])
        line((f"未结{kind}", "red"), f" #{case['id']} {case['opened']} {case['note']}")
