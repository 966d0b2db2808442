"""``sixplustwo action show``: everything a butler needs on one screen before the call."""

from __future__ import annotations

import typer

from sixplustwo.cli.console import console_out
from sixplustwo.cli.context import open_store, parse_day, today
from sixplustwo.cli.messages import _
from sixplustwo.cli.options import FORMAT_OPTION, Format
from sixplustwo.cli.render import emit_json

app = typer.Typer(help="One action: what to say and check (话术与检查项).", no_args_is_help=True)

_RECENT = 5


@app.command("show")
def show(
    ctx: typer.Context,
    action_id: str = typer.Argument(
        ..., metavar="ACTION_ID", help="Action id from due, e.g. o12:revisit-3m."
    ),
    on: str | None = typer.Option(
        None, "--date", metavar="DATE", help="As of this day (default today)."
    ),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """The owner (phone masked), the step and the customer's state of mind, the talking points,
    the checklist, and the owner's recent journey: last events and open cases."""
    from sixplustwo.cli.labels import chinese, title
    from sixplustwo.cli.scoped import scope_of, takes_scope
    from sixplustwo.domain.phones import mask_phone
    from sixplustwo.domain.playbook import STEP_MINDSETS
    from sixplustwo.store.scope import Scoped

    takes_scope(ctx)
    day = parse_day(on, "--date") or today()
    with open_store(ctx, write=False) as store:
        Scoped(store, scope_of(ctx, store.db)).check_action(action_id)  # a butler's own (--as)
        action, rule = store.journey.find_action(action_id, day)
        titles = {r.name: r.title for r in store.playbook}
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
        "title": title(rule.title, action.detail),
        "step": rule.step,
        "step_name": chinese("step", rule.step),  # JSON keeps its words whatever the language
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
    _print(shown, titles)


def _print(shown: dict, titles: dict[str, str]) -> None:
    """Lines of plain text (names and notes print as typed, never as markup); a long line
    wraps between words at the terminal's width."""
    from rich.text import Text

    from sixplustwo.cli.labels import event_kind, label
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
        f"  {shown['action_id']}  "
        + _("{status}, due {date}").format(
            status=label("status", shown["status"]), date=shown["due_on"]
        ),
    )
    owner = shown["owner"]
    if owner:
        line(
            _("owner {name} #{id}  {phone}  {project} {unit}  butler {butler}").format(
                name=owner["name"] or _("(erased)"),
                id=owner["id"],
                phone=owner["phone"],
                project=owner["project"],
                unit=owner["unit"],
                butler=owner["butler"] or "—",
            )
        )
    step_name = label("step", shown["step"])
    if shown["mindset"]:
        line(
            _("step {step} {name} · the customer's mind: {mindset}").format(
                step=shown["step"], name=step_name, mindset=shown["mindset"]
            )
        )
    else:
        line(_("step {step} {name}").format(step=shown["step"], name=step_name))
    if shown["talking_points"]:
        line((_("What the customer cares about (talking points)"), "bold"))
        for point in shown["talking_points"]:
            line(f"  • {point}")
    if shown["checklist"]:
        done = {r["item"]: r for r in shown["recorded"]}
        # The space before the bracket is the translation's: Chinese brackets take none.
        line((_("Checklist"), "bold"), _(" (done --ok N / --problem 'N NOTE')"))
        for number, item in enumerate(shown["checklist"], start=1):
            result = done.get(item)
            mark = "  " if result is None else ("✓ " if result["ok"] else "✗ ")
            extra = f" — {result['note']}" if result and result["note"] else ""
            line(f"  {mark}{number}. {item}{extra}")
    if shown["recent_events"]:
        line((_("Recent events"), "bold"))
        for event in shown["recent_events"]:
            score = " " + _("score {score}").format(score=event["score"]) if event["score"] else ""
            note = f" {event['note']}" if event["note"] else ""
            kind = event_kind(event["kind"], titles)
            line(f"  {event['date']} {kind}{score}{note}")
    for case in shown["open_cases"]:
        kind = label("case_kind", case["kind"])
        line(
            (_("open {kind}").format(kind=kind), "red"),
            f" #{case['id']} {case['opened']} {case['note']}",
        )
