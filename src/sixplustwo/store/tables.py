"""SQLModel tables. The schema itself is created by the named migrations in migrations.py;
tests check that the two agree."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel


class Project(SQLModel, table=True):
    __tablename__ = "project"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True)
    name: str
    city: str | None = None
    delivery_date: date | None = Field(default=None, index=True)
    created_at: datetime
    opening_date: date | None = None  # 开盘


class Milestone(SQLModel, table=True):
    __tablename__ = "milestone"
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    kind: str
    reached_on: date = Field(index=True)
    note: str | None = None


class Owner(SQLModel, table=True):
    __tablename__ = "owner"
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id")
    unit: str
    name: str | None = None  # None once forgotten
    phone: str | None = None
    visited_on: date | None = None
    subscribed_on: date | None = None
    signed_on: date | None = None
    delivery_date: date | None = None
    delivered_on: date | None = None
    birthday: date | None = None
    birthday_md: str | None = None  # "MM-DD" (lunar: "LMM-DD"), for the birthday query's index
    butler: str | None = None
    referred_by: int | None = Field(default=None, foreign_key="owner.id")
    wants_greetings: bool = True
    birthday_lunar: bool = False
    profile_consent: bool = False  # consent to keep a customer archive (客户档案)
    forgotten_on: date | None = None
    created_at: datetime


class Event(SQLModel, table=True):
    __tablename__ = "event"
    id: int | None = Field(default=None, primary_key=True)
    owner_id: int | None = Field(default=None, foreign_key="owner.id")
    project_id: int | None = Field(default=None, foreign_key="project.id")
    case_id: int | None = Field(default=None, foreign_key="service_case.id")
    kind: str
    happened_on: date
    note: str | None = None
    channel: str | None = None
    score: int | None = None
    action_id: str | None = None
    recorded_at: datetime


class ServiceCase(SQLModel, table=True):
    __tablename__ = "service_case"
    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="owner.id", index=True)
    kind: str
    note: str
    opened_on: date
    resolved_on: date | None = None
    resolution_note: str | None = None
    action_id: str | None = None  # the check that found the problem, e.g. o12:quality-check-1y


class Audit(SQLModel, table=True):
    __tablename__ = "audit"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime
    command: str
    detail: str | None = None
    rows: int | None = None
    target: str | None = None


class ExportLog(SQLModel, table=True):
    """Actions already written by an export, so that ``--new-only`` never repeats one."""

    __tablename__ = "export_log"
    action_id: str = Field(primary_key=True)
    audit_id: int = Field(foreign_key="audit.id")
    exported_at: datetime


class Setting(SQLModel, table=True):
    """Company-wide settings; ``playbook`` holds the TOML of the playbook in force."""

    __tablename__ = "setting"
    name: str = Field(primary_key=True)
    value: str
    updated_at: datetime


class ChecklistResult(SQLModel, table=True):
    """One checklist item as recorded when an action was done: fine, or a problem (noted)."""

    __tablename__ = "checklist_result"
    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id")
    action_id: str
    rule: str
    owner_id: int | None = Field(default=None, foreign_key="owner.id")
    project_id: int | None = Field(default=None, foreign_key="project.id")
    item: str
    ok: bool
    note: str | None = None
    case_id: int | None = Field(default=None, foreign_key="service_case.id")


class OwnerTag(SQLModel, table=True):
    """A customer-archive tag such as 爱好:羽毛球, kept only with the owner's consent."""

    __tablename__ = "owner_tag"
    owner_id: int = Field(foreign_key="owner.id", primary_key=True)
    tag: str = Field(primary_key=True)
