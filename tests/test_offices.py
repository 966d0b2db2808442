"""Offices on one PostgreSQL server (SPEC §7, issue 32): office roles made by `db role add`
work for every command (a bulk import, forget with its VACUUM, undo, a migration), and each
sees only its own projects, the server enforcing it (row-level security): the other office's
ids are "not found". On SQLite the role commands say in one line that they need a server."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from typer.testing import CliRunner

from sixplustwo.cli.app import app


def _psycopg():
    import psycopg

    return psycopg


def _as(url: str, role: str) -> str:
    """The same database, logged in as ``role`` (the test server trusts its socket)."""
    parts = urlsplit(url)
    return parts._replace(netloc=f"{role}@").geturl()


class Office:
    """Runs commands against one URL (an office's machine)."""

    def __init__(self, url: str):
        self.url = url
        self.runner = CliRunner()

    def __call__(self, *args: object, input: str | None = None, ok: bool = True):
        result = self.runner.invoke(app, ["--db", self.url, *map(str, args)], input=input)
        if ok and result.exit_code != 0:
            raise AssertionError(
                f"{args} exited {result.exit_code}\nstdout: {result.stdout}\n"
                f"stderr: {result.stderr}\n{result.exception!r}"
            )
        return result

    def json(self, *args: object):
        return json.loads(self(*args, "--format", "json").stdout)


@pytest.fixture
def offices(pg_empty_database):
    """A fresh server database set up as docs/server.md says: the administrator runs the
    first command (the schema then belongs to sixplustwo_owner), makes two projects and a role
    for each office."""
    admin = Office(pg_empty_database)
    database = urlsplit(pg_empty_database).path.strip("/")
    hz_role, cd_role = f"hz_{database}", f"cd_{database}"  # roles are the server's, not the db's
    admin("project", "add", "HZ1", "--name", "杭州一期", "--delivery-date", "2024-06-30")
    admin("project", "add", "CD1", "--name", "成都一期", "--delivery-date", "2024-06-30")
    done = admin("db", "role", "add", hz_role, "--projects", "HZ1", "--password-stdin",
                 input="s3cret-hz\n")  # fmt: skip
    assert hz_role in done.stdout
    admin("db", "role", "add", cd_role, "--projects", "CD1")
    hz, cd = Office(_as(admin.url, hz_role)), Office(_as(admin.url, cd_role))
    hz.role, cd.role = hz_role, cd_role
    yield admin, hz, cd
    _drop_roles(admin.url, hz_role, cd_role)


def _drop_roles(url: str, *roles: str) -> None:
    """The test's roles gone with its database (they hold rights on it)."""
    database = urlsplit(url).path.strip("/")
    with _psycopg().connect(_as(url, "postgres").replace(f"/{database}", "/postgres", 1),
                            autocommit=True) as connection:  # fmt: skip
        connection.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        for role in roles:
            connection.execute(f"DROP ROLE IF EXISTS {role}")


def _owner(office: Office, project: str, unit: str, phone: str) -> int:
    return office.json(
        "owner", "add", "--name", f"客户{unit}", "--phone", phone, "--project", project,
        "--unit", unit, "--signed", "2024-01-05", "--birthday", "1980-02-03",
    )["id"]  # fmt: skip


def test_the_schema_belongs_to_a_role_that_logs_in_to_nobody(offices):
    admin, hz, cd = offices
    with _psycopg().connect(admin.url) as connection:
        owners = connection.execute(
            "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'office_project'"
        ).fetchall()
        login = connection.execute(
            "SELECT rolcanlogin FROM pg_roles WHERE rolname = 'sixplustwo_owner'"
        ).fetchone()[0]
        forced = connection.execute(
            "SELECT relname FROM pg_class WHERE relname = ANY(%s) "
            "AND NOT (relrowsecurity AND relforcerowsecurity)",
            (["owner", "event", "service_case", "journal", "audit", "export_log"],),
        ).fetchall()
        password = connection.execute(
            "SELECT rolpassword FROM pg_authid WHERE rolname = %s", (hz.role,)
        ).fetchone()[0]
    assert owners == [("sixplustwo_owner",)] and login is False and forced == []
    assert password.startswith("SCRAM-SHA-256$")  # made by the client, never sent plain
    listed = admin.json("db", "role", "list")
    assert [(r["role"], r["projects"]) for r in listed] == [(cd.role, "CD1"), (hz.role, "HZ1")]
    refused = hz("db", "role", "add", "office_x", "--projects", "CD1", ok=False)
    assert refused.exit_code == 1 and "administrator" in refused.stderr


def test_each_office_sees_only_its_projects(offices, tmp_path):
    admin, hz, cd = offices
    mine = _owner(hz, "HZ1", "1-101", "13800001111")
    theirs = _owner(cd, "CD1", "2-202", "13900002222")
    case = cd.json("case", "open", theirs, "--kind", "repair", "--note", "漏水",
                   "--date", "2024-01-07")["id"]  # fmt: skip
    cd("event", "add", theirs, "call", "--date", "2024-01-06", "--note", "回访")

    assert [p["code"] for p in hz.json("project", "list")] == ["HZ1"]
    assert {o["id"] for o in hz.json("owner", "list")} == {mine}
    assert {o["id"] for o in admin.json("owner", "list")} == {mine, theirs}
    # The other office's ids, command by command: not found, nothing changed.
    for args in (
        ("owner", "show", theirs),
        ("owner", "show", theirs, "--reveal"),
        ("owner", "edit", theirs, "--name", "改名"),
        ("owner", "forget", theirs, "--yes"),
        ("event", "add", theirs, "call", "--date", "2024-01-08"),
        ("case", "open", theirs, "--kind", "repair", "--note", "x", "--date", "2024-01-08"),
        ("case", "resolve", case, "--note", "修好"),
        ("owner", "add", "--name", "某", "--phone", "13700003333", "--project", "CD1",
         "--unit", "9-9"),
    ):  # fmt: skip
        refused = hz(*args, ok=False)
        assert refused.exit_code == 1, args
        assert "13900002222" not in refused.stdout + refused.stderr
    assert "13900002222" not in hz("audit").stdout
    assert hz.json("owner", "find", "客户2-202") == []
    # Exports, reports, the morning list: the office's own only.
    out = tmp_path / "hz.csv"
    hz("export", "--format", "csv", "--date", "2024-06-30", "--out", out)
    assert "2-202" not in out.read_text("utf-8-sig")
    report = hz.json("report", "--from", "2024-01-01", "--to", "2024-12-31")
    assert "CD1" not in json.dumps(report, ensure_ascii=False)
    due = hz("due", "--date", "2024-06-30")
    assert "2-202" not in due.stdout and "CD1" not in due.stdout
    # And the other office still has everything it had.
    shown = cd.json("owner", "show", theirs)
    assert shown["name"] == "客户2-202"
    with _psycopg().connect(hz.url) as connection:  # psql as the office: the server filters
        assert connection.execute("SELECT COUNT(*) FROM owner").fetchone()[0] == 1
        assert connection.execute("SELECT COUNT(*) FROM event WHERE owner_id = %s",
                                  (theirs,)).fetchone()[0] == 0  # fmt: skip


def test_an_office_cannot_switch_the_security_off(offices):
    _, hz, _ = offices
    with _psycopg().connect(hz.url, autocommit=True) as connection:
        for statement in (
            "ALTER TABLE owner NO FORCE ROW LEVEL SECURITY",
            "ALTER TABLE owner DISABLE ROW LEVEL SECURITY",
            "DROP POLICY office ON owner",
            "CREATE POLICY everything ON owner USING (TRUE)",
            "DELETE FROM office_project",
            "TRUNCATE office_project",
        ):
            with pytest.raises(_psycopg().errors.InsufficientPrivilege):
                connection.execute(statement)
        connection.execute("SET ROLE sixplustwo_owner")  # the owner obeys too
        assert connection.execute("SELECT COUNT(*) FROM project").fetchone()[0] == 1


def test_an_office_imports_in_bulk_forgets_undoes_and_migrates(offices, tmp_path, monkeypatch):
    from sixplustwo.store import batches

    admin, hz, cd = offices
    theirs = _owner(cd, "CD1", "2-202", "13900002222")
    monkeypatch.setattr(batches, "_BULK_FROM_ROWS", 20)  # the bulk path, at a test's size
    ledger = tmp_path / "hz.csv"
    rows = [f"客户{i},138{i:08d},HZ1,3-{i + 101},2024-06-0{1 + i % 9}" for i in range(60)]
    ledger.write_text("姓名,手机,项目,房号,来访日期\n" + "\n".join(rows) + "\n", "utf-8")
    hz("owner", "import", ledger)
    assert len(hz.json("owner", "list", "--limit", "0")) == 60
    assert admin("check").exit_code == 0

    mine = _owner(hz, "HZ1", "1-101", "13800001111")
    forgotten = hz("owner", "forget", mine, "--yes")
    assert forgotten.stderr == ""  # VACUUM FULL and ANALYZE ran: no warning of what stays
    kept = _owner(hz, "HZ1", "1-102", "13800001112")
    hz("event", "add", kept, "call", "--date", "2024-01-06")
    cd("event", "add", theirs, "call", "--date", "2024-01-06")
    hz("undo")  # its own last command, not the other office's later one
    assert len(cd.json("owner", "show", theirs)["events"]) == 1
    assert hz.json("owner", "show", kept)["events"] == []

    # A migration an office runs belongs to the owning role too.
    with _psycopg().connect(admin.url, autocommit=True) as connection:
        connection.execute("DELETE FROM schema_migration WHERE name = '0021_export_batch_lease'")
        connection.execute("ALTER TABLE export_batch DROP COLUMN lease_until")
    hz("due", "--date", "2024-06-30")
    with _psycopg().connect(admin.url) as connection:
        owner = connection.execute(
            "SELECT tableowner FROM pg_tables WHERE tablename = 'export_batch'"
        ).fetchone()[0]
        assert owner == "sixplustwo_owner"


def test_a_permission_error_says_what_it_is_and_the_grant_that_fixes_it(offices):
    admin, _, _ = offices
    with _psycopg().connect(admin.url, autocommit=True) as connection:
        connection.execute("CREATE ROLE stranger LOGIN")
    try:
        refused = Office(_as(admin.url, "stranger"))("due", ok=False)
        assert refused.exit_code == 1
        assert "read-only" not in refused.stderr
        assert "permission denied" in refused.stderr
        assert "GRANT sixplustwo_owner TO stranger" in refused.stderr
        assert refused.stderr.count("\n") == 1
    finally:
        with _psycopg().connect(admin.url, autocommit=True) as connection:
            connection.execute("DROP ROLE stranger")


def test_dropping_a_role_keeps_its_projects_data(offices):
    admin, hz, _ = offices
    mine = _owner(hz, "HZ1", "1-101", "13800001111")
    assert hz.role in admin("db", "role", "drop", hz.role).stdout
    assert admin.json("owner", "show", mine)["id"] == mine
    assert admin("db", "role", "drop", hz.role, ok=False).exit_code == 1


def test_role_commands_on_a_file_say_they_need_a_server(tmp_path):
    runner = CliRunner()
    for args in (("add", "x", "--projects", "HZ1"), ("list",), ("drop", "x")):
        result = runner.invoke(app, ["--db", str(tmp_path / "f.db"), "db", "role", *args])
        assert result.exit_code == 1
        assert "PostgreSQL" in result.stderr and result.stderr.count("\n") == 1
    assert not os.path.exists(tmp_path / "f.db")


# -- docs/server.md, run as written ---------------------------------------------------------

DOCS = Path(__file__).parent.parent / "docs" / "server.md"
_OFFICE_URL = re.compile(r"postgresql://(\w+)@db\.example\.cn:5432/(\w+)\?sslmode=verify-full")


def _steps() -> list[tuple[str, str]]:
    """The setup section's blocks to run: (kind, text), kind "sh" or "crontab"."""
    text = DOCS.read_text("utf-8")
    section = text.split("## Setting up the server, step by step", 1)[1]
    section = section.split("### What the offices' separation holds", 1)[0]
    return re.findall(r"```(sh|crontab)\n(.*?)```", section, re.S)


def _as_here(text: str, root: Path) -> str:
    """A block as it runs against the test server: the offices' URL on its socket (PGHOST),
    /srv and /var/backups under ``root``, the installed script on PATH."""
    text = _OFFICE_URL.sub(r"postgresql://\1@/\2", text)
    text = text.replace("/opt/sixplustwo/venv/bin/sixplustwo", "sixplustwo")
    return text.replace("/srv/", f"{root}/srv/").replace("/var/backups/", f"{root}/backups/")


def _cron_script(block: str) -> str:
    """A crontab block as the shell commands cron would run: its variables exported, each
    line's command (crontab's ``\\%`` is ``%``)."""
    lines = []
    for line in block.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if re.match(r"^\w+=", line):
            name, value = line.split("=", 1)
            lines.append(f"export {name}='{value}'")
        else:
            lines.append(line.split(None, 5)[5].replace("\\%", "%"))
    return "\n".join(lines)


def test_the_server_page_blocks_are_the_steps_the_test_runs():
    """The quick sibling of the run below: the page's blocks, found and moved onto the test
    server as it does (the setup's steps in order, the cron lines as commands)."""
    steps = _steps()
    kinds = [kind for kind, _ in steps]
    assert kinds.count("sh") >= 5 and kinds.count("crontab") == 2
    whole = "\n".join(body for _, body in steps)
    for needed in ("createdb", "db role add office_hz", "--password-stdin", ".pgpass",
                   "umask 077", "pg_dump", "pg_restore", "check"):  # fmt: skip
        assert needed in whole, needed
    office_cron = _as_here(_cron_script(steps[kinds.index("crontab")][1]), Path("/t"))
    assert (
        office_cron.splitlines()[0] == "export SIXPLUSTWO_DB='postgresql://office_hz@/sixplustwo'"
    )
    assert "--out /t/srv/sms/hz-$(date +%F).csv" in office_cron
    assert "sslmode=verify-full" in DOCS.read_text("utf-8") and "scram-sha-256" in whole + (
        DOCS.read_text("utf-8")
    )


@pytest.mark.slow  # ~20 s: a dozen processes, a dump and a restore
def test_the_server_page_runs_as_written(pg_server, tmp_path):
    """docs/server.md's setup from a clean database: every ``sh`` block and crontab line, in
    order, with the server's administrator's and an office's environment."""
    steps = _steps()
    assert [kind for kind, _ in steps].count("sh") >= 5 and any(k == "crontab" for k, _ in steps)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in (("sixplustwo", f'exec {sys.executable} -m sixplustwo "$@"'),
                       ("pip", "exit 0")):  # fmt: skip
        shim = bin_dir / name
        shim.write_text(f"#!/bin/sh\n{body}\n")
        shim.chmod(0o755)
    home = tmp_path / "home"
    home.mkdir()
    (tmp_path / "root.crt").write_text("the company's certificate authority\n")
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{pg_server.bin_dir}:{os.environ['PATH']}",
        "PGHOST": str(pg_server.root),
        "PGPORT": str(pg_server.port),
        "PGUSER": "postgres",
        "HOME": str(home),
        "COLUMNS": "200",
    }
    env.pop("SIXPLUSTWO_DB", None)
    script = "set -e\n" + "\n".join(
        _as_here(body if kind == "sh" else _cron_script(body), tmp_path) for kind, body in steps
    )
    try:
        done = subprocess.run(["bash", "-c", script], input="hz-secret\ncd-secret\n",
                              capture_output=True, text=True, cwd=tmp_path, env=env,
                              timeout=300, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "office_hz" in done.stdout and "integrity ok" in done.stdout
        sms = list((tmp_path / "srv" / "sms").glob("hz-20*.csv"))
        dumps = list((tmp_path / "backups" / "sixplustwo").iterdir())
        assert len(sms) == 1 and len(dumps) == 2
        for private in (*sms, *dumps, home / ".pgpass"):
            assert private.stat().st_mode & 0o077 == 0, private
    finally:
        pg_server.admin("DROP DATABASE IF EXISTS sixplustwo WITH (FORCE)")
        pg_server.admin("DROP DATABASE IF EXISTS sixplustwo_restored WITH (FORCE)")
        pg_server.admin("DROP ROLE IF EXISTS office_hz")
        pg_server.admin("DROP ROLE IF EXISTS office_cd")


def test_a_server_set_up_with_one_role_before_offices_keeps_working(pg_server):
    """The old setup (one login role owning the database, no right to make roles): the
    first command makes the tables as that role's, and it sees every project."""
    database = f"legacy_{os.getpid()}"
    pg_server.admin(f"CREATE ROLE {database} LOGIN")
    pg_server.admin(f"CREATE DATABASE {database} OWNER {database}")
    url = _as(pg_server.url(database), database)
    try:
        office = Office(url)
        office("project", "add", "BJ1", "--name", "北京一期", "--delivery-date", "2024-06-30")
        owner = _owner(office, "BJ1", "1-101", "13800001111")
        assert office.json("owner", "show", owner)["id"] == owner
        assert office("owner", "forget", owner, "--yes").exit_code == 0
        with _psycopg().connect(url) as connection:
            assert connection.execute(
                "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'"
            ).fetchall() == [(database,)]
        assert "every role sees every project" in office("db", "role", "list").stdout
    finally:
        pg_server.admin(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        pg_server.admin(f"DROP ROLE IF EXISTS {database}")
