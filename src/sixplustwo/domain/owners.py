"""Owner input: the fields a sales system or a butler provides, validated against the journey.

The fields themselves are defined once, in ``domain/fields.py``; the core ones are validated
here by name (their meaning is the journey), plain ones by their kind."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from contextlib import suppress
from dataclasses import dataclass, field, fields
from datetime import date

from sixplustwo.domain import fields as owner_fields
from sixplustwo.domain.dates import iso, parse_date_text
from sixplustwo.domain.errors import InvalidInput, SixPlusTwoError
from sixplustwo.domain.phones import is_plain_mobile, normalise_phone, written_mobile
from sixplustwo.domain.search import KNOWN_NAME_KEYS, STORED_UNIT_KEYS, name_keys, stored_unit_key
from sixplustwo.domain.text import (
    BUTLER_MAX,
    NAME_MAX,
    PROJECT_NAME_MAX,
    SOURCE_MAX,
    UNIT_MAX,
    line_problem,
    note_problem,
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
    a control or bidirectional character in it (README: "Hostile text")."""
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
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name in _DATE_COLUMNS}


_DATE_COLUMNS = frozenset(DATE_FIELDS.values())
_DATE_ITEMS = tuple(DATE_FIELDS.items())


class FieldError(InvalidInput):
    """A bad value in one named input field (the importer adds the row number): ``reason``
    is a message id with its parameters, or an error raised while checking the value."""

    def __init__(self, field: str, reason: str | SixPlusTwoError, /, **params: object) -> None:
        if not isinstance(reason, SixPlusTwoError):
            reason = InvalidInput(reason, **params)
        super().__init__("{field}: {reason}", field=field, reason=reason)
        self.field = field
        self.reason = reason


def cell_text(value: object) -> str | None:
    """A cell or option as text, stripped; None when empty."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _date_value(field: str, value: object) -> date | None:
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
            dates[column] = _date_value(name, value)
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
        return _date_value(field.input, value)
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
                label, "{label} {day} is in the future", label=label, day=later.isoformat()
            )
        if earlier is not None and later < earlier:
            raise FieldError(
                label,
                "{label} {later} is before {earlier_label} {earlier}",
                label=label,
                later=later.isoformat(),
                earlier_label=earlier_label,
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


# An owner as stored, for the bulk import: OwnerRecord's fields in the order below, with
# dates as ISO text and the key its birthday greeting is found by, then the plain fields of
# the owner definition (``owner_value_fields``). Plain tuples, because a large company's file
# has a million rows.
OWNER_VALUE_FIELDS = (
    "project", "unit", "name", "phone", "visited_on", "subscribed_on", "signed_on",
    "delivery_date", "delivered_on", "birthday", "birthday_key", "butler", "referred_by",
    "birthday_lunar", "name_pinyin", "name_initials", "unit_key",
)  # fmt: skip
OwnerValues = tuple  # laid out as owner_value_fields()


def owner_value_fields() -> tuple[str, ...]:
    return (*OWNER_VALUE_FIELDS, *(f.name for f in owner_fields.plain_fields()))


def owner_values(record: OwnerRecord) -> OwnerValues:
    from sixplustwo.domain.calendars import birthday_key

    return (
        record.project, record.unit, record.name, record.phone, iso(record.visited_on),
        iso(record.subscribed_on), iso(record.signed_on), iso(record.delivery_date),
        iso(record.delivered_on), iso(record.birthday),
        birthday_key(record.birthday, record.birthday_lunar), record.butler,
        record.referred_by, record.birthday_lunar, *name_keys(record.name),
        stored_unit_key(record.unit),
        *(_stored(record.other.get(f.name)) for f in owner_fields.plain_fields()),
    )  # fmt: skip


def _stored(value: object) -> object:
    return iso(value) if isinstance(value, date) else value


# The input fields plain_owner_values takes, in order.
PLAIN_INPUT_FIELDS = (
    "name", "phone", "project", "unit", "visited", "subscribed", "signed", "delivery_date",
    "delivered", "birthday", "butler", "referred_by", "lunar_birthday",
)  # fmt: skip
_PLAIN_DATES: dict[str, str | None] = {}  # date text → its ISO form if a real date
_PLAIN_DATES_KEPT = 100_000  # a file repeats a few thousand dates; a hostile one, no more


def _plain_date(text: str) -> str | None:
    """``text`` as an ISO date (YYYY-MM-DD) if it is a real date written in an accepted form,
    else None. The first string seen for each date stands for all later ones: rows share
    their date strings, which the bulk import then pickles (and SQLite binds) once per batch
    instead of once per cell."""
    if text in _PLAIN_DATES:
        return _PLAIN_DATES[text]
    plain: str | None = None
    if (
        len(text) == 10
        and text.isascii()
        and text[4] == text[7] == "-"
        and text[:4].isdigit()
        and text[5:7].isdigit()
        and text[8:].isdigit()
    ):
        try:
            date.fromisoformat(text)
            plain = text
        except ValueError:
            pass
    elif text.strip():
        # Written another accepted way (2024/3/5, 20240305, 2024年3月5日): stored as ISO.
        with suppress(InvalidInput):
            plain = parse_date_text(text).isoformat()
    if len(_PLAIN_DATES) < _PLAIN_DATES_KEPT:
        _PLAIN_DATES[text] = plain
    return plain


def plain_owner_values(cells: tuple[str, ...], today_text: str) -> OwnerValues | None:
    """``owner_values(owner_record(…))`` for a row as sales systems mostly write it: text
    cells laid out as PLAIN_INPUT_FIELDS, a mainland mobile (11 digits, or written with spaces,
    dashes or +86), dates in an accepted form (stored as YYYY-MM-DD and compared as text,
    which orders them as dates), no referrer, no lunar birthday. Anything else, valid or
    not, returns None and takes the full path, which also words the errors. A million-row
    import spends most of its Python time validating; this is ~3x faster."""
    (
        name, phone, project, unit, visited, subscribed, signed, delivery_date, delivered,
        birthday, butler, referred, lunar,
    ) = cells  # fmt: skip
    name, project, unit, butler = name.strip(), project.strip(), unit.strip(), butler.strip()
    if not (name and project and unit) or referred.strip() or lunar.strip():
        return None
    # Too long, or a character that is not printable (maybe a control character, a tab in
    # the phone too): the full path says which field and why.
    phone = phone.strip()
    if (
        len(name) > NAME_MAX
        or len(unit) > UNIT_MAX
        or len(project) > PROJECT_NAME_MAX
        or len(butler) > BUTLER_MAX
        or len(phone) > TEXT_MAX["phone"]
        or not (name + unit + project + butler + phone).isprintable()
    ):
        return None
    if not is_plain_mobile(phone):
        phone = written_mobile(phone)  # type: ignore[assignment]  # 138 1234 5678, +86 …
        if phone is None:
            return None
    # The journey's dates in its order, each no earlier than the one before and none in the
    # future. Unrolled, with dates seen before looked up in place: a million rows.
    known = _PLAIN_DATES
    visited_on = subscribed_on = signed_on = delivered_on = contract = born = None
    earlier = ""
    if visited:
        visited_on = known[visited] if visited in known else _plain_date(visited)
        if visited_on is None or visited_on > today_text:
            return None
        earlier = visited_on
    if subscribed:
        subscribed_on = known[subscribed] if subscribed in known else _plain_date(subscribed)
        if subscribed_on is None or subscribed_on < earlier or subscribed_on > today_text:
            return None
        earlier = subscribed_on
    if signed:
        signed_on = known[signed] if signed in known else _plain_date(signed)
        if signed_on is None or signed_on < earlier or signed_on > today_text:
            return None
        earlier = signed_on
    if delivered:
        delivered_on = known[delivered] if delivered in known else _plain_date(delivered)
        if delivered_on is None or delivered_on < earlier or delivered_on > today_text:
            return None
    if delivery_date:
        contract = known[delivery_date] if delivery_date in known else _plain_date(delivery_date)
        if contract is None or (signed_on is not None and contract < signed_on):
            return None
    if birthday:
        born = known[birthday] if birthday in known else _plain_date(birthday)
        if born is None or born > today_text or born < "1900-01-01":
            return None
    spelled, initials = KNOWN_NAME_KEYS.get(name) or name_keys(name)
    flat = STORED_UNIT_KEYS.get(unit, unit)
    if flat is unit:  # not seen yet
        flat = stored_unit_key(unit)
    return (
        project, unit, name, phone, visited_on, subscribed_on, signed_on, contract,
        delivered_on, born, born[5:] if born else None, butler or None,
        None, False, spelled, initials, flat,
    )  # fmt: skip


@dataclass(slots=True)
class SurveyRow:
    """One answer of a satisfaction survey (third-party or the butler's own)."""

    owner_id: int | None
    project: str | None
    unit: str | None
    on: date
    score: int
    comment: str | None
    source: str | None


def survey_row(values: Mapping[str, object]) -> SurveyRow:
    """Validate one survey answer: the owner by id or by project and unit, a date, a 1–5 score."""
    owner = cell_text(values.get("owner_id"))
    project, unit = cell_text(values.get("project")), cell_text(values.get("unit"))
    if not owner and not (project and unit):
        raise FieldError("owner_id", "name the owner: an owner id, or project and unit")
    day = _date_value("date", values.get("date"))
    if day is None:
        raise FieldError("date", "is required")
    raw_score = cell_text(values.get("score")) or ""
    try:
        score = int(float(raw_score))
    except ValueError:
        raise FieldError("score", "{score!r} is not a score from 1 to 5", score=raw_score) from None
    if not 1 <= score <= 5 or float(raw_score) != score:
        raise FieldError("score", "{score!r} is not a score from 1 to 5", score=raw_score)
    comment = cell_text(values.get("comment"))
    problem = comment and note_problem(comment)
    if problem:
        raise FieldError("comment", problem)
    source = cell_text(values.get("source")) or "第三方调查"
    problem = line_problem(source, SOURCE_MAX)
    if problem:
        raise FieldError("source", problem)
    return SurveyRow(
        owner_id=parse_owner_id(owner, "owner_id") if owner else None,
        project=project,
        unit=unit,
        on=day,
        score=score,
        comment=comment,
        source=source,
    )


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
            cells[spec.name] = iso(_date_value(name, value))
        elif spec.core:
            cells[spec.name] = owner_text(name, cell_text(value) or "")
        else:
            cells[spec.name] = _stored(plain_value(spec, value))
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
    if not _DATE_COLUMNS.isdisjoint(cells):
        check_journey(
            {column: _stored_date(merged.get(column)) for column in _DATE_COLUMNS},
            today,
            changed=cells,
        )
    return merged


def _stored_date(value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value  # type: ignore[return-value]
    return date.fromisoformat(str(value))
