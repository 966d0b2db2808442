"""``sixplustwo owner merge KEEP OTHER``: two records of one customer folded into one
(``store/merging.py`` says what moves); ``--dry-run`` says it and writes nothing."""

from __future__ import annotations

import typer

from sixplustwo.cli.context import open_store, today
from sixplustwo.cli.messages import _
from sixplustwo.cli.options import FORMAT_OPTION, Format
from sixplustwo.cli.render import emit_json
from sixplustwo.domain.text import visible


def merge(
    ctx: typer.Context,
    keep: str = typer.Argument(
        ...,
        metavar="KEEP",
        help="The record kept: owner id, or a phone, *last-4, flat or name naming one.",
    ),
    other: str = typer.Argument(
        ..., metavar="OTHER", help="The record folded into KEEP, then deleted (named alike)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would move; write nothing."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Fold OTHER into KEEP, two records of one customer (a flat typed twice): KEEP takes the
    dates, butler and referrer it lacks, OTHER's events, cases, referrals and tags; OTHER's
    record and personal data are then deleted. Undo takes it back."""
    from sixplustwo.store.merging import Merging
    from sixplustwo.store.search import resolve_owner

    day = today()
    with open_store(ctx, write=not dry_run) as store:
        keep_id = resolve_owner(store.db, keep)
        other_id = resolve_owner(store.db, other)
        merging = Merging(store.db, store.owners, store.audit)
        plan = merging.plan(keep_id, other_id, day)
        if not dry_run:
            merging.apply(plan)
    if fmt is Format.json:
        emit_json(
            {
                "keep": keep_id,
                "other": other_id,
                "dry_run": dry_run,
                "taken": sorted(plan.taken),
                "moved": plan.moved,
                "referred": plan.referred,
                "tags": plan.tags,
                "dropped_referrals": [
                    {"owner": owner, "referred_by": referrer} for owner, referrer in plan.dropped
                ],
            }
        )
        return
    _say(plan, dry_run)


def _say(plan, dry_run: bool) -> None:
    keep, other = plan.keep.id, plan.other.id
    lines = []
    if plan.taken:
        fields = ", ".join(dict.fromkeys(_field(column) for column in plan.taken))
        lines.append(_("taken from owner {other}: {fields}").format(other=other, fields=fields))
    counts = (
        (_("events"), plan.moved.get("event", 0)),
        (_("cases"), plan.moved.get("service_case", 0)),
        (_("checklist results"), plan.moved.get("checklist_result", 0)),
        (_("referred customers"), len(plan.referred)),
        (_("tags"), len(plan.tags)),
    )
    moved = ", ".join(f"{what} {count}" for what, count in counts if count)
    if moved:
        lines.append(_("moved to owner {keep}: {moved}").format(keep=keep, moved=moved))
    for owner, referrer in plan.dropped:
        lines.append(
            _("dropped: owner {owner} referred by owner {referrer}").format(
                owner=owner, referrer=referrer
            )
        )
    if dry_run:
        lines.append(
            _("owner {other} would be merged into owner {keep} (dry run, nothing written)").format(
                other=other, keep=keep
            )
        )
    else:
        lines.append(
            _("owner {other} merged into owner {keep}; its record is deleted").format(
                other=other, keep=keep
            )
        )
    for line in lines:
        typer.echo(visible(line))


def _field(column: str) -> str:
    """A stored column's name on screens (``signed_on`` → 签约日期)."""
    from sixplustwo.cli.labels import field_label
    from sixplustwo.domain.owners import DATE_FIELDS

    if column == "profile_consent":
        return _("archive consent")
    if column == "birthday_lunar":
        column = "birthday"
    inputs = {stored: given for given, stored in DATE_FIELDS.items()}
    return field_label(inputs.get(column, column), None)
