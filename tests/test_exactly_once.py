"""`export --new-only` writes each action to exactly one delivered file per destination,
whatever step it is killed at (SIGKILL through the fault points of sixplustwo/faults.py)."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")

DAY = "2024-01-05"
# Every step of cli/export.py's protocol, in order: before anything is written, while the
# temporary file is written, before/during/after the commit of its rows, before/after the
# rename and before/during/after the commit that marks it done.
STEPS = [
    "export:read",
    "export:batch-opened",
    "export:temporary-half-written",
    "export:temporary-written",
    "export:pending-not-committed",
    "export:pending",
    "export:renamed-not-synced",
    "export:renamed",
    "export:done-not-committed",
    "export:done",
]


def _script() -> str:
    found = shutil.which("sixplustwo", path=str(Path(sys.executable).parent))
    assert found, "the sixplustwo console script is not installed"
    return found


def _export(fmt: str, out: Path | str, *extra: str, fault: str | None = None):
    env = {**os.environ}
    if fault:
        env["SIXPLUSTWO_FAULT"] = fault
    command = [_script(), "export", "--date", DAY, "--format", fmt, "--out", str(out), *extra]
    return subprocess.run(command, env=env, capture_output=True, timeout=120)


def _action_ids(fmt: str, data: bytes) -> list[str]:
    if fmt == "csv":
        return [row["action_id"] for row in csv.DictReader(io.StringIO(data.decode("utf-8-sig")))]
    if fmt == "json":
        return [row["action_id"] for row in json.loads(data)]
    lines = data.decode("utf-8").splitlines()
    return [line[4:].split("@")[0] for line in lines if line.startswith("UID:")]


# A kill at every step of an export, for each format: the CSV run every change gets; the JSON
# and calendar files and the server's run (a few seconds each) under -m slow.
@pytest.mark.parametrize(
    "fmt",
    [
        "csv",
        pytest.param("json", marks=pytest.mark.slow),
        pytest.param("ics", marks=pytest.mark.slow),
    ],
)
def test_export_killed_at_every_step_delivers_each_action_once(
    cli, project, tmp_path, fmt, db_path
):
    _killed_at_every_step(cli, project, tmp_path, fmt, db_path)


@pytest.mark.slow
def test_export_killed_at_every_step_on_a_server_delivers_each_action_once(
    cli, tmp_path, monkeypatch, pg_database
):
    """The same on PostgreSQL, where the batches, the export log and the export's lock live in
    the database. The formats differ only in the file they write: CSV's run says it for all.
    No killed export's lock outlives it; the last run settles every killed batch."""
    from dbsql import advisory_locks_left, sql

    monkeypatch.setenv("SIXPLUSTWO_DB", pg_database)
    cli("project", "add", "HY1", "--name", "华苑一期", "--delivery-date", "2024-06-30")
    _killed_at_every_step(cli, "HY1", tmp_path, "csv", pg_database)
    assert advisory_locks_left(pg_database) == 0
    states = sql(pg_database, "SELECT DISTINCT state FROM export_batch")
    assert states and set(states) <= {("done",), ("discarded",)}, states  # none unsettled


def _killed_at_every_step(cli, project, tmp_path, fmt, db):
    from dbsql import sql

    out = tmp_path / "out"
    out.mkdir()
    owners = 0
    for index, step in enumerate(STEPS):
        for _ in range(2):  # new reminders before each run, so that every run has some
            owners += 1
            flat = ("--project", project, "--unit", f"1-{owners}", "--signed", "2024-01-01")
            # A birthday on the day: sent is done, completed with the batch that sends it.
            cli("owner", "add", "--name", f"客户{owners}", "--phone", f"1390000{owners:04d}",
                "--birthday", "1990-01-05", *flat)  # fmt: skip
        killed = _export(fmt, out / f"run{index}.{fmt}", "--new-only", fault=step)
        assert killed.returncode == -signal.SIGKILL, (step, killed.stderr)
    last = _export(fmt, out / f"last.{fmt}", "--new-only")
    assert last.returncode == 0, last.stderr

    delivered = Counter()
    for path in out.iterdir():
        assert not path.name.startswith("."), f"a temporary file was left: {path.name}"
        assert path.stat().st_mode & 0o777 == 0o600
        delivered.update(_action_ids(fmt, path.read_bytes()))
    reference = _export(fmt, "-", "--destination", "reference")
    assert reference.returncode == 0, reference.stderr
    # The birthdays an SMS file delivered are done by sending, each once, with the batch that
    # delivered it (a killed batch discarded took its completions back); no longer due.
    completed = [
        action_id for (action_id,) in sql(db, "SELECT action_id FROM event WHERE channel = 'sms'")
    ]
    if fmt != "csv":  # the calendar's and the feed's destinations send no SMS
        assert completed == []
    else:
        assert sorted(completed) == sorted(a for a in delivered if ":birthday:" in a)
        assert len(completed) == owners
    due = _action_ids(fmt, reference.stdout) + completed
    assert len(set(due)) == len(due) and len(due) >= owners
    assert {f"o{number}" for number in range(1, owners + 1)} <= {a.split(":")[0] for a in due}
    assert sorted(delivered.elements()) == sorted(due)  # every due action, exactly once
    # Runs killed after the rename delivered their file: not everything waited for the last.
    assert len(list(out.iterdir())) > 1


def test_an_export_that_fails_midway_takes_its_rows_back(cli, project, tmp_path, monkeypatch):
    from sixplustwo.io import exporting

    for number in range(1, 4):
        cli("owner", "add", "--name", f"客户{number}", "--phone", f"1390000{number:04d}",
            "--project", project, "--unit", f"1-{number}", "--signed", "2024-01-01")  # fmt: skip

    def refuse(temporary, target):
        raise PermissionError(13, "Permission denied", str(target))

    with monkeypatch.context() as patched:
        patched.setattr(exporting, "put_in_place", refuse)
        failed = cli("export", "--date", DAY, "--format", "csv", "--new-only", "--out",
                     tmp_path / "first.csv", ok=False)  # fmt: skip
    assert failed.exit_code == 1 and "Permission denied" in failed.stderr
    assert list(tmp_path.glob(".first.csv.*")) == []  # its temporary file is gone
    later = cli("export", "--date", DAY, "--format", "csv", "--new-only", "--out",
                tmp_path / "later.csv")  # fmt: skip
    assert "warning" not in later.stderr
    sent = _action_ids("csv", (tmp_path / "later.csv").read_bytes())
    assert sorted(sent) == [f"o{n}:signing-revisit" for n in range(1, 4)]


def test_another_hosts_unfinished_export_is_left_to_that_host(cli, project, tmp_path, db_path):
    """Two cron hosts share a server database: a batch killed on one host has its temporary
    file on that host's disk, so another host must neither call it delivered (its file is
    absent here) nor write its rows again; the host that wrote it settles it."""
    from dbsql import sql

    for number in range(1, 4):
        cli("owner", "add", "--name", f"客户{number}", "--phone", f"1390000{number:04d}",
            "--project", project, "--unit", f"1-{number}", "--signed", "2024-01-01")  # fmt: skip
    killed = _export("csv", tmp_path / "a.csv", "--new-only", fault="export:pending")
    assert killed.returncode == -signal.SIGKILL
    sql(db_path, "UPDATE export_batch SET host = 'the-other-host'")
    elsewhere = _export("csv", tmp_path / "b.csv", "--new-only")
    assert elsewhere.returncode == 0 and b"warning" not in elsewhere.stderr
    assert _action_ids("csv", (tmp_path / "b.csv").read_bytes()) == []  # pending over there
    assert sql(db_path, "SELECT state FROM export_batch ORDER BY id")[0] == ("pending",)
    sql(db_path, "UPDATE export_batch SET host = ?", (socket.gethostname(),))
    home = _export("csv", tmp_path / "c.csv", "--new-only")
    assert home.returncode == 0 and b"written again" in home.stderr
    sent = _action_ids("csv", (tmp_path / "c.csv").read_bytes())
    assert sorted(sent) == [f"o{n}:signing-revisit" for n in range(1, 4)]
