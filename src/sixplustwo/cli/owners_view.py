"""``sixplustwo owner list``, ``owner find`` and ``owner show``: customers as rows (phones
masked), a page at a time or as a search finds them, and one customer as a screen. The
rows are those ``owner assign --dry-run`` lists too (``owners_edit.py``)."""

from __future__ import annotations

import typer

from sixplustwo.cli.console import console_out
from sixplustwo.cli.context import open_store, parse_day, today, warn_unknown_butler
from sixplustwo.cli.messages import N_, _
from sixplustwo.cli.options import FORMAT_OPTION, Format, projects_option
from sixplustwo.cli.render import emit_json, render
from sixplustwo.domain.text import visible


def owner_row(owner, project, on, membership: str | None = None) -> dict:
    """An owner as ``owner list`` and ``owner show`` give it: the listed fields of the owner
    definition (phone masked, the project by code), with the stage after the flat and the
    membership after the butler."""
    from sixplustwo.domain.fields import OWNER_FIELDS
    from sixplustwo.domain.phones import mask_phone
    from sixplustwo.domain.stages import stage
    from sixplustwo.store.owners import journey_facts

    row: dict[str, object] = {}
    for field in OWNER_FIELDS:
        if field.listed is None:
            continue
        value = getattr(owner, field.name, None)
        if field.name == "phone":
            value = mask_phone(value)
        elif field.name == "project_id":
            value = project.code
        row[field.listed] = value
        if field.name == "unit":
            forgotten = owner.forgotten_on is not None
            row["stage"] = "forgotten" if forgotten else stage(journey_facts(owner, project), on)
        elif field.name == "butler":
            row["membership"] = membership
    return row


def _labelled(*keys: str) -> list[tuple[str, str]]:
    """Columns of owner fields (by their listed key), headed with their labels."""
    from sixplustwo.cli.labels import field_label

    return [(key, field_label(key, None)) for key in keys]


def list_owners(
    ctx: typer.Context,
    project: list[str] = projects_option(N_("Only this project's customers; repeat for several.")),
    butler: str | None = typer.Option(
        None, "--butler", metavar="NAME", help="Only this butler's customers."
    ),
    limit: int = typer.Option(200, "--limit", min=0, help="Rows per page (0: all)."),
    offset: int = typer.Option(0, "--offset", min=0, help="Rows to skip."),
    tag: list[str] = typer.Option(
        [], "--tag", metavar="TAG", help="Only owners with this archive tag."
    ),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """List customers (phones masked), a page at a time."""
    from sixplustwo.cli.labels import label

    on = today()
    with open_store(ctx, write=False) as store:
        warn_unknown_butler(store.db, butler)
        found, total = store.owners.list(project, butler, limit, offset, tag)
        tiers = store.owners.memberships(owner.id for owner, _ in found)
        rows = [owner_row(owner, proj, on, tiers.get(owner.id)) for owner, proj in found]
    caption = None
    if rows and len(rows) < total:
        shown_to = offset + len(rows)
        caption = _("{first}–{last} of {total}; next page: --offset {last}").format(
            first=offset + 1, last=shown_to, total=total
        )
    if fmt is not Format.table:
        render(rows, [], fmt)
        return
    from sixplustwo.cli.layout import print_rows

    for row in rows:
        row["stage_label"] = label("stage", row["stage"])
        row["name"] = row["name"] or label("stage", "forgotten")
    empty = _("no customers yet: sixplustwo owner add … or owner import FILE")
    print_rows(rows, owner_columns(), empty=empty, footer=caption)


def owner_columns() -> list:
    """``owner list`` and ``owner find`` on screen: one line a customer at any width; the id,
    name and flat stay, the rest gives way."""
    from sixplustwo.cli.layout import Column

    heads = dict(
        _labelled("id", "name", "phone", "project", "unit", "butler", "signed", "delivered")
    )
    return [
        Column("id", heads["id"], 10, keep=True, right=True),
        Column("name", heads["name"], 10, keep=True),
        Column("phone", heads["phone"], 6),
        Column("project", heads["project"], 5),
        Column("unit", heads["unit"], 10, keep=True),
        Column("stage_label", _("Stage"), 7),
        Column("butler", heads["butler"], 4),
        Column("signed", heads["signed"], 3),
        Column("delivered", heads["delivered"], 2),
    ]


def find(
    ctx: typer.Context,
    text: str = typer.Argument(
        ...,
        help="Name (王伟), pinyin or initials (wangwei, ww), phone or its last four digits, "
        "or flat (3-1-1201, 3幢1单元1201).",
    ),
    project: list[str] = projects_option(),
    limit: int = typer.Option(200, "--limit", min=0, metavar="N", help="Rows at most (0: all)."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Find a customer by name, pinyin, phone or flat (phones masked)."""
    from sixplustwo.cli.labels import label

    on = today()
    with open_store(ctx, write=False) as store:
        found, total = store.owners.find_text(text, project, limit)
        tiers = store.owners.memberships(owner.id for owner, _project in found)
        rows = [owner_row(owner, proj, on, tiers.get(owner.id)) for owner, proj in found]
    if fmt is not Format.table:
        render(rows, [], fmt)
        return
    from sixplustwo.cli.layout import print_rows

    for row in rows:
        row["stage_label"] = label("stage", row["stage"])
    footer = None
    if len(rows) < total:
        footer = _("{shown} of {total} shown: narrow the search or raise --limit").format(
            shown=len(rows), total=total
        )
    empty = visible(_("no customer matches {text}").format(text=text))
    print_rows(rows, owner_columns(), empty=empty, footer=footer)


def show(
    ctx: typer.Context,
    owner: str = typer.Argument(
        ..., metavar="OWNER", help="Owner id, or a phone, *last-4, flat or name naming one."
    ),
    on: str | None = typer.Option(
        None, "--date", metavar="DATE", help="Show statuses as on this day."
    ),
    reveal: bool = typer.Option(
        False, "--reveal", help="Show the full phone number (written to the audit log)."
    ),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """One customer: stage, journey events and every action as a timeline."""
    from sixplustwo.cli.labels import event_kind, field_label, label, title
    from sixplustwo.cli.scoped import scope_of, takes_scope
    from sixplustwo.store.scope import Scoped

    takes_scope(ctx)
    day = parse_day(on, "--date") or today()
    from sixplustwo.store.search import resolve_owner

    with open_store(ctx, write=False) as store:
        owner_id = resolve_owner(store.db, owner)
        view = Scoped(store, scope_of(ctx, store.db)).owner_view(owner_id, day)  # --as a butler
        tier = store.owners.memberships([owner_id]).get(owner_id)
        summary = owner_row(view.owner, view.project, day, tier)
        summary["profile_consent"] = view.owner.profile_consent
        summary["tags"] = store.owners.tags(owner_id)
        titles = {rule.name: rule.title for rule in store.playbook}
        checklist = [
            {
                "action_id": r.action_id,
                "item": r.item,
                "ok": r.ok,
                "note": r.note,
                "case_id": r.case_id,
            }
            for r in store.journey.checklist_results(owner_id)
        ]
    if reveal:
        # Revealing is audited: a short write transaction of its own, after the read.
        with open_store(ctx, write=True) as store:
            summary["phone"] = store.owners.phone(owner_id) or ""
            store.audit.record("owner show --reveal", N_("owner {id}"), id=owner_id)
    events = [
        {
            "id": e.id,
            "date": e.happened_on,
            "kind": e.kind,
            "note": e.note,
            "channel": e.channel,
            "score": e.score,
            "action_id": e.action_id,
        }
        for e in view.events
    ]
    timeline = [
        {
            "action_id": a.action_id,
            "rule": a.rule,
            "step": a.step,
            "title": title(titles.get(a.rule, a.rule), a.detail),
            "status": a.status,
            "opens_on": a.opens_on,
            "due_on": a.due_on,
            "done_on": a.done_on,
        }
        for a in view.actions
    ]
    cases = [
        {
            "id": c.id,
            "kind": c.kind,
            "note": c.note,
            "opened_on": c.opened_on,
            "resolved_on": c.resolved_on,
        }
        for c in view.cases
    ]
    if fmt is not Format.table:
        if fmt is Format.csv:
            render(timeline, [], fmt)
            return
        emit_json(
            {
                **summary,
                "events": events,
                "actions": timeline,
                "cases": cases,
                "checklist": checklist,
            }
        )
        return
    from rich.text import Text

    console = console_out()
    stage_label = label("stage", summary["stage"])
    # Plain text, never markup: names and tags print as typed.
    console.print(
        Text.assemble(
            (visible(summary["name"] or _("(erased)")), "bold"),
            visible(
                f"  #{summary['id']}  {summary['phone']}  "
                f"{view.project.name} {summary['unit']}  "
                + _("butler: {butler}  stage: {stage}").format(
                    butler=summary["butler"] or "—", stage=stage_label
                )
                + (
                    "  " + _("member: {tier}").format(tier=summary["membership"])
                    if summary["membership"]
                    else ""
                )
            ),
        )
    )
    from sixplustwo.domain.fields import OWNER_FIELDS

    # The journey's dates, then any plain field, as the owner definition labels them.
    journey = [
        (field_label(field.listed, field.label), field.listed)
        for field in OWNER_FIELDS
        if field.listed and field.label and (field.kind == "date" or field.is_plain)
    ]
    if summary["tags"]:
        console.print(Text(visible(_("archive: {tags}").format(tags="  ".join(summary["tags"])))))
    values = {**summary}
    if summary["lunar_birthday"] and summary["birthday"]:
        values["birthday"] = _("{date} (lunar)").format(date=summary["birthday"])
    console.print(
        Text(
            visible(
                "  ".join(
                    f"{word} {values[key]}" for word, key in journey if values[key] is not None
                )
                or _("no journey dates recorded")
            )
        )
    )
    from sixplustwo.cli.layout import Column, print_rows

    status_style = {
        "overdue": "red",
        "open": "yellow",
        "done": "green",
        "missed": "dim",
        "before-go-live": "dim",
    }
    for row in timeline:
        row["status_label"] = label("status", row["status"])
    # Each table one line a row at any width (cli/layout.py): what happened and when stays.
    # The timeline is sorted by the opening day: it is the first thing on every row, cards too.
    print_rows(
        timeline,
        [
            Column("opens_on", _("Opens"), 10, keep=True),
            Column("due_on", _("Due"), 10, keep=True),
            Column("step", _("Step"), 2),
            Column("title", _("Action"), 10, keep=True),
            Column(
                "status_label",
                _("Status"),
                10,
                keep=True,
                style=lambda row: status_style.get(row["status"]),
            ),
            Column("done_on", _("Done"), 6, named=True),
            Column("action_id", _("ID"), 9, essential=True),
        ],
        title=_("6+2 timeline"),
        empty=_("no actions: record journey dates with owner edit"),
    )
    if events:
        print_rows(
            [{**event, "kind": event_kind(event["kind"], titles)} for event in events],
            [
                Column("id", _("ID"), 3, right=True),
                Column("date", _("Date"), 10, keep=True),
                Column("kind", _("Event"), 10, keep=True),
                Column("channel", _("Channel"), 5),
                Column("score", _("Score"), 4),
                Column("note", _("Note"), 10, keep=True),
            ],
            title=_("Customer events"),
            empty="",
        )
    if cases:
        print_rows(
            [{**case, "kind_label": label("case_kind", case["kind"])} for case in cases],
            [
                Column("id", _("ID"), 10, keep=True, right=True),
                Column("kind_label", _("Kind"), 10, keep=True),
                Column("note", _("Details"), 10, keep=True),
                Column("opened_on", _("Opened"), 10, keep=True),
                Column("resolved_on", _("Resolved"), 8),
            ],
            title=_("Complaints and repairs"),
            empty="",
        )
    problems = [r for r in checklist if not r["ok"]]
    if problems:
        for row in problems:
            row["case"] = f"#{row['case_id']}" if row["case_id"] else ""
        print_rows(
            problems,
            [
                Column("action_id", _("Action"), 5),
                Column("item", _("Check item"), 10, keep=True),
                Column("note", _("Problem"), 10, keep=True),
                Column("case", _("Repair case"), 8),
            ],
            title=_("Problems found ({count} items checked)").format(count=len(checklist)),
            empty="",
        )
