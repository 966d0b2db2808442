"""One PostgreSQL server shared by many processes, as many offices and two cron hosts share
it: concurrent writers lose nothing and never fail on a lock, readers run beside them, and
two exports at the same minute send each reminder once between them."""

from __future__ import annotations

import csv
import io
import json
import os
import shlex
import subprocess
import sys
from collections import Counter

import pytest

DAY = "2024-06-10"


def _command(url: str, *args: object) -> list[str]:
    return [sys.executable, "-m", "sixplustwo", "--db", url, *map(str, args)]


def _start(*commands: list[str]) -> subprocess.Popen:
    """The commands one after another in one process of their own (a shell)."""
    script = " && ".join(shlex.join(command) for command in commands)
    return subprocess.Popen(
        ["sh", "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )


def _finish(process: subprocess.Popen) -> str:
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    return out


@pytest.mark.slow  # long contention: eight processes writing to the server for ~10 s
def test_eight_writers_and_two_readers_lose_nothing(pg_database, tmp_path):
    url = pg_database
    _finish(
        _start(
            _command(
                url, "project", "add", "HY1", "--name", "华苑", "--delivery-date", "2024-06-30"
            )
        )
    )
    writers = []
    for writer in range(4):  # imports of 60 flats each
        ledger = tmp_path / f"ledger{writer}.csv"
        rows = [
            f"客户{writer}-{i},13{writer}{i:08d},HY1,{writer + 1}-{i + 101},2024-06-0{1 + i % 9}"
            for i in range(60)
        ]
        ledger.write_text("姓名,手机,项目,房号,来访日期\n" + "\n".join(rows) + "\n", "utf-8")
        writers.append(_start(_command(url, "owner", "import", ledger)))
    for writer in range(4, 8):  # owners added one by one, each with an event
        commands = []
        for i in range(3):
            commands.append(
                _command(
                    url,
                    "owner",
                    "add",
                    "--name",
                    f"散客{writer}{i}",
                    "--phone",
                    f"1390000{writer}{i:03d}",
                    "--project",
                    "HY1",
                    "--unit",
                    f"{writer + 1}-{i + 1}",
                    "--visited",
                    "2024-06-01",
                )
            )
        writers.append(_start(*commands))
    readers = [
        _start(*[_command(url, "due", "--date", DAY, "--format", "json")] * 3) for _ in range(2)
    ]
    for process in writers + readers:
        _finish(process)
    done = subprocess.run(
        _command(url, "owner", "list", "--limit", "0", "--format", "json"),
        capture_output=True,
        text=True,
        check=True,
    )
    import json

    owners = json.loads(done.stdout)
    assert len(owners) == 4 * 60 + 4 * 3
    assert len({o["id"] for o in owners}) == len(owners)
    check = subprocess.run(_command(url, "check"), capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_two_cron_hosts_export_each_reminder_once(pg_database, tmp_path):
    url = pg_database
    _finish(
        _start(
            _command(
                url, "project", "add", "HY1", "--name", "华苑", "--delivery-date", "2024-06-30"
            )
        )
    )
    ledger = tmp_path / "ledger.csv"
    rows = [f"客户{i},139{i:08d},HY1,1-{i + 101},2024-06-0{1 + i % 9}" for i in range(80)]
    ledger.write_text("姓名,手机,项目,房号,来访日期\n" + "\n".join(rows) + "\n", "utf-8")
    _finish(_start(_command(url, "owner", "import", ledger)))
    outs = [tmp_path / f"host{n}.csv" for n in range(2)]
    hosts = [
        _start(
            _command(url, "export", "--date", DAY, "--format", "csv", "--new-only", "--out", out)
        )
        for out in outs
    ]
    for process in hosts:
        _finish(process)
    sent = Counter(
        row["action_id"]
        for out in outs
        for row in csv.DictReader(io.StringIO(out.read_text("utf-8-sig")))
    )
    due = subprocess.run(
        _command(url, "due", "--date", DAY, "--format", "json"),
        capture_output=True,
        text=True,
        check=True,
    )
    import json

    owner_actions = {r["action_id"] for r in json.loads(due.stdout) if r.get("owner_id")}
    assert sent and max(sent.values()) == 1
    assert set(sent) == owner_actions


def test_backup_points_to_pg_dump_and_check_reads_every_table(cli, pg_database, tmp_path):
    cli("--db", pg_database, "project", "add", "HY1", "--name", "华苑")
    refused = cli("--db", pg_database, "backup", tmp_path / "b.db", ok=False)
    assert refused.exit_code == 1 and "pg_dump" in refused.stderr
    assert not (tmp_path / "b.db").exists()
    checked = cli("--db", pg_database, "check")
    assert "integrity ok; 0 foreign-key problem(s)" in checked.stdout
    assert "0 owners" in checked.stdout


def test_an_unreachable_server_is_one_line(cli, pg_server):
    url = pg_server.url("no_such_database")
    result = cli("--db", url, "due", ok=False)
    assert result.exit_code == 1
    assert result.stderr.startswith("sixplustwo: error: no database at postgresql://")
    assert "Traceback" not in result.stderr


# Reading never creates on a server either (an empty server database, every reading and
# changing command): tests/test_reading_never_creates.py, run on both backends.


def test_text_sorts_by_its_bytes_as_on_sqlite_whatever_the_servers_locale(cli, pg_server):
    """A Chinese company's server sorts text in pinyin order by default (an ICU zh-CN
    database): project codes, tags and names are listed in the same order as on SQLite (by
    their bytes), and `owner find` by pinyin prefix still reads an index."""
    import psycopg
    import pytest

    name = f"zh{os.getpid()}"
    try:
        pg_server.admin(
            f"CREATE DATABASE {name} TEMPLATE template0 LOCALE_PROVIDER icu "
            "ICU_LOCALE 'zh-CN' LOCALE 'C.UTF-8'"
        )
    except psycopg.Error as exc:  # a server built without ICU
        pytest.skip(f"no ICU zh-CN collation on this server: {exc}")
    url = pg_server.url(name)
    try:
        codes = ["b2", "B1", "中1", "a3", "Z9", "安1"]
        for code in codes:
            cli("--db", url, "project", "add", code, "--name", f"项目{code}")
        listed = [row["code"] for row in json.loads(
            cli("--db", url, "project", "list", "--format", "json").stdout)]  # fmt: skip
        assert listed == sorted(codes)  # B1 Z9 a3 b2 中1 安1, not a3 安1 b2 B1 …
        with psycopg.connect(url) as connection:
            locale_order = [row[0] for row in connection.execute(
                'SELECT code COLLATE "default" FROM project ORDER BY 1')]  # fmt: skip
            assert locale_order != sorted(codes)  # the database's own order is pinyin's
            connection.execute("SET enable_seqscan = off")
            plan = connection.execute(
                "EXPLAIN SELECT id FROM owner WHERE name_pinyin LIKE 'wang%'"
            ).fetchall()
        assert "Index" in " ".join(row[0] for row in plan), plan
    finally:
        pg_server.drop_database(name)
