"""``sixplustwo owner …``: customers and their journey dates."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import typer

from sixplustwo.cli.console import console_out
from sixplustwo.cli.context import (
    RollBack,
    db_option,
    open_database,
    open_store,
    parse_day,
    refuse_bad_rows,
    today,
    warn_unknown_butler,
)
from sixplustwo.cli.messages import N_, _
from sixplustwo.cli.options import FORMAT_OPTION, Format
from sixplustwo.cli.render import emit_json, render, to_terminal
from sixplustwo.domain.text import visible

app = typer.Typer(help=N_("Customers (业主) and their journey."), no_args_is_help=True)

_DATE_HELP = N_("Date, e.g. 2024-03-05 or 2024年3月5日.")


@app.command("add")
def add(
    ctx: typer.Context,
    name: str = typer.Option(..., "--name", metavar="NAME", help="Customer name."),
    phone: str = typer.Option(..., "--phone", metavar="PHONE", help="Mobile or phone number."),
    project: str = typer.Option(..., "--project", metavar="CODE", help="Project code."),
    unit: str = typer.Option(..., "--unit", metavar="UNIT", help="Flat, e.g. 3-1-1201."),
    visited: str | None = typer.Option(None, "--visited", metavar="DATE", help=_DATE_HELP),
    subscribed: str | None = typer.Option(None, "--subscribed", metavar="DATE", help=_DATE_HELP),
    signed: str | None = typer.Option(None, "--signed", metavar="DATE", help=_DATE_HELP),
    delivery_date: str | None = typer.Option(
        None,
        "--delivery-date",
        metavar="DATE",
        help="Contract delivery date (else the project's).",
    ),
    delivered: str | None = typer.Option(
        None, "--delivered", metavar="DATE", help="Actual delivery date."
    ),
    birthday: str | None = typer.Option(None, "--birthday", metavar="DATE", help=_DATE_HELP),
    lunar_birthday: bool = typer.Option(
        False, "--lunar-birthday", help="Greet on the lunar date of birth (农历生日)."
    ),
    butler: str | None = typer.Option(
        None, "--butler", metavar="NAME", help="Butler (管家) in charge."
    ),
    referred_by: str | None = typer.Option(
        None, "--referred-by", metavar="ID", help="Referrer's owner id."
    ),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Add one customer; prints the new id."""
    from sixplustwo.domain.owners import owner_record

    record = owner_record(
        {
            "name": name,
            "phone": phone,
            "project": project,
            "unit": unit,
            "visited": visited,
            "subscribed": subscribed,
            "signed": signed,
            "delivery_date": delivery_date,
            "delivered": delivered,
            "birthday": birthday,
            "butler": butler,
            "referred_by": referred_by,
            "lunar_birthday": lunar_birthday,
        },
        today(),
    )
    with open_store(ctx, write=True, create=True) as store:
        owner_id = store.owners.add(record).id
    if fmt is Format.json:
        emit_json({"id": owner_id})
    else:
        typer.echo(owner_id)


def owner_row(owner, project, on, membership: str | None = None) -> dict:
    """An owner as ``owner list`` and ``owner show`` give it: the listed fields of the owner
    definition (phone masked, the project by code), with the stage after the flat and the
    membership after the butler."""
    from sixplustwo.domain.actions import stage
    from sixplustwo.domain.fields import OWNER_FIELDS
    from sixplustwo.domain.phones import mask_phone
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


@app.command("list")
def list_owners(
    ctx: typer.Context,
    project: str | None = typer.Option(
        None, "--project", metavar="CODE", help="Only this project's customers."
    ),
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
    print_rows(rows, _owner_columns(), empty=empty, footer=caption)


def _owner_columns() -> list:
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


@app.command("find")
def find(
    ctx: typer.Context,
    text: str = typer.Argument(
        ...,
        help="Name (王伟), pinyin or initials (wangwei, ww), phone or its last four digits, "
        "or flat (3-1-1201, 3幢1单元1201).",
    ),
    project: str | None = typer.Option(
        None, "--project", metavar="CODE", help="Only this project."
    ),
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
    print_rows(rows, _owner_columns(), empty=empty, footer=footer)


@app.command("show")
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

    day = parse_day(on, "--date") or today()
    from sixplustwo.store.search import resolve_owner

    with open_store(ctx, write=False) as store:
        owner_id = resolve_owner(store.db, owner)
        view = store.journey.owner_view(owner_id, day)
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
            store.audit.record("owner show --reveal", f"owner {owner_id}")
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

    status_style = {"overdue": "red", "open": "yellow", "done": "green", "missed": "dim"}
    for row in timeline:
        row["status_label"] = label("status", row["status"])
    # Each table one line a row at any width (cli/layout.py): what happened and when stays.
    print_rows(
        timeline,
        [
            Column("opens_on", _("Opens"), 4, named=True),
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


@app.command("edit")
def edit(
    ctx: typer.Context,
    owner_id: int = typer.Argument(..., help="Owner id."),
    name: str | None = typer.Option(None, "--name", metavar="NAME", help="Customer name."),
    phone: str | None = typer.Option(
        None, "--phone", metavar="PHONE", help="Mobile or phone number."
    ),
    project: str | None = typer.Option(None, "--project", metavar="CODE", help="Project code."),
    unit: str | None = typer.Option(None, "--unit", metavar="UNIT", help="Flat, e.g. 3-1-1201."),
    visited: str | None = typer.Option(None, "--visited", metavar="DATE", help=_DATE_HELP),
    subscribed: str | None = typer.Option(None, "--subscribed", metavar="DATE", help=_DATE_HELP),
    signed: str | None = typer.Option(None, "--signed", metavar="DATE", help=_DATE_HELP),
    delivery_date: str | None = typer.Option(
        None, "--delivery-date", metavar="DATE", help=_DATE_HELP
    ),
    delivered: str | None = typer.Option(None, "--delivered", metavar="DATE", help=_DATE_HELP),
    birthday: str | None = typer.Option(None, "--birthday", metavar="DATE", help=_DATE_HELP),
    butler: str | None = typer.Option(
        None, "--butler", metavar="NAME", help="Butler (管家) in charge."
    ),
    referred_by: str | None = typer.Option(
        None, "--referred-by", metavar="ID", help="Referrer's owner id."
    ),
    clear: list[str] = typer.Option(
        [],
        "--clear",
        metavar="FIELD",
        help="Erase a field: visited, signed, delivered, butler, referred_by…",
    ),
    greetings: bool | None = typer.Option(
        None, "--greetings/--no-greetings", help="Whether the customer wants greeting SMS."
    ),
    lunar_birthday: bool | None = typer.Option(
        None,
        "--lunar-birthday/--solar-birthday",
        help="Greet on the lunar (农历) or the solar date of birth.",
    ),
    tag: list[str] = typer.Option(
        [],
        "--tag",
        metavar="TAG",
        help="Customer-archive tag category:value, e.g. 爱好:羽毛球 (needs consent).",
    ),
    untag: list[str] = typer.Option([], "--untag", metavar="TAG", help="Remove an archive tag."),
    profile_consent: str | None = typer.Option(
        None,
        "--profile-consent",
        metavar="yes|no",
        help="yes / no: consent to keep a customer archive (no erases it).",
    ),
) -> None:
    """Change a customer's details or journey dates, and the customer archive (客户档案)."""
    from sixplustwo.domain.errors import InvalidInput
    from sixplustwo.domain.owners import DATE_FIELDS, owner_text, parse_flag, parse_owner_id
    from sixplustwo.domain.phones import normalise_phone

    changes: dict[str, object] = {}
    for field, value in (("name", name), ("unit", unit), ("butler", butler)):
        if value is not None:
            if not value.strip() and field != "butler":
                raise InvalidInput("--{field} must not be empty", field=field)
            changes[field] = owner_text(field, value.strip()) or None
    if phone is not None:
        changes["phone"] = normalise_phone(phone)
    if project is not None:
        changes["project"] = project
    if referred_by is not None:
        changes["referred_by"] = parse_owner_id(referred_by)
    given = {
        "visited": visited,
        "subscribed": subscribed,
        "signed": signed,
        "delivery_date": delivery_date,
        "delivered": delivered,
        "birthday": birthday,
    }
    for field, value in given.items():
        if value is not None:
            changes[DATE_FIELDS[field]] = parse_day(value, f"--{field.replace('_', '-')}")
    if greetings is not None:
        changes["wants_greetings"] = greetings
    if lunar_birthday is not None:
        changes["birthday_lunar"] = lunar_birthday
    consent = None if profile_consent is None else parse_flag(profile_consent, "--profile-consent")
    archive = consent is not None or tag or untag
    if not changes and not clear and not archive:
        raise InvalidInput("nothing to change: give an option such as --signed or --clear")
    for name in clear:
        column = DATE_FIELDS.get(name, name)
        if column not in {*DATE_FIELDS.values(), "butler", "referred_by"}:
            raise InvalidInput(
                "--clear {name}: only dates, butler and referred_by clear", name=name
            )
        changes[column] = None
    with open_store(ctx, write=True) as store:
        if changes:
            store.owners.edit(owner_id, changes, today())
        if archive:
            store.owners.change_archive(owner_id, consent=consent, add=tag, remove=untag)
    typer.echo(_("owner {id} updated").format(id=owner_id))


@app.command("assign")
def assign(
    ctx: typer.Context,
    butler: str = typer.Option(
        ..., "--butler", metavar="NAME", help="The butler (管家) to give them to."
    ),
    project: str | None = typer.Option(
        None, "--project", metavar="CODE", help="Only this project."
    ),
    unit: str | None = typer.Option(
        None,
        "--unit",
        metavar="PATTERN",
        help="Only flats like this pattern: '3-*', '3幢*', '3-1-12??'.",
    ),
    from_butler: str | None = typer.Option(
        None, "--from-butler", metavar="NAME", help="Only the customers of this butler."
    ),
    unassigned: bool = typer.Option(False, "--unassigned", help="Only customers with no butler."),
    stage_name: str | None = typer.Option(
        None,
        "--stage",
        metavar="STAGE",
        help="Only customers at this stage (signed, delivered, resident …).",
    ),
    file: Path | None = typer.Option(
        None,
        "--file",
        metavar="FILE",
        help="Only the customers a file names: owner ids, or project and flat.",
    ),
    everyone: bool = typer.Option(
        False, "--all", help="Every customer (needed when no other filter is given)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Count and list; write nothing."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Give customers to a butler, chosen by filters or a file, in one transaction (undo takes
    it back)."""
    from sixplustwo.domain.errors import InvalidInput

    butler = butler.strip()
    if not butler:
        raise InvalidInput("--{field} must not be empty", field="butler")
    filtered = any((project, unit, from_butler, unassigned, stage_name, file is not None))
    if not filtered and not everyone:
        raise InvalidInput(
            "owner assign needs a filter (--project, --unit, --from-butler, --unassigned, "
            "--stage, --file), or --all to give every customer to {butler}",
            butler=butler,
        )
    if stage_name is not None:
        from sixplustwo.cli.labels import STAGE, code

        stage_name = code("stage", stage_name)  # typed in either language
        if stage_name not in STAGE:
            raise InvalidInput(
                "--stage {stage}: stages are {stages}",
                stage=stage_name,
                stages=", ".join(code for code in STAGE if code != "forgotten"),
            )
    ids, flats = None, []
    if file is not None:
        from sixplustwo.io.owner_list import read_owner_list

        ids, flats = read_owner_list(file)
    with open_store(ctx, write=not dry_run) as store:
        warn_unknown_butler(store.db, from_butler)
        warn_unknown_butler(store.db, butler, new=True)
        selected = store.owners.assign(
            butler,
            today=today(),
            project=project,
            unit_glob=unit,
            from_butler=from_butler,
            unassigned=unassigned,
            stage_name=stage_name,
            ids=ids,
            flats=flats,
            dry_run=dry_run,
        )
        shown = []
        if dry_run and fmt is Format.table:
            on = today()
            shown = [
                owner_row(owner, proj, on)
                for owner, proj in store.owners.with_projects(selected[:_LISTED])
            ]
    if fmt is Format.json:
        emit_json({"assigned": len(selected), "owner_ids": selected, "butler": butler,
                   "dry_run": dry_run})  # fmt: skip
        return
    if dry_run:
        from sixplustwo.cli.labels import label
        from sixplustwo.cli.layout import print_rows

        for row in shown:
            row["stage_label"] = label("stage", row["stage"])
        print_rows(shown, _owner_columns(), empty="")
        said = _("{count} customers would be given to {butler} (dry run, nothing written)")
    else:
        said = _("{count} customers given to {butler}")
    typer.echo(visible(said.format(count=len(selected), butler=butler)))


_LISTED = 200  # customers a dry run lists


@app.command("forget")
def forget(
    ctx: typer.Context,
    owner_id: int = typer.Argument(..., help="Owner id."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Erase name, phone and birthday on request; anonymous statistics stay."""
    if not yes:
        typer.confirm(
            _("Erase the personal data of owner {id}? This cannot be undone").format(id=owner_id),
            abort=True,
        )
    from sixplustwo.store.database import scrub

    with open_store(ctx, write=True) as store:
        store.owners.forget(owner_id, today())
    if not scrub(db_option(ctx)):
        from sixplustwo.cli.messages import warning_line
        from sixplustwo.domain.errors import StoreError

        typer.echo(
            warning_line(
                StoreError(
                    "another process is reading the database: the erased values stay on disk "
                    "until it stops; run sixplustwo owner forget {id} again then",
                    id=owner_id,
                )
            ),
            err=True,
        )
    typer.echo(_("owner {id}: name, phone and birthday erased").format(id=owner_id))


@app.command("import")
def import_owners(
    ctx: typer.Context,
    file: Path = typer.Argument(..., metavar="FILE", help="CSV (UTF-8 or GB18030) or XLSX file."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Check every row, write nothing; count what would change."
    ),
    update: bool = typer.Option(
        False,
        "--update",
        help="Update customers already there (same project and unit, or owner id): only the "
        "file's columns, and only its non-empty cells.",
    ),
    clear_empty: bool = typer.Option(
        False, "--clear-empty", help="With --update: an empty cell clears the stored value."
    ),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Import customers from a sales-system file: all rows or none."""
    from sixplustwo.cli.messages import warning_line
    from sixplustwo.domain.errors import InvalidInput, SixPlusTwoError
    from sixplustwo.io.background import BackgroundRows, can_fork
    from sixplustwo.io.importing import OwnerFile
    from sixplustwo.store.bulk import import_owners as import_rows
    from sixplustwo.store.bulk import insert_rows, load_projects, update_owners, update_rows

    if clear_empty and not update:
        raise InvalidInput("--clear-empty works with --update")
    day = today()
    owner_file = OwnerFile(file, day, update=update)
    if owner_file.ignored:
        ignored = SixPlusTwoError(
            "ignored columns: {columns}", columns=", ".join(owner_file.ignored)
        )
        typer.echo(warning_line(ignored), err=True)
    expected = owner_file.estimated_rows()
    with open_database(ctx, write=False, create=not dry_run) as db:
        projects = load_projects(db)
    if update:
        rows = update_rows(owner_file.updates(clear_empty), projects)
    else:
        rows = insert_rows(owner_file.values(), projects)
    # A large file is read, checked and laid out as insert rows by a second process while
    # this one inserts; it is started while no database connection is open.
    reader = (
        BackgroundRows(rows, str(file))
        if expected >= _BACKGROUND_FROM_ROWS and can_fork()
        else nullcontext(rows)
    )
    try:
        # A dry run writes too, and rolls back: every row is checked against the database.
        with (
            reader as rows,
            open_database(ctx, write=True, create=not dry_run) as connection,
            _progress(expected) as advance,
        ):
            if update:
                result = update_owners(
                    connection,
                    rows,
                    day,
                    labels=owner_file.headers(),
                    progress=advance,
                    expected_rows=expected,
                )
            else:
                result = import_rows(connection, rows, progress=advance, expected_rows=expected)
            if result.problems or dry_run:
                raise RollBack
    except RollBack:
        pass
    refuse_bad_rows(file, result.problems, result.problem_count)
    written = not dry_run
    # What the run adds and, per column of an update file, how many stored values change.
    columns = owner_file.updated_columns() if update else {}
    changes = {"new": result.inserted, **{f: result.changes.get(f, 0) for f in columns}}
    summary = {
        "rows": result.rows,
        "imported": result.inserted if written else 0,
        "updated": result.updated if written else 0,
        "dry_run": dry_run,
        "changes": changes,
    }
    if fmt is Format.json:
        emit_json(summary)
        return
    if dry_run:
        typer.echo(
            _("{file}: {rows} rows valid (dry run, nothing written)").format(
                file=file, rows=result.rows
            )
        )
    else:
        typer.echo(
            _("{file}: imported {inserted} customers, updated {updated}").format(
                file=file, inserted=result.inserted, updated=result.updated
            )
        )
    if dry_run or update:
        typer.echo(_("new owners: {count}").format(count=result.inserted))
        for field, header in columns.items():
            typer.echo(_("{column}: {count} changed").format(column=header, count=changes[field]))


_PROGRESS_FROM_ROWS = 5000


_BACKGROUND_FROM_ROWS = 20_000


@contextmanager
def _progress(total: int) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr for files big enough to wait for, when someone watches: in a
    cron job's log or a pipe it would leave an empty line."""
    if total < _PROGRESS_FROM_ROWS or not to_terminal(sys.stderr):
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    # Refreshed by the import itself, once per batch: rich's own refresh thread would contend
    # for the GIL with SQLite's, which gives it up on every row (~4 s at a million rows).
    with Progress(console=Console(stderr=True), transient=True, auto_refresh=False) as bar:
        task = bar.add_task(_("importing"), total=total)

        def advance(count: int) -> None:
            bar.advance(task, count)
            bar.refresh()

        yield advance
