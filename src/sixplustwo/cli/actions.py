"""``sixplustwo action show``: everything a butler needs on one screen before the call."""

from __future__ import annotations

import typer

from sixplustwo.cli.context import open_store, parse_day, today
from sixplustwo.cli.options import FORMAT_OPTION, Format
from sixplustwo.cli.render import console_out, emit_json, shown

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


def _print(action: dict) -> None:
    """Lines of rich markup: every value from the data or the playbook goes through ``s``
    (escaped as text, control characters visible)."""
    from sixplustwo.cli.labels import label

    s = shown
    console = console_out()
    console.print(
        f"[bold]{s(action['title'])}[/bold]  {s(action['action_id'])}  "
        f"{label('status', action['status'])}，截止 {action['due_on']}"
    )
    owner = action["owner"]
    if owner:
        console.print(
            f"业主 {s(owner['name'] or '（已删除）')} #{owner['id']}  {owner['phone']}  "
            f"{s(owner['project'])} {s(owner['unit'])}  管家 {s(owner['butler'] or '—')}"
        )
    console.print(f"步骤 {action['step']} {action['step_name']} · 客户心态：{s(action['mindset'])}")
    if action["talking_points"]:
        console.print("[bold]客户关注（话术要点）[/bold]")
        for point in action["talking_points"]:
            console.print(f"  • {s(point)}")
    if action["checklist"]:
        done = {r["item"]: r for r in action["recorded"]}
        console.print("[bold]检查项[/bold]（done --ok N / --problem N 说明）")
        for number, item in enumerate(action["checklist"], start=1):
            result = done.get(item)
            mark = "  " if result is None else ("✓ " if result["ok"] else "✗ ")
            extra = f" — {s(result['note'])}" if result and result["note"] else ""
            console.print(f"  {mark}{number}. {s(item)}{extra}")
    if action["recent_events"]:
        console.print("[bold]最近记录[/bold]")
        for event in action["recent_events"]:
            score = f" {event['score']}分" if event["score"] else ""
            note = f" {s(event['note'])}" if event["note"] else ""
            console.print(f"  {event['date']} {s(event['kind'])}{score}{note}")
    for case in action["open_cases"]:
        kind = label("case_kind", case["kind"])
        console.print(f"[red]未结{kind}[/red] #{case['id']} {case['opened']} {s(case['note'])}")
