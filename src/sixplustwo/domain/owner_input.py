"""Owner input: the fields a sales system or a butler provides, validated against the journey.

The fields themselves are defined once, in ``domain/fields.py``; the core ones are validated
here by name (their meaning is the journey), plain ones by their kind. An owner as the bulk
import stores it is in ``owner_rows.py``, an update's cells in ``owner_updates.py``."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, fields
from datetime import date

from sixplustwo.domain import fields as owner_fields
from sixplustwo.domain.dates import parse_date_text
from sixplustwo.domain.errors import InvalidInput, SixPlusTwoError
from sixplustwo.domain.phones import normalise_phone
from sixplustwo.domain.text import (
    BUTLER_MAX,
    NAME_MAX,
    PROJECT_NAME_MAX,
    UNIT_MAX,
    line_problem,
)

# Input field (the `owner add` option name with _ for -) → stored column, for the journey's
# dates; the text fields validated by name; the fields a row must have.
DATE_FIELDS: dict[str, str] = {
    f.input: f.name for f in owner_fields.OWNER_FIELDS if f.core and f.kind == "date" and f.input
}
TEXT_FIELDS = tuple(
    f.input
    for f in owner_fields.OWNER_FIELDS
    if f.core and f.kind in ("text", "ref") and f.input not in (None, "referred_by")
)
REQUIRED_FIELDS = tuple(f.input for f in owner_fields.OWNER_FIELDS if f.required)
# The longest text each input field takes (the project: its code or name); a phone is
# longer than any number written with its separators.
TEXT_MAX = {
    "name": NAME_MAX,
    "unit": UNIT_MAX,
    "butler": BUTLER_MAX,
    "project": PROJECT_NAME_MAX,
    "phone": 40,
}
PLAIN_TEXT_MAX = 200  # a plain text field of the owner definition


def owner_text(field: str, text: str) -> str:
    """A text field's stripped value as stored, or FieldError: too long for the field, or
    a control or bidirectional character in it (docs/data-rules.md: "Hostile text")."""
    problem = line_problem(text, TEXT_MAX.get(field, PLAIN_TEXT_MAX))
    if problem:
        raise FieldError(field, problem)
    return text


# Journey dates in the order they must happen when both are recorded.
_JOURNEY = (
    ("visited_on", "visited"),
    ("subscribed_on", "subscribed"),
    ("signed_on", "signed"),
    ("delivered_on", "delivered"),
)


@dataclass(slots=True)  # not frozen: ~8x cheaper to build, one per imported row
class OwnerRecord:
    name: str
    phone: str
    project: str
    unit: str
    visited_on: date | None = None
    subscribed_on: date | None = None
    signed_on: date | None = None
    delivery_date: date | None = None
    delivered_on: date | None = None
    birthday: date | None = None
    butler: str | None = None
    referred_by: int | None = None
    birthday_lunar: bool = False
    other: dict[str, object] = field(default_factory=dict)  # plain fields, by column

    def journey(self) -> dict[str, date | None]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name in DATE_COLUMNS}


DATE_COLUMNS = frozenset(DATE_FIELDS.values())
_DATE_ITEMS = tuple(DATE_FIELDS.items())


class FieldError(InvalidInput):
    """A bad value in one named input field (the importer adds the row number): ``reason``
    is a message id with its parameters, or an error raised while checking the value."""

    def __init__(self, field: str, reason: str | SixPlusTwoError, /, **params: object) -> None:
        if not isinstance(reason, SixPlusTwoError):
            reason = InvalidInput(reason, **params)
        super().__init__("{field}: {reason}", field=owner_fields.FieldName(field), reason=reason)
        self.field = field
        self.reason = reason


def cell_text(value: object) -> str | None:
    """A cell or option as text, stripped; None when empty."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def cell_date(field: str, value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value  # type: ignore[return-value]
    text = value.strip() if type(value) is str else cell_text(value)
    if not text:
        return None
    try:
        return parse_date_text(text)
    except InvalidInput as exc:
        raise FieldError(field, exc) from None


_YES = frozenset({"是", "y", "yes", "true", "1", "农历", "阴历", "lunar"})
_NO = frozenset({"否", "n", "no", "false", "0", "公历", "阳历", "solar", ""})


def parse_flag(value: object, field: str) -> bool:
    """A yes/no cell as a sales system writes it: 是/否, yes/no, 1/0; 农历/公历 for birthdays."""
    if isinstance(value, bool):
        return value
    text = (cell_text(value) or "").lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise FieldError(field, "{text!r} is not yes or no (是/否, 农历/公历)", text=text)


def parse_owner_id(value: object, field: str = "referred_by") -> int:
    text = cell_text(value) or ""
    digits = text[1:] if text[:1] in ("o", "O") else text
    if not digits.isdigit():
        raise FieldError(field, "{text!r} is not an owner id", text=text)
    return int(digits)


def owner_record(values: Mapping[str, object], today: date) -> OwnerRecord:
    """Validate one owner's input fields; raise FieldError naming the first bad field.

    Written for speed as much as for reading: a million-row import runs it a million times.
    """
    get = values.get
    texts: dict[str, str | None] = {}
    for name in TEXT_FIELDS:
        value = get(name)
        text = value.strip() if type(value) is str else cell_text(value)
        texts[name] = owner_text(name, text) if text else None
    for name in REQUIRED_FIELDS:
        if not texts[name]:
            raise FieldError(name, "is required")
    try:
        phone = normalise_phone(texts["phone"] or "")
    except InvalidInput as exc:
        raise FieldError("phone", exc) from None
    dates: dict[str, date | None] = {}
    for name, column in _DATE_ITEMS:
        value = get(name)
        if not value:
            dates[column] = None
        elif type(value) is str:
            try:
                dates[column] = parse_date_text(value.strip()) if value.strip() else None
            except InvalidInput as exc:
                raise FieldError(name, exc) from None
        else:
            dates[column] = cell_date(name, value)
    referred = get("referred_by")
    referred_by = parse_owner_id(referred) if cell_text(referred) else None
    lunar = get("lunar_birthday")
    birthday_lunar = parse_flag(lunar, "lunar_birthday") if lunar else False
    if birthday_lunar and dates["birthday"] is None:
        raise FieldError("lunar_birthday", "a lunar birthday needs the date of birth (birthday)")
    check_journey(dates, today)
    other = {f.name: plain_value(f, get(f.input)) for f in owner_fields.plain_fields()}
    return OwnerRecord(
        other=other,
        name=texts["name"] or "",
        phone=phone,
        project=texts["project"] or "",
        unit=texts["unit"] or "",
        butler=texts["butler"],
        referred_by=referred_by,
        birthday_lunar=birthday_lunar,
        **dates,
    )


def plain_value(field: owner_fields.Field, value: object) -> object:
    """A plain field's cell read by its kind (an empty cell is no value)."""
    assert field.input is not None
    if field.kind == "date":
        return cell_date(field.input, value)
    if field.kind == "bool":
        return parse_flag(value, field.input) if cell_text(value) else None
    text = cell_text(value)
    if text is None or field.kind == "text":
        return text and owner_text(field.input, text)
    try:
        return int(text)
    except ValueError:
        raise FieldError(field.input, "{text!r} is not a whole number", text=text) from None


def check_journey(
    dates: Mapping[str, date | None], today: date, changed: Collection[str] | None = None
) -> None:
    """Refuse dates that contradict the journey (SPEC §5): out of order, or a step that has
    not happened yet (the planned delivery date may be in the future, nothing else). With
    ``changed``, only those columns are held to the future rule: a date stored before the
    rule (an old database) does not block an edit of something else."""
    earlier: date | None = None
    earlier_label = ""
    for column, label in _JOURNEY:
        later = dates.get(column)
        if later is None:
            continue
        if later > today and (changed is None or column in changed):
            raise FieldError(
                label,
                "{label} {day} is in the future",
                label=owner_fields.FieldName(label),
                day=later.isoformat(),
            )
        if earlier is not None and later < earlier:
            raise FieldError(
                label,
                "{label} {later} is before {earlier_label} {earlier}",
                label=owner_fields.FieldName(label),
                later=later.isoformat(),
                earlier_label=owner_fields.FieldName(earlier_label),
                earlier=earlier.isoformat(),
            )
        earlier, earlier_label = later, label
    birthday = dates.get("birthday")
    if birthday is not None:
        if birthday > today:
            raise FieldError(
                "birthday", "birthday {day} is in the future", day=birthday.isoformat()
            )
        if birthday.year < 1900:
            raise FieldError("birthday", "birthday {day} is before 1900", day=birthday.isoformat())
    delivery_date = dates.get("delivery_date")
    signed = dates.get("signed_on")
    if delivery_date is not None and signed is not None and delivery_date < signed:
        raise FieldError(
            "delivery_date",
            "delivery_date {delivery} is before signed {signed}",
            delivery=delivery_date.isoformat(),
            signed=signed.isoformat(),
        )
