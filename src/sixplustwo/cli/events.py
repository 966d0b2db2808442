"""``sixplustwo event add`` (a journey event), ``event delete`` (one recorded by mistake) and
``sixplustwo done`` (complete actions)."""

from __future__ import annotations

import typer

from sixplustwo.cli.context import day_or_today, open_store, today
from sixplustwo.cli.messages import N_, _
from sixplustwo.cli.options import FORMAT_OPTION, Format, projects_option
from sixplustwo.cli.render import echo_recorded, emit_json
from sixplustwo.domain.text import visible

app = typer.Typer(help="Journey events (回访, 通知, 祝福 …).", no_args_is_help=True)


@app.command("add")
def add_event(
    ctx: typer.Context,
    owner: str = typer.Argument(
        ..., metavar="OWNER", help="Owner id, or a phone, *last-4, flat or name naming one."
    ),
    kind: str = typer.Argument(
        ...,
        metavar="KIND",
        help="A rule name (e.g. revisit-3m) or its title, celebration (喜庆), or any event kind.",
    ),
    on: str | None = typer.Option(
        None, "--date", metavar="DATE", help="Day it happened (default today)."
    ),
    note: str | None = typer.Option(None, "--note", metavar="TEXT", help="A note."),
    channel: str | None = typer.Option(
        None, "--channel", metavar="CHANNEL", help="电话, 短信, 上门, 微信 …"
    ),
    score: int | None = typer.Option(None, "--score", metavar="1-5", help="Satisfaction 1–5."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Record a journey event; an event named after a rule completes that rule's action."""
    from sixplustwo.cli.labels import code

    day = day_or_today(on)
    from sixplustwo.store.search import resolve_owner

    with open_store(ctx, write=True) as store:
        owner_id = resolve_owner(store.db, owner)
        titles = {rule.title: rule.name for rule in store.playbook}
        kind = titles.get(kind.strip(), code("event_kind", kind))
        event, completed = store.journey.add_event(
            owner_id, kind, day, note=note, channel=channel, score=score, today=today()
        )
        event_id = event.id
    echo_recorded(fmt, event_id, completed)


@app.command("delete")
def delete_event(
    ctx: typer.Context,
    event_id: int = typer.Argument(
        ..., metavar="EVENT_ID", help="Event id (owner show lists them)."
    ),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Delete an event recorded by mistake: the action it completed is open again. Checklist
    results recorded with it go too, and a repair case it opened if still untouched (not
    resolved, nothing recorded for it); one worked on since is kept."""
    with open_store(ctx, write=True) as store:
        deleted = store.journey.delete_event(event_id, today())
    if fmt is Format.json:
        emit_json(
            {
                "id": event_id,
                "reopened": deleted.reopened,
                "checklist": deleted.checklist,
                "deleted_cases": deleted.deleted_cases,
                "kept_cases": deleted.kept_cases,
            }
        )
        return
    event = deleted.event
    line = _("event {id} ({kind}, {date}) deleted").format(
        id=event_id, kind=event.kind, date=event.happened_on
    )
    if deleted.reopened:
        line += _("; open again: {actions}").format(actions=", ".join(deleted.reopened))
    typer.echo(visible(line))
    if deleted.deleted_cases:
        typer.echo(
            _("repair case(s) it opened, deleted: {cases}").format(
                cases=", ".join(map(str, deleted.deleted_cases))
            )
        )
    if deleted.kept_cases:
        typer.echo(
            _("repair case(s) it opened, kept (worked on since): {cases}").format(
                cases=", ".join(map(str, deleted.kept_cases))
            )
        )


def done(
    ctx: typer.Context,
    action_ids: list[str] = typer.Argument(
        None,
        metavar="ACTION_ID",
        help="Action id(s) from due, e.g. o12:revisit-3m (several: all done, or none).",
    ),
    on: str | None = typer.Option(
        None, "--date", metavar="DATE", help="Day it was done (default today)."
    ),
    note: str | None = typer.Option(None, "--note", metavar="TEXT", help="A note."),
    channel: str | None = typer.Option(
        None, "--channel", metavar="CHANNEL", help="电话, 短信, 上门, 微信 …"
    ),
    score: int | None = typer.Option(
        None,
        "--score",
        metavar="1-5",
        help="The customer's satisfaction 1–5 (回访 and surveys).",
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
    rule: str | None = typer.Option(
        None,
        "--rule",
        metavar="RULE",
        help="Every action of this rule on the day's due list (e.g. milestone-bulletin), "
        "done on --date.",
    ),
    project: list[str] = projects_option(N_("With --rule: only this project; repeat for several.")),
    butler: str | None = typer.Option(
        None, "--butler", metavar="NAME", help="With --rule: only this butler's customers."
    ),
    step: list[str] = typer.Option(
        [], "--step", metavar="STEP", help="With --rule: only these steps."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="List what would be done; write nothing."
    ),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Complete an action (records the completing event), with its checklist item by item: a
    problem found at the 1-year check or the 3-month revisit opens a repair case. Several
    ids, or --rule with filters, complete many at once in one transaction (undo takes them
    all back)."""
    from sixplustwo.domain.errors import InvalidInput

    action_ids = list(action_ids or [])
    filtered = bool(project) or butler is not None or bool(step)
    if rule is None and filtered:
        raise InvalidInput("--project, --butler and --step choose actions with --rule")
    if rule is not None and action_ids:
        raise InvalidInput("give action ids or --rule, not both")
    if rule is None and not action_ids:
        from sixplustwo.cli.messages import _

        # As a missing argument always was: a usage error (exit 2).
        raise typer.BadParameter(
            _("give an action id (sixplustwo due lists them), or --rule"),
            param_hint="ACTION_ID",
        )
    if len(action_ids) == 1 and rule is None and not dry_run:
        _done_one(ctx, action_ids[0], on, note, channel, score, ok, problem, interactive, fmt)
        return
    if ok or problem or interactive:
        raise InvalidInput("checklists are recorded one action at a time: done ACTION_ID --ok …")
    _done_many(ctx, action_ids, on, note, channel, score, rule, project, butler, step, dry_run, fmt)


def _done_one(ctx, action_id, on, note, channel, score, ok, problem, interactive, fmt) -> None:
    """``done ACTION_ID``: one action, with its checklist."""
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
        # What it recorded: the completing event (none for a case resolved) and the repair
        # cases a problem found opened, each named, so that nobody takes one for another.
        event_id = store.journey.events.naming([action.action_id]).get(action.action_id)
        cases = store.journey.events.cases_opened(event_id) if event_id is not None else []
    if fmt is Format.json:
        emit_json({"action_id": action.action_id, "status": action.status, "done_on": day,
                   "event_id": event_id, "case_id": cases[0] if cases else None,
                   "case_ids": cases})  # fmt: skip
        return
    typer.echo(_("{action} done on {date}").format(action=action.action_id, date=day))
    for case_id in cases:
        typer.echo(
            _("repair case {id} opened for the problem found (sixplustwo case list)").format(
                id=case_id
            )
        )


def _done_many(
    ctx, action_ids, on, note, channel, score, rule, project, butler, step, dry_run, fmt
) -> None:
    """``done ID ID …`` and ``done --rule R …``: all in one transaction, or none."""
    from sixplustwo.cli.context import warn_unknown_butler
    from sixplustwo.cli.labels import title as action_title
    from sixplustwo.domain.errors import NotFound
    from sixplustwo.domain.playbook import checked_steps
    from sixplustwo.store.queries import DueFilter

    day = day_or_today(on)
    steps = checked_steps(step)
    titles: dict[str, str] = {}
    with open_store(ctx, write=not dry_run) as store:
        if rule is not None:
            if rule not in store.playbook:
                import difflib

                names = [r.name for r in store.playbook]
                near = difflib.get_close_matches(rule, names, n=1, cutoff=0.3)
                raise NotFound(
                    "unknown rule {rule} (did you mean {near}? sixplustwo playbook lists them)",
                    rule=rule,
                    near=near[0] if near else names[0],
                )
            warn_unknown_butler(store.db, butler)
            projects = frozenset(store.projects.ids_of(project))
            where = DueFilter(None, butler, frozenset(steps) or None, projects=projects)
            rows = store.due(day, where)
            listed = [row for row in rows if row.action.rule == rule]
            action_ids = [row.action.action_id for row in listed]
            titles = {row.action.action_id: row.owner or row.project_name for row in listed}
        completed = store.journey.complete_many(
            action_ids,
            day,
            note=note,
            channel=channel,
            score=score,
            today=today(),
            dry_run=dry_run,
        )
        names = {r.name: r.title for r in store.playbook}
        done_ids = [action.action_id for action in completed]
        recorded = {} if dry_run else store.journey.events.naming(done_ids)
    if fmt is Format.json:
        shown = {"done": len(done_ids), "action_ids": done_ids, "done_on": day, "dry_run": dry_run}
        if not dry_run:  # what it recorded
            shown["event_ids"] = [recorded[a] for a in done_ids if a in recorded]
        emit_json(shown)
        return
    if dry_run:
        for action in completed:
            title = action_title(names.get(action.rule, action.rule), action.detail)
            who = titles.get(action.action_id)
            typer.echo(visible("  ".join(p for p in (action.action_id, title, who) if p)))
        typer.echo(
            _("{count} actions would be done on {day} (dry run, nothing written)").format(
                count=len(done_ids), day=day
            )
        )
    else:
        typer.echo(_("{count} actions done on {day}").format(count=len(done_ids), day=day))


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
        rule = store.journey.find_action(action_id, today())[1]
    answers: list[tuple[str, bool, str | None]] = []
    if rule.checklist:
        typer.echo(
            visible(
                _("{title}: item by item (Enter = fine, or type the problem found)").format(
                    title=rule.title
                )
            )
        )
    for number, item in enumerate(rule.checklist, start=1):
        reply = typer.prompt(visible(f"{number}. {item}"), default="", show_default=False)
        reply = reply.strip()
        answers.append(
            (item, True, None) if reply in ("", "y", "ok", "好", "正常") else (item, False, reply)
        )
    return answers
