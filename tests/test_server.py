"""One PostgreSQL server shared by many processes, as many offices and two cron hosts share
it: concurrent writers lose nothing and never fail on a lock, readers run beside them, and
two exports at the same minute send each reminder once between them."""

from __future__ import annotations

import csv
import io
import os
import shlex
import subprocess
import sys
from collections import Counter

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
