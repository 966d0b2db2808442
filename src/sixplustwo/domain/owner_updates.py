"""Owner updates (``owner import --update``): the cells a file gives for an owner already
on record, each checked by itself, then merged over the stored values and checked as a
whole."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sixplustwo.domain import fields as owner_fields
from sixplustwo.domain.dates import iso
from sixplustwo.domain.errors import InvalidInput
from sixplustwo.domain.owner_input import (
    DATE_COLUMNS,
    FieldError,
    cell_date,
    cell_text,
    check_journey,
    owner_text,
    parse_flag,
    parse_owner_id,
    plain_value,
)
from sixplustwo.domain.owner_rows import stored_value
from sixplustwo.domain.phones import normalise_phone

# An update (``owner import --update``): the cells a file gives for an owner already on
# record, applied over the stored values, then checked as a whole.
KEY_FIELDS = ("project", "unit")  # a flat's key: never changed by an update


def _blank_cell(value: object) -> bool:
    return cell_text(value) is None


def owner_cells(
    values: Mapping[str, object],
    present: tuple[owner_fields.Field, ...],
    clear_empty: bool = False,
) -> dict[str, object]:
    """The cells of an update row, by stored column and as stored (dates as ISO text), for
    the input fields in ``present``; each checked by itself (the journey is checked on the
    merged owner, ``merged_owner``). An empty cell leaves the stored value: it is not in the
    result, unless ``clear_empty``, when it clears it (None; a lunar birthday: no). A field
    every owner must have cannot be cleared. Project and unit stay text (the key)."""
    cells: dict[str, object] = {}
    for spec in present:
        name = spec.input
        assert name is not None
        value = values.get(name)
        if _blank_cell(value):
            if spec.required and (clear_empty or name in KEY_FIELDS):
                raise FieldError(name, "is required")
            if clear_empty:
                cells[spec.name] = False if spec.kind == "bool" and spec.core else None
            continue
        if name == "phone":
            try:
                cells[spec.name] = normalise_phone(cell_text(value) or "")
            except InvalidInput as exc:
                raise FieldError(name, exc) from None
        elif name == "referred_by":
            cells[spec.name] = parse_owner_id(value)
        elif name == "lunar_birthday":
            cells[spec.name] = parse_flag(value, name)
        elif spec.core and spec.kind == "date":
            cells[spec.name] = iso(cell_date(name, value))
        elif spec.core:
            cells[spec.name] = owner_text(name, cell_text(value) or "")
        else:
            cells[spec.name] = stored_value(plain_value(spec, value))
    return cells


def merged_owner(
    stored: Mapping[str, object], cells: Mapping[str, object], today: date
) -> dict[str, object]:
    """A stored owner (columns as stored) with an update's ``owner_cells`` applied: the first
    referrer recorded is kept; the birthday's key follows the birthday. The merged owner is
    checked like a new one (the journey, a lunar birthday's date) when the update gives any
    of its dates (one that gives none leaves the journey as it is); a FieldError names the
    field."""
    from sixplustwo.domain.calendars import birthday_key

    merged = dict(stored)
    for column, value in cells.items():
        if column == "referred_by" and stored.get("referred_by") is not None:
            continue  # the first referrer wins
        if column == "referred_by" and value is not None and value == stored.get("id"):
            raise FieldError("referred_by", "an owner cannot refer themselves")
        merged[column] = value
    if "birthday" in cells or "birthday_lunar" in cells:
        birthday = _stored_date(merged.get("birthday"))
        lunar = bool(merged.get("birthday_lunar"))
        if lunar and birthday is None:
            raise FieldError(
                "lunar_birthday", "a lunar birthday needs the date of birth (birthday)"
            )
        merged["birthday_md"] = birthday_key(birthday, lunar)
    if not DATE_COLUMNS.isdisjoint(cells):
        check_journey(
            {column: _stored_date(merged.get(column)) for column in DATE_COLUMNS},
            today,
            changed=cells,
        )
    return merged


def _stored_date(value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value  # type: ignore[return-value]
    return date.fromisoformat(str(value))
