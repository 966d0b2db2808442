"""Offices on one PostgreSQL server (SPEC §7): the schema's owning role, office roles and the
row-level security that shows each office only its projects.

- **The owning role.** Migration 0026, run on a server by a role that may create roles (the
  administrator who runs the first command), makes ``sixplustwo_owner``, a role that logs in
  to nobody, and gives it the tables, their sequences and the database. Every later migration
  runs as it (``SET LOCAL ROLE``), so a table made by a migration an office runs still
  belongs to it. An office role is a member of it: it may drop and rebuild the indexes of a
  bulk import, VACUUM after ``forget`` and migrate, as the owner may.
- **Office roles** (``db role add``): a login role, a member of the owning role, and its
  projects' codes in ``office_project`` (owned by the administrator: an office reads it and
  cannot write it). A role named in no row of ``office_project`` (the administrator, the one
  role of a server set up before offices) sees every project.
- **Row-level security**, FORCEd so that the owning role obeys it too, on every table that
  holds owners' data. The policies are keyed by ``session_user`` (the role that logged in,
  which ``SET ROLE`` does not change): ``project`` shows an office its codes; ``owner`` and
  ``milestone`` the rows of a project it sees; cases, tags, events, checklists and the
  journal's changes those of an owner it sees (one index lookup per row, answered from the
  owner's primary key); the journal and the audit log the entries its role wrote
  (``db_role``, whose default is ``session_user``); the export record the actions of
  owners, projects and cases it sees. The tool's queries are the same: the server filters.
  A superuser bypasses them, as PostgreSQL does.
- **A guard** (an event trigger, made only when a superuser runs migration 0026): a role
  that is no superuser may not create, alter or drop a policy, a trigger or a rule, nor leave
  a table without its row-level security: an office, as a member of the owning role, could
  otherwise switch off what keeps the other offices' rows from it.

Nothing here runs on SQLite: a file serves one office.
"""

from __future__ import annotations

import re
from typing import Any

from sixplustwo.domain.errors import InvalidInput, StoreError

OWNER_ROLE = "sixplustwo_owner"
MIGRATION = "0026_offices"

# The mapping table, made on both backends by the migration's DDL (empty on SQLite).
# The journal and the audit log name the database role that wrote each entry (``db_role``:
# on a server its default is ``session_user``; NULL in a file).
OFFICE_TABLE = """
CREATE TABLE office_project (
    role_name VARCHAR NOT NULL,
    project_code VARCHAR NOT NULL,
    PRIMARY KEY (role_name, project_code)
);
ALTER TABLE journal ADD COLUMN db_role VARCHAR;
ALTER TABLE audit ADD COLUMN db_role VARCHAR;
INSERT INTO setting (name, value, updated_at)
SELECT 'timezone', 'local', '2026-12-07 00:00:00.000000' WHERE EXISTS (SELECT 1 FROM project)
"""
# The same migration keeps the machine's clock for a database already in use (one with a
# project): its "today" stays what it was; a new database's is Asia/Shanghai's (domain/clock.py).
_WRITERS = ("journal", "audit")

_ME = '(session_user::text COLLATE "C")'
_NOT_OFFICE = f"NOT EXISTS (SELECT 1 FROM office_project WHERE role_name = {_ME})"
_CODES = f"(SELECT project_code FROM office_project WHERE role_name = {_ME})"


def _project(column: str) -> str:
    return f"{column} IN (SELECT id FROM project)"


def _owner(column: str) -> str:
    return f"EXISTS (SELECT 1 FROM owner o WHERE o.id = {column})"


def _of(owner: str, project: str) -> str:
    return f"({owner} IS NULL OR {_owner(owner)}) AND ({project} IS NULL OR {_project(project)})"


_ACTION = (
    "CASE WHEN action_id ~ '^o[0-9]+:' THEN "
    + _owner("CAST(substring(action_id FROM '^o([0-9]+):') AS INTEGER)")
    + " WHEN action_id ~ '^p[0-9]+:' THEN "
    + _project("CAST(substring(action_id FROM '^p([0-9]+):') AS INTEGER)")
    + " WHEN action_id ~ '^c[0-9]+:' THEN EXISTS (SELECT 1 FROM service_case c WHERE c.id = "
    "CAST(substring(action_id FROM '^c([0-9]+):') AS INTEGER)) ELSE TRUE END"
)

# Each table with owners' data: what an office sees of it, and whether a row it writes must
# be one it sees (else any: the journal and the audit log record every command).
POLICIES: dict[str, tuple[str, bool]] = {
    "project": (f"project.code IN {_CODES}", True),
    "milestone": (_project("project_id"), True),
    "owner": (_project("project_id"), True),
    "owner_tag": (_owner("owner_id"), True),
    "service_case": (_owner("owner_id"), True),
    "event": (_of("owner_id", "project_id"), True),
    "checklist_result": (_of("owner_id", "project_id"), True),
    "journal_change": (f"owner_id IS NULL OR {_owner('owner_id')}", False),
    "journal": (f"db_role = {_ME}", False),
    "audit": (f"db_role = {_ME}", False),
    "export_log": (_ACTION, False),
    # notify's outbox: an owner's SMS is the office's; a butler's list (no owner) is anyone's.
    "outbox": (f"owner_id IS NULL OR {_owner('owner_id')}", True),
}
PROTECTED = tuple(POLICIES)

_GUARD = f"""
CREATE OR REPLACE FUNCTION sixplustwo_guard_start() RETURNS event_trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = session_user) THEN
        RAISE EXCEPTION 'permission denied: only a superuser may % in a sixplustwo database',
            tg_tag USING ERRCODE = 'insufficient_privilege';
    END IF;
END $$;
CREATE OR REPLACE FUNCTION sixplustwo_guard_end() RETURNS event_trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = session_user) AND EXISTS (
        SELECT 1 FROM pg_class WHERE relnamespace = current_schema()::regnamespace
        AND relkind = 'r' AND relname = ANY(ARRAY{list(PROTECTED)!r})
        AND NOT (relrowsecurity AND relforcerowsecurity)
    ) THEN
        RAISE EXCEPTION 'permission denied: only a superuser may turn off row-level security '
            'in a sixplustwo database' USING ERRCODE = 'insufficient_privilege';
    END IF;
END $$;
DROP EVENT TRIGGER IF EXISTS sixplustwo_guard_start;
CREATE EVENT TRIGGER sixplustwo_guard_start ON ddl_command_start
    WHEN TAG IN ('CREATE POLICY', 'ALTER POLICY', 'DROP POLICY', 'CREATE TRIGGER',
                 'ALTER TRIGGER', 'CREATE RULE', 'DROP RULE')
    EXECUTE FUNCTION sixplustwo_guard_start();
DROP EVENT TRIGGER IF EXISTS sixplustwo_guard_end;
CREATE EVENT TRIGGER sixplustwo_guard_end ON ddl_command_end
    WHEN TAG IN ('ALTER TABLE') EXECUTE FUNCTION sixplustwo_guard_end()
"""


def _one(connection: Any, sql: str, params: tuple = ()) -> Any:
    return connection.execute(sql, params).fetchone()[0]


def _may_create_roles(connection: Any) -> bool:
    return bool(
        _one(
            connection,
            "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user",
        )
    )


def _superuser(connection: Any) -> bool:
    return bool(_one(connection, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))


def adopted(connection: Any) -> bool:
    """Whether this database's tables belong to the owning role."""
    return bool(
        _one(
            connection,
            "SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = current_schema() "
            "AND tablename = 'schema_migration' AND tableowner = %s)",
            (OWNER_ROLE,),
        )
    )


def is_office(connection: Any) -> bool:
    """Whether the role that logged in is an office's (sees only its projects)."""
    return bool(
        _one(connection, "SELECT to_regclass('office_project') IS NOT NULL")
        and _one(connection, f"SELECT {_NOT_OFFICE.replace('NOT EXISTS', 'EXISTS', 1)}")
    )


def migrating(backend: Any, connection: Any, where: object, name: str, fills: bool) -> None:
    """Before a migration's DDL (``store/migrations.py``), in its transaction: on a server,
    act as the owning role and refuse an office a migration that fills rows (``fills``);
    0026's own step, on both backends: the mapping table and the roles' columns, then on a
    server the owning role and the row-level security."""
    on_a_server = backend.NAME == "postgres"
    if on_a_server:
        as_owner(connection)
        if fills:
            refuse_fill(connection, where, name)
    if name != MIGRATION:
        return
    for statement in OFFICE_TABLE.split(";"):
        if statement.strip():
            connection.execute(backend.convert_ddl(statement))
    if on_a_server:
        adopt(connection)


def refuse_fill(connection: Any, where: object, name: str) -> None:
    """A migration that fills rows rewrites every office's: not run by an office's role,
    which sees only its own."""
    if is_office(connection):
        raise StoreError(
            "{path}: migration {name} rewrites every project's rows: run any sixplustwo "
            "command once with the administrator's URL first",
            path=where,
            name=name,
        )


def as_owner(connection: Any) -> None:
    """A migration runs as the owning role, where the tables belong to it and this role may
    act as it: what it makes belongs to the owner too (in the migration's transaction)."""
    if adopted(connection) and _one(
        connection, "SELECT pg_has_role(current_user, %s, 'MEMBER')", (OWNER_ROLE,)
    ):
        connection.execute(f"SET LOCAL ROLE {OWNER_ROLE}")


def adopt(connection: Any) -> None:
    """Migration 0026 on a server: the owning role takes the schema (where this role may make
    it), and every table with owners' data gets its row-level security."""
    if _may_create_roles(connection):
        connection.execute("SAVEPOINT sixplustwo_owner")
        try:
            _give_to_owner(connection)
        except Exception as exc:  # a right this role lacks: the tables stay its own
            if not str(getattr(exc, "sqlstate", "") or "").startswith("42"):
                raise
            connection.execute("ROLLBACK TO SAVEPOINT sixplustwo_owner")
        connection.execute("RELEASE SAVEPOINT sixplustwo_owner")
    connection.execute("GRANT SELECT ON office_project TO PUBLIC")
    for table in _WRITERS:
        connection.execute(f"ALTER TABLE {table} ALTER COLUMN db_role SET DEFAULT session_user")
    for table, (visible, checked) in POLICIES.items():
        connection.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        connection.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        check = "" if checked else " WITH CHECK (TRUE)"
        connection.execute(
            f"CREATE POLICY office ON {table} USING ({_NOT_OFFICE} OR ({visible})){check}"
        )
    if _superuser(connection):
        for statement in _guard_statements():
            connection.execute(statement)


def _give_to_owner(connection: Any) -> None:
    """The owning role made (if new), given the tables, their sequences and (by a superuser)
    the database; this role made a member of it."""
    exists = _one(connection, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s)",
                  (OWNER_ROLE,))  # fmt: skip
    if not exists:
        connection.execute(f"CREATE ROLE {OWNER_ROLE} NOLOGIN")
    if not _superuser(connection):
        connection.execute(f"GRANT {OWNER_ROLE} TO current_user")
    schema = _one(connection, "SELECT current_schema()")
    database = _one(connection, "SELECT current_database()")
    connection.execute(f'GRANT USAGE, CREATE ON SCHEMA "{schema}" TO {OWNER_ROLE}')
    connection.execute(f'GRANT CONNECT, TEMPORARY ON DATABASE "{database}" TO {OWNER_ROLE}')
    for (table,) in connection.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
        "AND tablename <> 'office_project'"
    ).fetchall():
        connection.execute(f'ALTER TABLE "{table}" OWNER TO {OWNER_ROLE}')
    if _superuser(connection):
        # VACUUM FULL of pg_statistic after `forget` is the database owner's.
        connection.execute(f'ALTER DATABASE "{database}" OWNER TO {OWNER_ROLE}')


def _guard_statements() -> list[str]:
    """The guard's statements (its functions hold semicolons: split between statements)."""
    parts = re.split(r";\n(?=CREATE|DROP)", _GUARD.strip())
    return [part for part in parts if part.strip()]


# -- office roles (db role add, list, drop) -------------------------------------------------

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def _administrator(connection: Any, where: object) -> None:
    if not _one(
        connection,
        "SELECT rolsuper OR (rolcreaterole AND rolbypassrls) FROM pg_roles "
        "WHERE rolname = current_user",
    ):
        raise StoreError(
            "db role needs an administrator's URL (a superuser, or a role with CREATEROLE "
            "and BYPASSRLS); {path} connects as {role}",
            path=where,
            role=_one(connection, "SELECT current_user"),
        )
    if not adopted(connection):
        raise StoreError(
            "{path}: its tables do not belong to {owner}: run any sixplustwo command on it "
            "once as the administrator first",
            path=where,
            owner=OWNER_ROLE,
        )


def _checked_name(name: str) -> str:
    if not _NAME.match(name) or name == OWNER_ROLE:
        raise InvalidInput(
            "{name}: a role name is lower-case letters, digits and _, starting with a letter",
            name=name,
        )
    return name


def add_role(
    connection: Any, where: object, name: str, codes: list[str], verifier: str | None
) -> None:
    """A login role for an office that sees the projects ``codes`` (created if new, else its
    projects replaced); ``verifier``: its password as the server stores it (SCRAM), made by
    the client so that the password never reaches the server's log."""
    _administrator(connection, where)
    name = _checked_name(name)
    if not codes:
        raise InvalidInput("--projects: name at least one project code")
    exists = _one(connection, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s)",
                  (name,))  # fmt: skip
    if not exists:
        connection.execute(f"CREATE ROLE {name} LOGIN")
    if verifier is not None:
        quoted = verifier.replace("'", "''")
        connection.execute(f"ALTER ROLE {name} LOGIN PASSWORD '{quoted}'")
    database = _one(connection, "SELECT current_database()")
    connection.execute(f"GRANT {OWNER_ROLE} TO {name}")
    connection.execute(f'GRANT CONNECT, TEMPORARY ON DATABASE "{database}" TO {name}')
    connection.execute("DELETE FROM office_project WHERE role_name = %s", (name,))
    for code in dict.fromkeys(codes):
        connection.execute(
            "INSERT INTO office_project (role_name, project_code) VALUES (%s, %s)", (name, code)
        )


def list_roles(connection: Any) -> list[tuple[str, list[str], bool]]:
    """Each office role: its name, its projects' codes, and whether it may log in."""
    rows = connection.execute(
        "SELECT o.role_name, string_agg(o.project_code, ',' ORDER BY o.project_code), "
        "COALESCE(bool_or(r.rolcanlogin), FALSE) FROM office_project o "
        "LEFT JOIN pg_roles r ON r.rolname = o.role_name GROUP BY o.role_name "
        "ORDER BY o.role_name"
    ).fetchall()
    return [(name, codes.split(","), login) for name, codes, login in rows]


def drop_role(connection: Any, where: object, name: str) -> bool:
    """The office role gone (its projects' rows stay); False when there was none."""
    _administrator(connection, where)
    name = _checked_name(name)
    mapped = connection.execute("DELETE FROM office_project WHERE role_name = %s", (name,)).rowcount
    exists = _one(connection, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s)",
                  (name,))  # fmt: skip
    if exists:
        database = _one(connection, "SELECT current_database()")
        connection.execute(f"REVOKE {OWNER_ROLE} FROM {name}")
        connection.execute(f'REVOKE ALL ON DATABASE "{database}" FROM {name}')
        connection.execute(f"DROP ROLE {name}")
    return bool(mapped or exists)
