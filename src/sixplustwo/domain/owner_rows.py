"""An owner as the bulk import stores it: a validated ``OwnerRecord`` laid out as a plain
tuple, and the fast path that lays out a row as sales systems mostly write it without
building the record (a million-row import spends most of its Python time here)."""

from __future__ import annotations

from contextlib import suppress
from datetime import date

from sixplustwo.domain import fields as owner_fields
from sixplustwo.domain.dates import iso, parse_date_text
from sixplustwo.domain.errors import InvalidInput
from sixplustwo.domain.owner_input import TEXT_MAX, OwnerRecord
from sixplustwo.domain.phones import is_plain_mobile, written_mobile
from sixplustwo.domain.search import KNOWN_NAME_KEYS, STORED_UNIT_KEYS, name_keys, stored_unit_key
from sixplustwo.domain.text import BUTLER_MAX, NAME_MAX, PROJECT_NAME_MAX, UNIT_MAX

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
        *(stored_value(record.other.get(f.name)) for f in owner_fields.plain_fields()),
    )  # fmt: skip


def stored_value(value: object) -> object:
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
    # the phone too), or a text that does not start with a letter or number (maybe nothing in
    # it shows: text.invisible): the full path says which field and why.
    phone = phone.strip()
    if (
        not (name[0].isalnum() and unit[0].isalnum() and project[0].isalnum())
        or (butler and not butler[0].isalnum())
        or len(name) > NAME_MAX
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
        # The fields beyond the fast check's, which a plain row does not say (短信退订).
        *(None,) * len(owner_fields.plain_fields()),
    )  # fmt: skip
