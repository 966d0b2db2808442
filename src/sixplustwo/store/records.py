"""What the store returns: plain records read from rows, never ORM objects or display dicts.

Each record lists its table's columns once (``COLUMNS``); ``select`` and ``from_row`` derive
from that list, so a query and the record it fills cannot disagree. The owner's columns come
from the one definition of an owner in ``domain/fields.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, ClassVar

from sixplustwo.domain.fields import OWNER_FIELDS, Field
from sixplustwo.store.rows import as_date


def _as_stamp(value: object) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value  # type: ignore[return-value]
    return datetime.fromisoformat(str(value))


_CONVERT = {
    "date": as_date,
    "bool": lambda value: None if value is None else bool(value),
    "stamp": _as_stamp,
}


class Record:
    """A row as attributes. Subclasses name their table and columns."""

    TABLE: ClassVar[str]
    FIELDS: ClassVar[tuple[Field, ...]]

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)

    @classmethod
    def fields(cls) -> tuple[Field, ...]:
        return cls.FIELDS

    @classmethod
    def columns(cls) -> tuple[str, ...]:
        return tuple(field.name for field in cls.fields())

    @classmethod
    def select(cls, alias: str = "") -> str:
        prefix = f"{alias}." if alias else ""
        return ", ".join(prefix + name for name in cls.columns())

    @classmethod
    def from_row(cls, row: Sequence[object]) -> Any:
        values = {}
        for field, value in zip(cls.fields(), row, strict=True):
            convert = _CONVERT.get(field.kind)
            values[field.name] = convert(value) if convert else value
        return cls(**values)

    def values(self) -> dict[str, object]:
        return {name: self.__dict__.get(name) for name in self.columns()}

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.__dict__ == self.__dict__

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.__dict__!r})"


def _fields(spec: str) -> tuple[Field, ...]:
    """``"id:id code name city:? delivery_date:date"`` → fields (kind after a colon)."""
    found = []
    for item in spec.split():
        name, _, kind = item.partition(":")
        found.append(Field(name, kind or "text"))
    return tuple(found)


class Project(Record):
    TABLE = "project"
    FIELDS = _fields("id:id code name city delivery_date:date opening_date:date created_at:stamp")
    id: int
    code: str
    name: str
    city: str | None
    delivery_date: date | None
    opening_date: date | None


class Milestone(Record):
    TABLE = "milestone"
    FIELDS = _fields("id:id project_id:ref kind reached_on:date note")
    id: int
    project_id: int
    kind: str
    reached_on: date
    note: str | None


class Owner(Record):
    """An owner as stored: every column of the owner definition."""

    TABLE = "owner"
    FIELDS = OWNER_FIELDS
    id: int
    project_id: int
    unit: str
    name: str | None
    phone: str | None
    visited_on: date | None
    subscribed_on: date | None
    signed_on: date | None
    delivery_date: date | None
    delivered_on: date | None
    birthday: date | None
    birthday_md: str | None
    butler: str | None
    referred_by: int | None
    wants_greetings: bool
    birthday_lunar: bool
    profile_consent: bool
    forgotten_on: date | None

    @classmethod
    def fields(cls) -> tuple[Field, ...]:
        # Read at call time: the definition is the one place a field is added.
        from sixplustwo.domain import fields

        return fields.OWNER_FIELDS


class Event(Record):
    TABLE = "event"
    FIELDS = _fields(
        "id:id owner_id:ref project_id:ref case_id:ref kind happened_on:date note channel "
        "score:int action_id recorded_at:stamp export_batch_id:ref"
    )
    id: int
    owner_id: int | None
    project_id: int | None
    case_id: int | None
    kind: str
    happened_on: date
    note: str | None
    channel: str | None
    score: int | None
    action_id: str | None
    export_batch_id: int | None  # the SMS export that completed it by sending (store/sent.py)


class Case(Record):
    TABLE = "service_case"
    FIELDS = _fields(
        "id:id owner_id:ref kind note opened_on:date resolved_on:date resolution_note action_id"
    )
    id: int
    owner_id: int
    kind: str
    note: str
    opened_on: date
    resolved_on: date | None
    resolution_note: str | None
    action_id: str | None


class ChecklistResult(Record):
    TABLE = "checklist_result"
    FIELDS = _fields(
        "id:id event_id:ref action_id rule owner_id:ref project_id:ref item ok:bool note "
        "case_id:ref"
    )
    id: int
    event_id: int
    action_id: str
    rule: str
    owner_id: int | None
    project_id: int | None
    item: str
    ok: bool
    note: str | None
    case_id: int | None


class AuditEntry(Record):
    TABLE = "audit"
    FIELDS = _fields("id:id at:stamp command detail rows:int target os_user db_role person role")
    id: int
    at: datetime
    command: str
    detail: str | None
    rows: int | None
    target: str | None
    os_user: str | None
    db_role: str | None  # on a server, the role that logged in (store/offices.py)
    person: str | None  # --as / $SIXPLUSTWO_USER, else the OS user (None before 0023)
    role: str | None  # the database role on a server

    @property
    def who(self) -> str | None:
        """The role first on a server, then the person; a line written before 0023 as it
        was written (its os_user, "li (role office_bj)" on a server)."""
        if self.person is None and self.role is None:
            return self.os_user
        from sixplustwo.store.command import who

        return who(self.person, self.role)


class ExportBatch(Record):
    """One export's file on its way (store/audit.py): writing, pending, done or discarded."""

    TABLE = "export_batch"
    FIELDS = _fields(
        "id:id destination format day:date target temporary state audit_id:int started_at:stamp"
        " host lease_until:stamp"
    )
    id: int
    destination: str
    format: str
    day: date
    target: str
    temporary: str
    state: str
    audit_id: int | None
    started_at: datetime
    host: str | None  # the machine whose disk holds the temporary file (None: before 0016)
    lease_until: datetime | None  # UTC; after it anyone settles the batch (None: before 0021)
