"""`owner forget` on PostgreSQL leaves no byte of the person in the server's data directory
(old row versions, index entries, the planner's statistics, the journal), says what stays when
its role cannot vacuum, and nothing more can be recorded for a forgotten owner (both
backends)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dbsql import sql
from sixplustwo.domain.search import search_keys

NAME, PHONE, BIRTHDAY = "司马懿臻", "13987651234", "1971-09-13"
OTHER_NAME = "诸葛亮瑜"
SECRETS = {
    "name": NAME.encode(),
    "edited name": OTHER_NAME.encode(),
    "phone": PHONE.encode(),
    "birthday": BIRTHDAY.encode(),
    "pinyin": search_keys(NAME, None)["name_pinyin"].encode(),
    "edited pinyin": search_keys(OTHER_NAME, None)["name_pinyin"].encode(),
    "tag": "爱好:古琴雅集".encode(),
    "case note": "书房渗水".encode(),
}


def _psycopg():
    """The driver, imported by the server's tests only: without it they are skipped (the
    server fixture says why) and the SQLite half runs."""
    import psycopg

    return psycopg


on_a_server = pytest.mark.parametrize("backend", ["postgres"], indirect=True)
on_both = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


def _found_in_files(data: Path) -> list[tuple[str, str]]:
    """Each secret found in a file under the data directory, but the write-ahead log (the
    documented limit: the administrator's retention)."""
    found = []
    for root, folders, files in os.walk(data):
        folders[:] = [folder for folder in folders if folder != "pg_wal"]
        for file in files:
            path = Path(root, file)
            try:
                content = path.read_bytes()
            except OSError:
                continue
            found += [(what, str(path)) for what, secret in SECRETS.items() if secret in content]
    return found


def _a_person_among_others(cli, cli_json) -> int:
    """Thirty owners and the person: added, renamed (the journal keeps both command lines),
    tagged (the only tags: the table is empty after forget), an event and a case with notes."""
    cli("project", "add", "HY1", "--name", "华苑一期", "--delivery-date", "2024-06-30")
    for number in range(30):
        cli("owner", "add", "--name", f"王{number}伟", "--phone", f"1380000{number:04d}",
            "--project", "HY1", "--unit", f"1-{number}", "--birthday", "1980-01-01")  # fmt: skip
    owner = cli_json(
        "owner", "add", "--name", OTHER_NAME, "--phone", PHONE, "--project", "HY1",
        "--unit", "3-1-1201", "--signed", "2024-01-05", "--birthday", BIRTHDAY,
    )["id"]  # fmt: skip
    cli("owner", "edit", owner, "--name", NAME)
    cli("owner", "edit", owner, "--profile-consent", "yes", "--tag", "爱好:古琴雅集")
    cli("event", "add", owner, "call", "--date", "2024-01-06", "--note", f"{NAME} 请打 {PHONE}")
    cli("case", "open", owner, "--kind", "repair", "--note", f"书房渗水，{NAME}", "--date",
        "2024-01-07")  # fmt: skip
    return owner


@on_a_server
def test_forget_leaves_no_byte_of_the_person_in_the_data_directory(
    cli, cli_json, db_path, pg_server
):
    url = str(db_path)
    owner = _a_person_among_others(cli, cli_json)
    with _psycopg().connect(url, autocommit=True) as admin:
        admin.execute("ANALYZE")  # the planner's statistics hold the person, as autovacuum's do
        admin.execute("CHECKPOINT")
    shown = str(sql(url, "SELECT * FROM pg_stats WHERE schemaname = 'public'")).encode()
    assert SECRETS["name"] in shown and SECRETS["phone"] in shown  # readable with the role
    assert {what for what, _ in _found_in_files(pg_server.data)} >= {"name", "phone", "tag"}

    forgotten = cli("owner", "forget", owner, "--yes")

    assert forgotten.stderr == ""
    shown = str(sql(url, "SELECT * FROM pg_stats WHERE schemaname = 'public'")).encode()
    assert not [what for what, secret in SECRETS.items() if secret in shown]
    sql(url, "CHECKPOINT")
    assert _found_in_files(pg_server.data) == []
    # The planner still has statistics of the tables (rebuilt, not only dropped).
    assert sql(url, "SELECT COUNT(*) FROM pg_stats WHERE tablename = 'owner'")[0][0] > 5


@on_a_server
def test_forget_waits_a_bounded_time_for_a_table_another_session_reads(
    cli, cli_json, db_path, monkeypatch
):
    """The rewrite takes each table whole: behind a session holding the owner table (a
    transaction left open), it gives up after its lock wait rather than queue every reader
    behind it, says so, and run again, rewrites."""
    from sixplustwo.store.backends import postgres

    monkeypatch.setattr(postgres, "REWRITE_LOCK_WAIT_MS", 300)
    url = str(db_path)
    owner = _a_person_among_others(cli, cli_json)
    with _psycopg().connect(url) as reader:  # READ COMMITTED: a lock, no old snapshot
        reader.execute("SELECT COUNT(*) FROM owner").fetchone()
        held = cli("owner", "forget", owner, "--yes")
        assert held.exit_code == 0
        assert f"run sixplustwo owner forget {owner} again" in held.stderr
        assert held.stderr.count("\n") == 1
    before = sql(url, "SELECT relfilenode FROM pg_class WHERE relname = 'owner'")
    again = cli("owner", "forget", owner, "--yes")
    assert again.stderr == ""
    assert sql(url, "SELECT relfilenode FROM pg_class WHERE relname = 'owner'") != before


@on_a_server
def test_forget_by_a_role_that_does_not_own_the_tables_says_what_stays(
    cli, cli_json, db_path, pg_server
):
    url = str(db_path)
    owner = _a_person_among_others(cli, cli_json)
    database = url.split("/")[3].split("?")[0]
    pg_server.admin("DO $$ BEGIN CREATE ROLE clerk LOGIN; EXCEPTION WHEN duplicate_object "
                    "THEN NULL; END $$")  # fmt: skip
    with _psycopg().connect(url, autocommit=True) as admin:
        admin.execute("GRANT USAGE ON SCHEMA public TO clerk")
        admin.execute(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO clerk"
        )
        admin.execute("GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO clerk")
    clerk = url.replace("postgres@", "clerk@", 1)
    assert database in clerk

    done = cli("--db", clerk, "owner", "forget", owner, "--yes")

    assert done.exit_code == 0
    assert done.stderr.count("\n") == 1
    assert "role clerk does not own" in done.stderr and "VACUUM FULL" in done.stderr
    assert f"owner {owner}: name, phone and birthday erased" in done.stdout
    assert sql(url, "SELECT name, phone FROM owner WHERE id = ?", (owner,)) == [(None, None)]


# -- nothing more is recorded for a forgotten owner ---------------------------------------------


def _forgotten_with_a_case(cli, cli_json) -> tuple[int, int, int]:
    """A forgotten owner (with a case opened before), and a live one: their ids, the case's."""
    cli("project", "add", "HY1", "--name", "华苑一期", "--delivery-date", "2024-06-30")
    owner = cli_json("owner", "add", "--name", NAME, "--phone", PHONE, "--project", "HY1",
                     "--unit", "1-101", "--signed", "2024-01-05")["id"]  # fmt: skip
    other = cli_json("owner", "add", "--name", "王伟", "--phone", "13800000000", "--project",
                     "HY1", "--unit", "1-102", "--signed", "2024-01-05",
                     "--butler", "李管家")["id"]  # fmt: skip
    cli("case", "open", owner, "--kind", "repair", "--note", "漏水", "--date", "2024-01-07")
    case = cli_json("case", "list")[0]["id"]
    cli("owner", "forget", owner, "--yes")
    return owner, other, case


@on_both
def test_nothing_can_be_added_to_a_forgotten_owner(cli, cli_json, db_path, tmp_path):
    owner, other, case = _forgotten_with_a_case(cli, cli_json)
    names = tmp_path / "names.csv"
    names.write_text(f"{other}\n{owner}\n", "utf-8")
    survey = tmp_path / "survey.csv"
    survey.write_text(
        f"业主编号,日期,评分,意见\n{owner},2024-01-08,5,{NAME} 电话 {PHONE}\n", "utf-8"
    )
    counts = "SELECT (SELECT COUNT(*) FROM event), (SELECT COUNT(*) FROM service_case)"
    before = sql(db_path, counts)
    attempts = [
        ("event", "add", owner, "call", "--date", "2024-02-01", "--note", f"{NAME} {PHONE}"),
        ("case", "open", owner, "--kind", "repair", "--note", f"{NAME} 回电 {PHONE}"),
        ("case", "resolve", case, "--note", f"{NAME} 已修好"),
        ("done", f"c{case}:case-resolved", "--note", f"{NAME}"),
        ("done", f"o{owner}:revisit-3m", "--date", "2024-04-05", "--note", f"{PHONE}"),
        ("done", f"o{owner}:revisit-3m", f"o{other}:revisit-3m", "--date", "2024-04-05"),
        ("owner", "edit", owner, "--name", NAME),
        ("owner", "edit", owner, "--profile-consent", "yes", "--tag", NAME),
        ("owner", "add", "--name", "李雷", "--phone", "13700000001", "--project", "HY1",
         "--unit", "2-201", "--referred-by", owner),
        ("owner", "edit", other, "--referred-by", owner),
        ("owner", "assign", "--butler", "李管家", "--file", names),
        ("survey", "import", survey),
    ]  # fmt: skip
    for attempt in attempts:
        refused = cli(*attempt, ok=False)
        assert refused.exit_code == 1, (attempt, refused.stdout, refused.stderr)
        # One line; an import names each bad row, then sums up.
        assert refused.stderr.count("\n") == (2 if attempt[0] == "survey" else 1), refused.stderr
        assert f"{owner} was forgotten on" in refused.stderr, (attempt, refused.stderr)
    assert sql(db_path, counts) == before
    stored = cli_json("owner", "show", other)
    assert stored["butler"] == "李管家" and stored.get("referred_by") in (None, "")
    assert NAME.encode() not in str(sql(db_path, "SELECT * FROM event")).encode()
    assert NAME.encode() not in str(sql(db_path, "SELECT * FROM owner")).encode()


@on_both
def test_an_update_file_leaves_a_forgotten_owner_alone_and_says_so(cli, cli_json, tmp_path):
    """The sales ledger still holds the person: an `import --update` brings nothing of them
    back, and names the rows it left alone (not silently)."""
    owner, other, _ = _forgotten_with_a_case(cli, cli_json)
    ledger = tmp_path / "ledger.csv"
    ledger.write_text(
        f"编号,姓名,手机\n{other},李四,13700000002\n{owner},{NAME},{PHONE}\n", "utf-8"
    )
    done = cli("owner", "import", ledger, "--update")
    assert "row 3" in done.stderr and "owner forget" in done.stderr
    assert done.stderr.count("\n") == 1
    assert cli_json("owner", "show", other)["name"] == "李四"
    shown = cli_json("owner", "show", owner)
    assert NAME not in str(shown) and PHONE not in str(shown)
    summary = cli_json("owner", "import", ledger, "--update", "--dry-run")
    assert summary["forgotten"] == 1
