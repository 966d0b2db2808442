"""Reading never creates: a command on a path where no database exists stops with
``no database at PATH`` and leaves nothing behind (no file, no -wal/-shm, no folder, no lock);
only the commands that add data, and ``demo``, create one. On a server the same holds for a
database that has no schema yet (the administrator made it empty) and for a mistyped one."""

from __future__ import annotations

import shlex
from urllib.parse import urlsplit, urlunsplit

import pytest

from dbsql import is_server, sql

TABLES = "SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema()"

# Commands that only read.
READING = [
    ["due"],
    ["due", "--date", "2024-06-10", "--format", "json"],
    ["owner", "list"],
    ["owner", "show", "1"],
    ["report"],
    ["export", "--format", "csv", "--out", "{out}/sms.csv"],
    ["export", "--format", "ics", "--new-only", "--out", "{out}/team.ics"],
    ["check"],
    ["audit"],
    ["playbook"],
    ["playbook", "--format", "toml"],
    ["referral", "list"],
    ["action", "show", "o1:visit-followup"],
    ["case", "list"],
    ["project", "list"],
]
# Commands that change what is there: nothing to change in a database that is not there.
CHANGING = [
    ["done", "o1:visit-followup", "--date", "2024-06-10"],
    ["event", "add", "1", "visit-followup", "--date", "2024-06-10"],
    ["owner", "edit", "1", "--butler", "李晓"],
    ["owner", "show", "1", "--reveal"],
    ["owner", "forget", "1", "--yes"],
    ["case", "open", "1", "--kind", "repair", "--note", "卫生间漏水"],
    ["case", "resolve", "1"],
    ["project", "edit", "HY1", "--city", "杭州"],
    ["project", "milestone", "HY1", "封顶", "--date", "2024-05-01"],
    ["project", "event", "HY1", "weekly-bulletin", "--date", "2024-06-10"],
    ["playbook", "--reset"],
    ["backup", "{out}/copy.db"],
]


def _listing(root):
    return sorted(str(path.relative_to(root)) for path in root.rglob("*"))


def _args(args, out):
    return [arg.format(out=out) for arg in args]


@pytest.fixture
def nowhere(backend, tmp_path, request):
    """Where no database is yet: a path in an empty folder, or on the server a database its
    administrator made, with nothing in it."""
    if backend == "postgres":
        return request.getfixturevalue("pg_empty_database")
    office = tmp_path / "office"
    office.mkdir()
    return office / "sixplustwo.db"


def _made(db) -> bool:
    """Whether there is a database (with its schema) at ``db`` now."""
    return sql(db, TABLES)[0][0] > 0 if is_server(db) else db.is_file()


def _mistyped(db):
    """``db`` with a typo in its name: another file beside it, another database on its server."""
    if is_server(db):
        parts = urlsplit(str(db))
        return urlunsplit(parts._replace(path="/tset"))
    return db.with_name("tset.db")


def _server_has(db, name: str) -> bool:
    return sql(db, "SELECT COUNT(*) FROM pg_database WHERE datname = ?", (name,)) == [(1,)]


@pytest.mark.parametrize("args", READING + CHANGING, ids=lambda args: " ".join(args[:2]))
def test_a_missing_database_is_named_and_nothing_is_created(cli, tmp_path, nowhere, args):
    out = tmp_path / "out"
    out.mkdir()
    result = cli("--db", nowhere, *_args(args, out), ok=False)
    assert result.exit_code == 1, result.stdout
    if is_server(nowhere) and args[0] == "backup":  # a server's backup is pg_dump's, always
        assert "back it up with pg_dump" in result.stderr
    else:
        assert result.stderr == f"sixplustwo: error: no database at {nowhere}\n"
    assert not _made(nowhere)
    assert _listing(tmp_path) == (["out"] if is_server(nowhere) else ["office", "out"])


@pytest.mark.parametrize("args", READING, ids=lambda args: " ".join(args[:2]))
def test_a_mistyped_folder_is_not_made_and_the_environment_path_is_not_made(
    cli, tmp_path, db_path, args
):
    """SQLite only: folders and paths (the server's twin follows)."""
    out = tmp_path / "out"
    out.mkdir()
    typo = tmp_path / "srv" / "butlres" / "sixplustwo.db"
    result = cli("--db", typo, *_args(args, out), ok=False)
    assert result.exit_code == 1
    assert result.stderr == f"sixplustwo: error: no database at {typo}\n"
    # The same through $SIXPLUSTWO_DB (the test's database path, not made yet).
    result = cli(*_args(args, out), ok=False)
    assert result.exit_code == 1
    assert result.stderr == f"sixplustwo: error: no database at {db_path}\n"
    assert _listing(tmp_path) == ["out"]


@pytest.mark.parametrize("args", READING, ids=lambda args: " ".join(args[:2]))
def test_a_mistyped_server_database_is_not_made(cli, tmp_path, monkeypatch, pg_server, args):
    out = tmp_path / "out"
    out.mkdir()
    typo = pg_server.url("sixplustow")
    result = cli("--db", typo, *_args(args, out), ok=False)
    assert result.exit_code == 1
    assert result.stderr == f"sixplustwo: error: no database at {typo}\n"
    monkeypatch.setenv("SIXPLUSTWO_DB", typo)  # the same through $SIXPLUSTWO_DB
    result = cli(*_args(args, out), ok=False)
    assert result.exit_code == 1
    assert result.stderr == f"sixplustwo: error: no database at {typo}\n"
    assert not _server_has(pg_server.url("postgres"), "sixplustow")
    assert _listing(tmp_path) == ["out"]


def test_the_default_database_follows_the_same_rule(cli, tmp_path, monkeypatch):
    monkeypatch.delenv("SIXPLUSTWO_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    default = tmp_path / "data" / "sixplustwo" / "sixplustwo.db"
    result = cli("due", ok=False)
    assert result.exit_code == 1
    assert result.stderr == f"sixplustwo: error: no database at {default}\n"
    assert not (tmp_path / "data").exists()
    cli("project", "add", "HY1", "--name", "华苑一期")  # adding data makes it, folder and all
    assert default.is_file()
    assert "HY1" in cli("project", "list").stdout


def test_a_mistyped_db_says_so_instead_of_nothing_due(cli, project, db_path, tmp_path):
    cli("owner", "add", "--name", "王伟", "--phone", "13812345678", "--project", project,
        "--unit", "1-101", "--visited", "2024-06-09")  # fmt: skip
    assert "o1:visit-followup" in cli("due", "--date", "2024-06-10").stdout
    typo = _mistyped(db_path)
    result = cli("--db", typo, "due", "--date", "2024-06-10", ok=False)
    assert result.exit_code == 1 and "no database at" in result.stderr
    assert not (_server_has(db_path, "tset") if is_server(db_path) else typo.exists())


@pytest.mark.parametrize(
    "args",
    [
        ["project", "add", "HY1", "--name", "华苑一期"],
        ["playbook", "--use", "{out}/company.toml"],
        ["demo", "--format", "json"],
    ],
    ids=lambda args: args[0],
)
def test_adding_commands_create_the_database(cli, tmp_path, nowhere, args):
    out = tmp_path / "out"
    out.mkdir()
    (out / "company.toml").write_text("[rules.birthday]\nenabled = false\n", "utf-8")
    db = nowhere
    cli("--db", db, *_args(args, out))
    assert _made(db)
    assert cli("--db", db, "check").exit_code == 0
    cli("--db", db, "due")  # and reading it now works


@pytest.mark.parametrize(
    ("args", "file", "content"),
    [
        (
            shlex.split("owner add --name 王伟 --phone 13812345678 --project HY1 --unit 1-101"),
            None,
            None,
        ),
        (
            ["owner", "import"],
            "owners.csv",
            "name,phone,project,unit\n王伟,13812345678,HY1,1-101\n",
        ),
        (["survey", "import"], "survey.csv", "业主编号,日期,评分,意见\n1,2024-06-01,5,好\n"),
    ],
    ids=lambda value: value[0] if isinstance(value, list) else "",
)
def test_commands_that_add_owners_create_the_database_too(
    cli, tmp_path, nowhere, args, file, content
):
    db = nowhere
    if file:
        (tmp_path / file).write_text(content, "utf-8")
        args = [*args, str(tmp_path / file)]
    result = cli("--db", db, *args, ok=False)
    # The database is there (the rows themselves are refused: there is no project HY1 yet).
    assert "no database at" not in result.stderr
    assert _made(db)
    assert cli("--db", db, "owner", "list", "--format", "json").stdout.strip() == "[]"
