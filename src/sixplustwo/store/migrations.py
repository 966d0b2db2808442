"""Ordered, named schema migrations, each applied once and recorded in ``schema_migration``.

Migrations are explicit DDL rather than ``metadata.create_all`` so that a database made by an
old release upgrades step by step; they are applied in order, each in its own transaction.
The SQL is kept to what SQLite and PostgreSQL both accept. ``migrate`` applies them, on a
backend's connection before the gateway (``store/database.py``) opens its transaction.

Why one module: the schema's history is one ordered list, read top to bottom; split, the
order a database was built in would be spread over files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import Any

from sixplustwo.domain.errors import StoreError
from sixplustwo.store import offices
from sixplustwo.store.backends import transaction
from sixplustwo.store.rows import now_text
from sixplustwo.store.user_table import APP_USER

# (name, DDL statements separated by ";"): plain SQL, so that commands which only read can
# check and apply them through the gateway's backend part.
Migration = tuple[str, str]


_INITIAL = """
CREATE TABLE project (
    id INTEGER PRIMARY KEY,
    code VARCHAR NOT NULL UNIQUE,
    name VARCHAR NOT NULL,
    city VARCHAR,
    delivery_date DATE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX ix_project_delivery_date ON project (delivery_date);

CREATE TABLE milestone (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES project (id),
    kind VARCHAR NOT NULL,
    reached_on DATE NOT NULL,
    note VARCHAR
);
CREATE INDEX ix_milestone_project_id ON milestone (project_id);
CREATE INDEX ix_milestone_reached_on ON milestone (reached_on);

CREATE TABLE owner (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES project (id),
    unit VARCHAR NOT NULL,
    name VARCHAR,
    phone VARCHAR,
    visited_on DATE,
    subscribed_on DATE,
    signed_on DATE,
    delivery_date DATE,
    delivered_on DATE,
    birthday DATE,
    birthday_md VARCHAR,
    butler VARCHAR,
    referred_by INTEGER REFERENCES owner (id),
    wants_greetings BOOLEAN NOT NULL DEFAULT TRUE,
    forgotten_on DATE,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (project_id, unit)
);
CREATE INDEX ix_owner_visited_on ON owner (visited_on);
CREATE INDEX ix_owner_subscribed_on ON owner (subscribed_on);
CREATE INDEX ix_owner_signed_on ON owner (signed_on);
CREATE INDEX ix_owner_delivery_date ON owner (delivery_date);
CREATE INDEX ix_owner_delivered_on ON owner (delivered_on);
CREATE INDEX ix_owner_birthday_md ON owner (birthday_md);
CREATE INDEX ix_owner_butler ON owner (butler);
CREATE INDEX ix_owner_referred_by ON owner (referred_by);

CREATE TABLE service_case (
    id INTEGER PRIMARY KEY,
    owner_id INTEGER NOT NULL REFERENCES owner (id),
    kind VARCHAR NOT NULL,
    note VARCHAR NOT NULL,
    opened_on DATE NOT NULL,
    resolved_on DATE,
    resolution_note VARCHAR
);
CREATE INDEX ix_service_case_owner_id ON service_case (owner_id);
CREATE INDEX ix_service_case_resolved_on ON service_case (resolved_on);

CREATE TABLE event (
    id INTEGER PRIMARY KEY,
    owner_id INTEGER REFERENCES owner (id),
    project_id INTEGER REFERENCES project (id),
    case_id INTEGER REFERENCES service_case (id),
    kind VARCHAR NOT NULL,
    happened_on DATE NOT NULL,
    note VARCHAR,
    channel VARCHAR,
    score INTEGER,
    action_id VARCHAR,
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX ix_event_owner_kind ON event (owner_id, kind);
CREATE INDEX ix_event_project_kind ON event (project_id, kind);
CREATE INDEX ix_event_case_id ON event (case_id);
CREATE INDEX ix_event_kind_happened_on ON event (kind, happened_on);

CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at TIMESTAMP NOT NULL,
    command VARCHAR NOT NULL,
    detail VARCHAR,
    rows INTEGER,
    target VARCHAR
)
"""

_EXPORT_LOG = """
CREATE TABLE export_log (
    action_id VARCHAR PRIMARY KEY,
    audit_id INTEGER NOT NULL REFERENCES audit (id),
    exported_at TIMESTAMP NOT NULL
)
"""

# Planner statistics: without them SQLite reads "delivery_date IS NULL" as selective and walks
# a million owners through that index instead of the project's. `owner import` refreshes them.
_STATISTICS = "ANALYZE"

# Company-wide settings, such as the playbook in force (its TOML text).
_SETTING = """
CREATE TABLE setting (
    name VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL,
    updated_at TIMESTAMP NOT NULL
)
"""

# 农历生日: greeted on the lunar date of birth; birthday_md then holds "L" + lunar month-day.
_LUNAR_BIRTHDAY = "ALTER TABLE owner ADD COLUMN birthday_lunar BOOLEAN NOT NULL DEFAULT FALSE"

# Membership counts the flats a customer signed for by phone number.
_OWNER_PHONE = "CREATE INDEX ix_owner_phone ON owner (phone)"

# Checklists recorded item by item by `done`; a problem may open a repair case, linked back.
_CHECKLIST = """
CREATE TABLE checklist_result (
    id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL REFERENCES event (id),
    action_id VARCHAR NOT NULL,
    rule VARCHAR NOT NULL,
    owner_id INTEGER REFERENCES owner (id),
    project_id INTEGER REFERENCES project (id),
    item VARCHAR NOT NULL,
    ok BOOLEAN NOT NULL,
    note VARCHAR,
    case_id INTEGER REFERENCES service_case (id)
);
CREATE INDEX ix_checklist_result_owner_id ON checklist_result (owner_id);
CREATE INDEX ix_checklist_result_project_rule ON checklist_result (project_id, rule);
ALTER TABLE service_case ADD COLUMN action_id VARCHAR
"""

# 开盘 (the sales opening) anchors the pre-sale checks; the customer archive (客户档案) keeps
# profile tags, only with the owner's consent.
_OPENING_AND_ARCHIVE = """
ALTER TABLE project ADD COLUMN opening_date DATE;
ALTER TABLE owner ADD COLUMN profile_consent BOOLEAN NOT NULL DEFAULT FALSE;
CREATE TABLE owner_tag (
    owner_id INTEGER NOT NULL REFERENCES owner (id),
    tag VARCHAR NOT NULL,
    PRIMARY KEY (owner_id, tag)
);
CREATE INDEX ix_owner_tag_tag ON owner_tag (tag)
"""

# A butler's morning list: each rule's anchor test is answered from the index entries of the
# butler's ~10k owners, so only listed owners are read from the table (~15 ms a rule at a
# million owners with the butler alone in the index, ~2 ms so).
_OWNER_BUTLER_JOURNEY = """
DROP INDEX ix_owner_butler;
CREATE INDEX ix_owner_butler ON owner (
    butler, forgotten_on, visited_on, subscribed_on, signed_on, delivery_date, delivered_on,
    birthday_md
)
"""

# Who ran an audited command (the operating-system user).
_AUDIT_USER = "ALTER TABLE audit ADD COLUMN os_user VARCHAR"

# Each export keeps its own record (`export --new-only` per destination: `sms` for csv,
# `calendar` for ics, `feed` for json, or `--destination NAME`): the key becomes
# (destination, action_id). Rows written before are given the destination their audit
# entry's format implies (its detail starts with the format: "csv for 2026-11-22").
_EXPORT_DESTINATION = """
CREATE TABLE export_log_by_destination (
    destination VARCHAR NOT NULL,
    action_id VARCHAR NOT NULL,
    audit_id INTEGER NOT NULL REFERENCES audit (id),
    exported_at TIMESTAMP NOT NULL,
    PRIMARY KEY (destination, action_id)
);
INSERT INTO export_log_by_destination (destination, action_id, audit_id, exported_at)
SELECT CASE
        WHEN audit.detail LIKE 'ics %' THEN 'calendar'
        WHEN audit.detail LIKE 'json %' THEN 'feed'
        ELSE 'sms'
    END,
    export_log.action_id, export_log.audit_id, export_log.exported_at
FROM export_log LEFT JOIN audit ON audit.id = export_log.audit_id;
DROP TABLE export_log;
ALTER TABLE export_log_by_destination RENAME TO export_log
"""

# The journal of changes `undo` reverses (store/journal.py): an entry per write command, a row
# per change with the row's key (an id range for bulk inserts, else row_key for tables keyed
# by columns), the owner it belongs to (purged by forget) and its prior values as JSON.
_JOURNAL = """
CREATE TABLE journal (
    id INTEGER PRIMARY KEY,
    at TIMESTAMP NOT NULL,
    os_user VARCHAR,
    argv VARCHAR NOT NULL,
    irreversible VARCHAR,
    undone_at TIMESTAMP
);
CREATE INDEX ix_journal_os_user ON journal (os_user);
CREATE TABLE journal_change (
    journal_id INTEGER NOT NULL REFERENCES journal (id),
    seq INTEGER NOT NULL,
    tbl VARCHAR NOT NULL,
    op VARCHAR NOT NULL,
    pk INTEGER,
    pk_last INTEGER,
    row_key VARCHAR,
    owner_id INTEGER,
    before VARCHAR,
    PRIMARY KEY (journal_id, seq)
);
CREATE INDEX ix_journal_change_row ON journal_change (tbl, pk);
CREATE INDEX ix_journal_change_owner_id ON journal_change (owner_id)
"""

# `owner find` (domain/search.py): each owner's name as pinyin and initials, and the flat as its
# numbers where written otherwise (3幢1单元1201 → 3-1-1201), indexed for prefix ranges; the
# phone's index leads with its last four digits (an expression: a whole phone is looked up
# with its last four digits too). Few indexes to build at a million-row import: the phone's
# own widened, the initials inside the pinyin's index, only the flats that need a key.
# Owners already there get their keys from Python after the DDL (store/search.py, FILLS),
# which then builds the indexes on them.
_OWNER_SEARCH = """
ALTER TABLE owner ADD COLUMN name_pinyin VARCHAR;
ALTER TABLE owner ADD COLUMN name_initials VARCHAR;
ALTER TABLE owner ADD COLUMN unit_key VARCHAR;
DROP INDEX ix_owner_phone;
CREATE INDEX ix_owner_phone ON owner (SUBSTR(phone, LENGTH(phone) - 3), phone)
"""
# Built by the Python step once the keys are filled (faster than keeping them up to date).
OWNER_SEARCH_INDEXES = """
CREATE INDEX ix_owner_name_pinyin ON owner (name_pinyin, name_initials);
CREATE INDEX ix_owner_unit_key ON owner (unit_key) WHERE unit_key IS NOT NULL
"""

# Exactly once per destination (cli/export.py): an export is a batch that is "writing" (its
# temporary file being written), then "pending" (file complete, its rows in export_log, not
# yet renamed into place), then "done"; one killed on the way is finished or discarded by the
# next export, so that each action is in exactly one delivered file.
_EXPORT_BATCH = """
CREATE TABLE export_batch (
    id INTEGER PRIMARY KEY,
    destination VARCHAR NOT NULL,
    format VARCHAR NOT NULL,
    day DATE NOT NULL,
    target VARCHAR NOT NULL,
    temporary VARCHAR NOT NULL,
    state VARCHAR NOT NULL,
    audit_id INTEGER REFERENCES audit (id),
    started_at TIMESTAMP NOT NULL
);
CREATE INDEX export_batch_state ON export_batch (state);
ALTER TABLE export_log ADD COLUMN batch_id INTEGER REFERENCES export_batch (id);
CREATE INDEX export_log_batch ON export_log (batch_id)
"""

# The report counts festival greetings as every signed owner (the butler index covers them)
# less those who want none: this finds the few who want none without reading every owner.
_OWNER_GREETINGS = """
CREATE INDEX ix_owner_wants_greetings ON owner (wants_greetings)
"""

# Two cron hosts may share one server database: a batch's temporary file is on the host that
# wrote it, so only that host may judge (by the file's presence) whether it was delivered.
_EXPORT_BATCH_HOST = """
ALTER TABLE export_batch ADD COLUMN host VARCHAR
"""

# Owner indexes on columns that many owners leave empty hold only the filled ones (every
# query that uses them compares the column with a value, which implies it is not NULL): a
# million-row import sorts and writes fewer entries (no referrer: none at all; no contract
# delivery date or birthday: none for those owners), and the planner never walks a column's
# NULLs through its index.
_PARTIAL_OWNER_INDEXES = """
DROP INDEX ix_owner_subscribed_on;
CREATE INDEX ix_owner_subscribed_on ON owner (subscribed_on) WHERE subscribed_on IS NOT NULL;
DROP INDEX ix_owner_signed_on;
CREATE INDEX ix_owner_signed_on ON owner (signed_on) WHERE signed_on IS NOT NULL;
DROP INDEX ix_owner_delivery_date;
CREATE INDEX ix_owner_delivery_date ON owner (delivery_date) WHERE delivery_date IS NOT NULL;
DROP INDEX ix_owner_delivered_on;
CREATE INDEX ix_owner_delivered_on ON owner (delivered_on) WHERE delivered_on IS NOT NULL;
DROP INDEX ix_owner_birthday_md;
CREATE INDEX ix_owner_birthday_md ON owner (birthday_md) WHERE birthday_md IS NOT NULL;
DROP INDEX ix_owner_referred_by;
CREATE INDEX ix_owner_referred_by ON owner (referred_by) WHERE referred_by IS NOT NULL
"""

# The index of owners who want no greetings (0015) holds only them, as the report reads it
# (``wants_greetings = FALSE``): a million-row import wrote a million entries of TRUE into it,
# ~10 MB that no query reads.
_OWNER_NO_GREETINGS = """
DROP INDEX ix_owner_wants_greetings;
CREATE INDEX ix_owner_no_greetings ON owner (wants_greetings) WHERE wants_greetings = FALSE
"""

# Ids are never given twice: the highest id each table has ever given in a committed
# transaction. The gateway gives every new row the greater of the table's highest id and this,
# plus one, and raises it in the same transaction (store/database.py), so an id freed by a
# delete or an undo is not given again (the export record names actions by their ids).
# Filled for a database made before it from what it still remembers of ids it gave: the
# tables, the journal's inserts (undone or not) and the actions the export log names.
_ID_COUNTER = """
CREATE TABLE id_counter (
    tbl VARCHAR PRIMARY KEY,
    last_id INTEGER NOT NULL
)
"""

# The tables whose rows have an id the gateway gives.
ID_TABLES = (
    "project",
    "milestone",
    "owner",
    "service_case",
    "event",
    "checklist_result",
    "audit",
    "journal",
    "export_batch",
)

# The export lease (cli/export.py): a batch belongs to the export that opened it until the
# lease expires (UTC text, as the tables hold times); after that, whoever exports next
# settles it, on any host.
_EXPORT_BATCH_LEASE = """
ALTER TABLE export_batch ADD COLUMN lease_until TIMESTAMP
"""

# The outbox (issue 30, cli/notify.py, store/outbox.py): a row per message before it is sent,
# keyed by channel, subject (a butler or an action) and day; "pending" → "sending" (committed
# before the request) → "sent" or "failed" with the service's answer. A row left "sending" by
# a kill is unknown: `notify status` lists it, only `notify retry --unknown` sends it again.
_OUTBOX = """
CREATE TABLE outbox (
    msg_key VARCHAR PRIMARY KEY,
    channel VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    subject VARCHAR NOT NULL,
    day DATE NOT NULL,
    part INTEGER NOT NULL,
    owner_id INTEGER,
    action_id VARCHAR,
    payload VARCHAR,
    state VARCHAR NOT NULL,
    attempts INTEGER NOT NULL,
    code VARCHAR,
    detail VARCHAR,
    host VARCHAR,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX ix_outbox_day_state ON outbox (day, state);
CREATE INDEX ix_outbox_owner_day ON outbox (owner_id, day) WHERE owner_id IS NOT NULL
"""

# An owner who wants no SMS (`owner edit --no-sms`, the import's 短信退订 column): listed for
# the butler, never sent an SMS by `notify owners`. NULL (not said) and FALSE: SMS allowed.
_OWNER_NO_SMS = """
ALTER TABLE owner ADD COLUMN no_sms BOOLEAN
"""

# Who did it (issues 29, 32): the person (--as, $SIXPLUSTWO_USER, else the OS user; entries
# before read as the OS user) and on a server the role, with every journal entry and audit
# line; each export record names its export's journal entry (0 before: its time says).
_WHO = """
ALTER TABLE journal ADD COLUMN person VARCHAR;
ALTER TABLE journal ADD COLUMN role VARCHAR;
UPDATE journal SET person = os_user;
CREATE INDEX ix_journal_person ON journal (person);
ALTER TABLE audit ADD COLUMN person VARCHAR;
ALTER TABLE audit ADD COLUMN role VARCHAR;
ALTER TABLE export_log ADD COLUMN journal_id INTEGER;
UPDATE export_log SET journal_id = 0;
CREATE INDEX ix_export_log_journal ON export_log (journal_id, exported_at)
"""

# Sent is done (store/sent.py): an export's completions name its batch (a discarded batch
# takes them back); events are looked up by the action they name.
_EVENT_SENT = """
ALTER TABLE event ADD COLUMN export_batch_id INTEGER;
CREATE INDEX ix_event_export_batch ON event (export_batch_id) WHERE export_batch_id IS NOT NULL;
CREATE INDEX ix_event_action_id ON event (action_id) WHERE action_id IS NOT NULL
"""

MIGRATIONS: list[Migration] = [
    ("0001_initial", _INITIAL),
    ("0002_export_log", _EXPORT_LOG),
    ("0003_statistics", _STATISTICS),
    ("0004_setting", _SETTING),
    ("0005_lunar_birthday", _LUNAR_BIRTHDAY),
    ("0006_owner_phone_index", _OWNER_PHONE),
    ("0007_checklist", _CHECKLIST),
    ("0008_opening_and_archive", _OPENING_AND_ARCHIVE),
    ("0009_owner_butler_journey_index", _OWNER_BUTLER_JOURNEY),
    ("0010_audit_user", _AUDIT_USER),
    ("0011_export_destination", _EXPORT_DESTINATION),
    ("0012_journal", _JOURNAL),
    ("0013_owner_search", _OWNER_SEARCH),
    ("0014_export_batch", _EXPORT_BATCH),
    ("0015_owner_greetings_index", _OWNER_GREETINGS),
    ("0016_export_batch_host", _EXPORT_BATCH_HOST),
    ("0018_partial_owner_indexes", _PARTIAL_OWNER_INDEXES),
    ("0019_owner_no_greetings_index", _OWNER_NO_GREETINGS),
    ("0020_id_counter", _ID_COUNTER),
    ("0021_export_batch_lease", _EXPORT_BATCH_LEASE),
    # A flat is a flat (issue 28): the keys again by domain/flats.py, the key unique per
    # project (store/search.py, fill_flat_keys; twins already held are left to `check`).
    ("0022_owner_flat_key", ""),
    ("0023_who", _WHO),
    ("0024_outbox", _OUTBOX),
    ("0025_owner_no_sms", _OWNER_NO_SMS),
    (offices.MIGRATION, ""),  # offices on one server: store/offices.py's migrating()
    ("0028_event_sent", _EVENT_SENT),
    ("0031_app_user", APP_USER),  # who may log in to the butlers' page (store/users.py)
]

# Migrations that also fill what SQL cannot compute: run after their DDL, in its transaction,
# with ``execute(sql, params)`` (``:name`` parameters) returning rows.
FILLS = {
    "0013_owner_search": "sixplustwo.store.search:fill_search_keys",
    "0020_id_counter": "sixplustwo.store.id_counter:fill_id_counter",
    "0022_owner_flat_key": "sixplustwo.store.search:fill_flat_keys",
}


def _applied(backend: ModuleType, connection: Any) -> set[str] | None:
    """Names of applied migrations; None when the database holds tables that are not ours."""
    tables = backend.table_names(connection)
    if "schema_migration" not in tables:
        return set() if not tables else None
    return {row[0] for row in connection.execute("SELECT name FROM schema_migration")}


def migrate(
    backend: ModuleType, connection: Any, where: object, *, create: bool = True
) -> list[str]:
    """Apply the migrations this database lacks, each in one transaction with its record.
    Without ``create`` a database with no tables yet (an empty server database, an empty
    file) is ``no database at PATH``: a reading command makes no schema."""
    known = [name for name, _ in MIGRATIONS]
    with transaction(backend, connection, write=False):
        applied = _applied(backend, connection)
    if applied is None:
        raise StoreError("{path} is not a sixplustwo database (it holds other tables)", path=where)
    if not applied and not create:
        raise StoreError("no database at {path}", path=where)
    unknown = applied - set(known)
    if unknown:
        raise StoreError(
            "{path} was written by a newer sixplustwo (schema {schema}); "
            "upgrade sixplustwo to open it",
            path=where,
            schema=max(unknown),
        )
    # Only now, with the database known to be ours and not too new, may it be changed.
    backend.after_migration_check(connection)
    ran: list[str] = []
    if len(applied) == len(known):
        return ran
    for name, ddl in MIGRATIONS:
        with transaction(backend, connection, write=True):
            # Checked again under the write lock: another process may have just done it.
            if name in (_applied(backend, connection) or set()):
                continue
            offices.migrating(backend, connection, where, name, name in FILLS)
            connection.execute(
                "CREATE TABLE IF NOT EXISTS schema_migration "
                "(name VARCHAR PRIMARY KEY, applied_at TIMESTAMP NOT NULL)"
            )
            for statement in ddl.split(";"):
                if statement.strip():
                    connection.execute(backend.convert_ddl(statement))
            if name in FILLS:
                _fill(FILLS[name], backend, connection)
            if name == "0020_id_counter":
                backend.sync_ids(connection, ID_TABLES)
            connection.execute(
                backend.convert("INSERT INTO schema_migration (name, applied_at) VALUES (:n, :a)"),
                {"n": name, "a": now_text()},
            )
            ran.append(name)
    return ran


def _fill(target: str, backend: ModuleType, connection: Any) -> None:
    """A migration's Python step (``FILLS``): given ``execute(sql, params)`` → rows and
    ``execute_many(sql, rows)``, through the backend's conversion of ``:name`` parameters."""
    from importlib import import_module

    module, _, function = target.partition(":")

    def execute(sql: str, params: Mapping[str, object] | None = None) -> list[tuple]:
        cursor = connection.execute(backend.convert(sql), params or {})
        return cursor.fetchall() if cursor.description else []  # DDL returns no rows

    def execute_many(sql: str, rows: Sequence[Mapping[str, object]]) -> None:
        if rows:
            connection.cursor().executemany(backend.convert(sql), rows)

    getattr(import_module(module), function)(execute, execute_many)
