"""``sixplustwo owner add``, ``owner edit``, ``owner assign`` and ``owner forget``: a
customer's details written, given to a butler, or erased on request."""

from __future__ import annotations

from pathlib import Path

import typer

from sixplustwo.cli.context import db_option, open_store, parse_day, today, warn_unknown_butler
from sixplustwo.cli.labels import field_code
from sixplustwo.cli.messages import N_, _
from sixplustwo.cli.options import FORMAT_OPTION, Format, projects_option
from sixplustwo.cli.owners_view import owner_columns, owner_row
from sixplustwo.cli.render import emit_json
from sixplustwo.domain.text import visible

_DATE_HELP = N_("Date, e.g. 2024-03-05 or 2024年3月5日.")


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
        None,
        "--referred-by",
        metavar="OWNER",
        help="The referrer: owner id, or a phone, *last-4, flat or name naming one.",
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
            "lunar_birthday": lunar_birthday,
        },
        today(),
    )
    from sixplustwo.store.search import resolve_owner

    with open_store(ctx, write=True, create=True) as store:
        if referred_by is not None and referred_by.strip():
            record.referred_by = resolve_owner(store.db, referred_by)
        owner_id = store.owners.add(record).id
    if fmt is Format.json:
        emit_json({"id": owner_id})
    else:
        typer.echo(owner_id)


def edit(
    ctx: typer.Context,
    owner: str = typer.Argument(
        ..., metavar="OWNER", help="Owner id, or a phone, *last-4, flat or name naming one."
    ),
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
        None,
        "--referred-by",
        metavar="OWNER",
        help="The referrer: owner id, or a phone, *last-4, flat or name naming one.",
    ),
    clear: list[str] = typer.Option(
        [],
        "--clear",
        metavar="FIELD",
        help="Erase a field: a date (visited, signed, delivered…), butler or referred_by.",
    ),
    greetings: bool | None = typer.Option(
        None, "--greetings/--no-greetings", help="Whether the customer wants greeting SMS."
    ),
    sms: bool | None = typer.Option(
        None, "--sms/--no-sms", help="Whether notify owners may send the customer SMS (短信退订)."
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
    from sixplustwo.domain.owners import DATE_FIELDS, owner_text, parse_flag
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
    if referred_by is not None and not referred_by.strip():
        raise InvalidInput("--{field} must not be empty", field="referred-by")
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
    if sms is not None:
        changes["no_sms"] = not sms
    consent = None if profile_consent is None else parse_flag(profile_consent, "--profile-consent")
    archive = consent is not None or tag or untag
    if not changes and referred_by is None and not clear and not archive:
        raise InvalidInput("nothing to change: give an option such as --signed or --clear")
    for name in clear:
        field = field_code(name)
        column = DATE_FIELDS.get(field, field)
        if column not in {*DATE_FIELDS.values(), "butler", "referred_by"}:
            raise InvalidInput(
                "--clear {name}: only dates, butler and referred_by clear", name=name
            )
        changes[column] = None
    from sixplustwo.store.search import resolve_owner

    with open_store(ctx, write=True) as store:
        owner_id = resolve_owner(store.db, owner)
        if referred_by is not None:
            changes["referred_by"] = resolve_owner(store.db, referred_by)
        if changes:
            store.owners.edit(owner_id, changes, today())
        if archive:
            store.owners.change_archive(owner_id, consent=consent, add=tag, remove=untag)
    typer.echo(_("owner {id} updated").format(id=owner_id))


def assign(
    ctx: typer.Context,
    butler: str = typer.Option(
        ..., "--butler", metavar="NAME", help="The butler (管家) to give them to."
    ),
    project: list[str] = projects_option(),
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
    filtered = any((bool(project), unit, from_butler, unassigned, stage_name, file is not None))
    if not filtered and not everyone:
        raise InvalidInput(
            "owner assign needs a filter (--project, --unit, --from-butler, --unassigned, "
            "--stage, --file), or --all to give every customer to {butler}",
            butler=butler,
        )
    if stage_name is not None:
        from sixplustwo.cli.labels import STAGE, code, label

        stage_name = code("stage", stage_name)  # typed in either language
        if stage_name not in STAGE:
            raise InvalidInput(
                "--stage {stage}: stages are {stages}",
                stage=stage_name,
                stages=_(", ").join(label("stage", c) for c in STAGE if c != "forgotten"),
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
        print_rows(shown, owner_columns(), empty="")
        said = _("{count} customers would be given to {butler} (dry run, nothing written)")
    else:
        said = _("{count} customers given to {butler}")
    typer.echo(visible(said.format(count=len(selected), butler=butler)))


_LISTED = 200  # customers a dry run lists


def forget(
    ctx: typer.Context,
    owner: str = typer.Argument(
        ..., metavar="OWNER", help="Owner id, or a phone, *last-4, flat or name naming one."
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Erase name, phone and birthday on request; anonymous statistics stay."""
    from sixplustwo.store.search import resolve_owner

    with open_store(ctx, write=False) as store:
        owner_id = resolve_owner(store.db, owner)
    if not yes:
        typer.confirm(
            _("Erase the personal data of owner {id}? This cannot be undone").format(id=owner_id),
            abort=True,
        )
    from sixplustwo.store.database import scrub

    with open_store(ctx, write=True) as store:
        store.owners.forget(owner_id, today())
    left = scrub(db_option(ctx), owner_id)
    if left is not None:
        from sixplustwo.cli.messages import warning_line

        typer.echo(warning_line(left), err=True)
    typer.echo(_("owner {id}: name, phone and birthday erased").format(id=owner_id))
