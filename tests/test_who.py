"""Who did it (issue 29, point 2; issue 32, point 3; SPEC §7): ``$SIXPLUSTWO_USER`` or the
global ``--as NAME`` names the person at a shared account, recorded with every journal entry
and audit line; ``undo`` takes that person's last command (on a server: the database role's,
which the server vouches for), passes over exports, and refuses only where a later command or
a later export touched the same rows, naming it."""

from __future__ import annotations

import getpass

import pytest

from dbsql import sql

DAY = "2024-06-10"


def _notice(owner: int) -> str:
    """The delivery notice (mailed, so not done by sending its SMS): open on DAY."""
    return f"o{owner}:delivery-notice"


@pytest.fixture
def owners(cli_json, project) -> tuple[int, int]:
    """Two owners of HY1 whose delivery notices are open on DAY (and greetings due)."""
    add = ("owner", "add", "--project", "HY1", "--signed", "2024-01-02")
    first = cli_json(*add, "--name", "王伟", "--phone", "13812345678", "--unit", "1-101")["id"]
    second = cli_json(*add, "--name", "张敏", "--phone", "13812345679", "--unit", "1-102")["id"]
    return first, second


@pytest.fixture
def person(monkeypatch):
    """Who sits at the shared account now (``None``: nobody named, the OS user counts)."""

    def at_the_keyboard(name: str | None) -> None:
        if name is None:
            monkeypatch.delenv("SIXPLUSTWO_USER", raising=False)
        else:
            monkeypatch.setenv("SIXPLUSTWO_USER", name)

    return at_the_keyboard


def _cron_export(cli, person, out) -> None:
    """The README's two cron lines: the SMS file (what is new; greetings are done by being
    sent) and the butlers' calendar, whole."""
    person(None)  # cron runs as the account itself
    cli("export", "--format", "csv", "--new-only", "--out", out, "--date", DAY)
    cli("export", "--format", "ics", "--out", out.with_suffix(".ics"), "--date", DAY)


def _status(cli_json, owner: int, action: str) -> str:
    actions = cli_json("owner", "show", owner, "--date", DAY)["actions"]
    return {a["action_id"]: a["status"] for a in actions}[action]


def test_each_person_undoes_their_own_command_after_the_morning_export(
    cli, cli_json, owners, person, tmp_path
):
    first, second = owners
    _cron_export(cli, person, tmp_path / "0700.csv")  # 07:00
    person("陈静")
    cli("done", _notice(first), "--date", DAY)
    person("李晓")
    cli("done", _notice(second), "--date", DAY)

    # 10:00: 陈静 is offered her own command, never 李晓's newer one; the export is no obstacle.
    person("陈静")
    dry = cli("undo", "--dry-run")
    assert dry.stdout.startswith(f"would undo: done {_notice(first)} --date {DAY} (陈静, ")
    assert _notice(second) not in dry.stdout
    assert cli_json("undo", "--dry-run")["user"] == "陈静"
    assert cli("undo").stdout.startswith(f"undone: done {_notice(first)}")
    assert _status(cli_json, first, _notice(first)) != "done"
    assert _status(cli_json, second, _notice(second)) == "done"

    # --as names the person too, before $SIXPLUSTWO_USER.
    assert cli("--as", "李晓", "undo").stdout.startswith(f"undone: done {_notice(second)}")
    assert _status(cli_json, second, _notice(second)) != "done"
    nothing = cli("undo", ok=False)
    assert nothing.exit_code == 1 and "nothing of 陈静's to undo" in nothing.stderr


def test_a_later_command_on_the_same_rows_by_another_person_refuses_and_names_it(
    cli, cli_json, owners, person, db_path
):
    first, _ = owners
    person("陈静")
    cli("owner", "edit", first, "--butler", "陈静")
    person("李晓")
    cli("owner", "edit", first, "--butler", "李晓")
    person("陈静")
    refused = cli("undo", ok=False)
    assert refused.exit_code == 1 and refused.stderr.count("\n") == 1
    assert f"cannot undo owner edit {first} --butler 陈静 (陈静, " in refused.stderr
    assert (
        f"a later command changed the same records: owner edit {first} --butler 李晓 (李晓, "
        in (refused.stderr)
    )
    assert cli_json("owner", "show", first)["butler"] == "李晓"
    assert sql(db_path, "SELECT COUNT(*) FROM journal WHERE undone_at IS NOT NULL") == [(0,)]


def test_a_later_export_of_the_same_owner_refuses_one_of_other_owners_does_not(
    cli, cli_json, owners, person, tmp_path
):
    first, second = owners
    _cron_export(cli, person, tmp_path / "0700.csv")  # 07:00: both owners' greetings
    person("陈静")
    cli("event", "add", first, "celebration", "--note", "新婚", "--date", "2024-06-09")
    person("李晓")
    cli("done", _notice(second), "--date", DAY)
    _cron_export(cli, person, tmp_path / "1500.csv")  # 15:00: only 王伟's congratulation is new
    assert "o1:congratulation:2024-06-09" in (tmp_path / "1500.csv").read_text("utf-8-sig")

    person("陈静")
    refused = cli("undo", ok=False)
    assert refused.exit_code == 1 and refused.stderr.count("\n") == 1
    assert f"cannot undo event add {first} celebration" in refused.stderr
    assert "a later export sent actions of the same records: export --format csv --new-only" in (
        refused.stderr
    )
    assert "1500.csv" in refused.stderr
    # 李晓's done is of another owner: the 15:00 export did not touch it.
    person("李晓")
    assert cli("undo").stdout.startswith(f"undone: done {_notice(second)}")


def test_an_export_is_passed_over_never_undone_itself(cli, owners, person, tmp_path):
    _, second = owners
    _cron_export(cli, person, tmp_path / "0700.csv")
    # The account's last command before the export is offered, and refused only because the
    # export sent that owner's actions (not "export … cannot be undone").
    refused = cli("undo", "--dry-run", ok=False)
    assert refused.stderr.startswith("sixplustwo: error: cannot undo owner add")
    assert "a later export sent actions of the same records: export --format csv" in (
        refused.stderr
    )
    cli("owner", "edit", second, "--butler", "李晓")
    assert cli("undo").stdout.startswith(f"undone: owner edit {second} --butler 李晓")


def test_the_audit_log_names_the_person(cli, cli_json, owners, person, backend):
    first, _ = owners
    person("陈静")
    cli("owner", "show", first, "--reveal")
    person("李晓")
    cli("--as", "王强", "owner", "show", first, "--reveal")
    entries = cli_json("audit")
    shown = [(e["command"], e["person"], e["user"]) for e in entries[:2]]
    assert {e["os_user"] for e in entries[:2]} == {getpass.getuser()}
    if backend == "postgres":  # the role first, which the server vouches for
        assert shown == [
            ("owner show --reveal", "王强", "postgres (王强)"),
            ("owner show --reveal", "陈静", "postgres (陈静)"),
        ]
        assert {e["role"] for e in entries[:2]} == {"postgres"}
    else:
        assert shown == [
            ("owner show --reveal", "王强", "王强"),
            ("owner show --reveal", "陈静", "陈静"),
        ]
    table = cli("audit").stdout
    assert "陈静" in table and "王强" in table
    # undo's own line names who undid.
    person("陈静")
    cli("owner", "edit", first, "--butler", "陈静")
    cli("undo")
    assert cli_json("audit")[0]["command"] == "undo"
    assert cli_json("audit")[0]["person"] == "陈静"


@pytest.mark.parametrize("bad", ["", "  ", "陈\x1b[31m静"])
def test_a_name_that_is_empty_or_hides_characters_is_refused(cli, owners, bad, monkeypatch):
    refused = cli("--as", bad, "owner", "edit", owners[0], "--butler", "陈静", ok=False)
    assert refused.exit_code == 1 and refused.stderr.count("\n") == 1
    assert "--as" in refused.stderr
    monkeypatch.setenv("SIXPLUSTWO_USER", bad)
    run = cli("owner", "edit", owners[0], "--butler", "陈静", ok=False)
    if bad == "":  # an empty variable names nobody: the OS user counts
        assert run.exit_code == 0
    else:
        assert run.exit_code == 1 and "SIXPLUSTWO_USER" in run.stderr


def test_entries_from_before_read_as_the_os_user_they_recorded(
    cli, cli_json, owners, person, db_path, tmp_path
):
    """A database as migration 0022 left it: its journal names the OS user only, its export
    records name no journal entry (their time says when they were sent)."""
    import sqlite3

    first, second = owners
    person(None)
    cli("owner", "edit", first, "--butler", "陈静")
    cli("export", "--format", "csv", "--out", tmp_path / "old.csv", "--date", DAY)
    cli("owner", "edit", second, "--butler", "李晓")
    with sqlite3.connect(db_path) as old:
        old.executescript(
            "DROP INDEX ix_journal_person; ALTER TABLE journal DROP COLUMN person;"
            "ALTER TABLE journal DROP COLUMN role; ALTER TABLE audit DROP COLUMN person;"
            "ALTER TABLE audit DROP COLUMN role; DROP INDEX ix_export_log_journal;"
            "ALTER TABLE export_log DROP COLUMN journal_id;"
            "DELETE FROM schema_migration WHERE name = '0023_who';"
            "UPDATE journal SET os_user = 'alice', at = '2024-06-10 07:00:00.000000';"
            "UPDATE export_log SET exported_at = '2024-06-10 08:00:00.000000';"
            "UPDATE journal SET at = '2024-06-10 09:00:00.000000' WHERE argv LIKE '%李晓%'"
        )
    person("bob")
    nothing = cli("undo", ok=False)
    assert "nothing of bob's to undo" in nothing.stderr
    person("alice")
    assert cli("undo").stdout.startswith(f"undone: owner edit {second} --butler 李晓 (alice, ")
    refused = cli("undo", ok=False)
    assert f"cannot undo owner edit {first} --butler 陈静 (alice, " in refused.stderr
    assert "a later export sent actions of the same records: export csv for 2024-06-10" in (
        refused.stderr
    )


# -- on a server: each office's role undoes its own ---------------------------------------------

on_a_server = pytest.mark.parametrize("backend", ["postgres"], indirect=True)


def _role_url(pg_server, url: str, role: str) -> str:
    import psycopg

    pg_server.admin(f"DO $$ BEGIN CREATE ROLE {role} LOGIN; EXCEPTION WHEN duplicate_object "
                    "THEN NULL; END $$")  # fmt: skip
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
        admin.execute(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"
        )
        admin.execute(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {role}")
    return url.replace("postgres@", f"{role}@", 1)


@on_a_server
def test_each_role_undoes_its_own_command_whatever_the_os_user_says(
    cli, cli_json, project, db_path, pg_server, person
):
    url = str(db_path)
    hangzhou = _role_url(pg_server, url, "office_hz")
    chengdu = _role_url(pg_server, url, "office_cd")
    person(None)  # the same OS user on both machines: only the role tells them apart
    add = ("owner", "add", "--project", "HY1", "--signed", "2024-01-02", "--format", "json")
    cli("--db", hangzhou, *add, "--name", "王伟", "--phone", "13812345678", "--unit", "1-101")
    cli("--db", chengdu, *add, "--name", "张敏", "--phone", "13812345679", "--unit", "1-102")
    assert sql(url, "SELECT role, person FROM journal ORDER BY id DESC LIMIT 2") == [
        ("office_cd", getpass.getuser()),
        ("office_hz", getpass.getuser()),
    ]

    # 杭州's undo takes 杭州's owner, not the one 成都 added after it.
    undone = cli("--db", hangzhou, "undo")
    assert undone.stdout.startswith("undone: --db ") and "owner add --project HY1" in undone.stdout
    assert "王伟" in undone.stdout
    assert [row["name"] for row in cli_json("owner", "list")] == ["张敏"]
    assert "--name 张敏" in cli("--db", chengdu, "undo").stdout
    # The audit names the role first, the person beside it.
    audit = cli_json("--db", hangzhou, "audit")
    assert [a["user"] for a in audit[:2]] == [
        f"office_cd ({getpass.getuser()})",
        f"office_hz ({getpass.getuser()})",
    ]
    # Nothing of 杭州's is left (the project was added by the administrator's role).
    nothing = cli("--db", hangzhou, "undo", ok=False)
    assert nothing.exit_code == 1 and "to undo" in nothing.stderr
