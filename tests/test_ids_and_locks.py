"""Nothing silenced, nothing stranded: ids are never given twice (the export record names
actions by them), one export lock per database whatever path names it, a batch a killed
export left is settled by whoever exports next, on any host, and a FIFO nobody reads is
refused rather than waited on for ever."""

from __future__ import annotations

import csv
import io
import os
import stat
import sys
import threading
import time
from pathlib import Path

import pytest

from dbsql import sql

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX paths and FIFOs")


def _sms(path: Path) -> list[str]:
    rows = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")))
    return [row["action_id"] for row in rows]


def _owner(cli_json, unit: str, **dates: str) -> int:
    dates = dates or {"signed": "2024-01-02"}
    options = [f"--{name}={value}" for name, value in dates.items()]
    return cli_json(
        "owner", "add", "--name", "王伟", "--phone", "13912340001",
        "--project", "HY1", "--unit", unit, *options,
    )["id"]  # fmt: skip


# -- ids ---------------------------------------------------------------------------------


def test_a_deleted_milestones_id_is_not_given_again_and_its_bulletin_is_sent(
    cli, cli_json, project, tmp_path
):
    _owner(cli_json, "1-1")
    cli("project", "milestone", "HY1", "封顶", "--date", "2024-06-01")
    # A second SMS platform's destination: its file completes nothing (sent is done is the
    # `sms` destination's), so that the milestone, its bulletin not recorded, can go.
    backup = ("--destination", "sms-backup")
    cli("export", "--date", "2024-06-02", "--format", "csv", "--new-only", *backup, "--out",
        tmp_path / "e1.csv")  # fmt: skip
    assert "o1:milestone-bulletin:m1" in _sms(tmp_path / "e1.csv")
    cli("project", "milestone", "HY1", "--delete", "1")
    added = cli("project", "milestone", "HY1", "落架", "--date", "2024-06-05")
    assert "(id 2)" in added.stdout
    cli("export", "--date", "2024-06-06", "--format", "csv", "--new-only", *backup, "--out",
        tmp_path / "e2.csv")  # fmt: skip
    assert "o1:milestone-bulletin:m2" in _sms(tmp_path / "e2.csv")


def test_an_undone_owner_add_frees_no_id(cli, cli_json, project, tmp_path, monkeypatch):
    monkeypatch.setenv("LOGNAME", "butler")
    first = _owner(cli_json, "1-1", visited="2024-06-01")
    monkeypatch.setenv("LOGNAME", "cron")
    cli("export", "--date", "2024-06-02", "--format", "csv", "--new-only", "--out",
        tmp_path / "e1.csv")  # fmt: skip
    assert f"o{first}:visit-followup" in _sms(tmp_path / "e1.csv")
    monkeypatch.setenv("LOGNAME", "butler")
    # The export sent that owner's action: its add is not undone (issue 29), and says so.
    refused = cli("undo", "--user", "butler", ok=False)
    assert "a later export sent actions of the same records: export" in refused.stderr
    # An owner add undone before any export of it frees no id either.
    undone = _owner(cli_json, "1-3", visited="2024-06-01")
    cli("undo", "--user", "butler")
    second = _owner(cli_json, "1-2", visited="2024-06-01")
    assert second > undone > first
    monkeypatch.setenv("LOGNAME", "cron")
    cli("export", "--date", "2024-06-02", "--format", "csv", "--new-only", "--out",
        tmp_path / "e2.csv")  # fmt: skip
    assert f"o{second}:visit-followup" in _sms(tmp_path / "e2.csv")


def test_an_undone_import_frees_no_id_for_the_next_import(cli, cli_json, project, tmp_path):
    head = "name,phone,project,unit,signed\n"
    first = tmp_path / "first.csv"
    first.write_text(head + "".join(f"甲{i},1390000{i:04d},HY1,1-{i},2024-01-02\n"
                                    for i in range(1, 6)), encoding="utf-8")  # fmt: skip
    cli("owner", "import", first)
    given = [row["id"] for row in cli_json("owner", "list")]
    cli("undo")
    again = tmp_path / "again.csv"
    again.write_text(head + "".join(f"乙{i},1391111{i:04d},HY1,2-{i},2024-01-02\n"
                                    for i in range(1, 6)), encoding="utf-8")  # fmt: skip
    cli("owner", "import", again)
    now = [row["id"] for row in cli_json("owner", "list")]
    assert len(now) == 5 and min(now) > max(given)
    # And one owner more, added alone, follows them.
    assert _owner(cli_json, "3-1") > max(now)


def test_a_rolled_back_command_gives_back_only_ids_nobody_committed(
    cli, cli_json, project, db_path
):
    first = _owner(cli_json, "1-1")
    refused = cli("owner", "add", "--name", "李娜", "--phone", "13900001111", "--project",
                  "HY1", "--unit", "1-1", "--signed", "2024-01-02", ok=False)  # fmt: skip
    assert refused.exit_code == 1  # the flat is taken: rolled back
    assert _owner(cli_json, "1-2") == first + 1
    highest = sql(db_path, "SELECT last_id FROM id_counter WHERE tbl = 'owner'")
    assert highest == [(first + 1,)]


# -- the export lock -----------------------------------------------------------------------


def _hold_lock(db: Path, seconds: float) -> threading.Thread:
    from sixplustwo.store.database import lock

    held = threading.Event()

    def hold() -> None:
        with lock(db, "export", 0):
            held.set()
            time.sleep(seconds)

    thread = threading.Thread(target=hold)
    thread.start()
    assert held.wait(10)
    return thread


def test_two_paths_to_one_database_share_one_lock(cli, cli_json, project, db_path, tmp_path):
    _owner(cli_json, "1-1", visited="2024-06-01")
    (tmp_path / "elsewhere").mkdir()
    link = tmp_path / "elsewhere" / "link.db"
    link.symlink_to(db_path)
    thread = _hold_lock(db_path, 3)
    try:
        refused = cli("--db", link, "export", "--date", "2024-06-02",
                      "--format", "csv", "--new-only", "--wait", "0",
                      "--out", tmp_path / "x.csv", ok=False)  # fmt: skip
    finally:
        thread.join()
    assert refused.exit_code == 1
    assert "another export is still running" in refused.stderr
    assert not (tmp_path / "x.csv").exists()


def test_a_hard_linked_lock_file_is_refused_and_left_as_it_is(
    cli, cli_json, project, db_path, tmp_path
):
    _owner(cli_json, "1-1", visited="2024-06-01")
    other = tmp_path / "someone-elses.txt"
    other.write_text("not a lock")
    other.chmod(0o644)
    os.link(other, db_path.with_name(f"{db_path.name}.export.lock"))
    refused = cli("export", "--date", "2024-06-02", "--format", "csv", "--out",
                  tmp_path / "x.csv", ok=False)  # fmt: skip
    assert refused.exit_code == 1
    assert "hard link" in refused.stderr and len(refused.stderr.splitlines()) == 1
    assert stat.S_IMODE(other.stat().st_mode) == 0o644
    assert not (tmp_path / "x.csv").exists()


def test_a_hard_linked_database_is_refused_by_the_export(cli, cli_json, project, db_path, tmp_path):
    _owner(cli_json, "1-1", visited="2024-06-01")
    os.link(db_path, tmp_path / "second-name.db")
    refused = cli("export", "--date", "2024-06-02", "--format", "csv", "--out",
                  tmp_path / "x.csv", ok=False)  # fmt: skip
    assert refused.exit_code == 1
    assert "hard link" in refused.stderr and len(refused.stderr.splitlines()) == 1


# -- a stranded batch ------------------------------------------------------------------------


def _stranded(db, cli, tmp_path: Path, state: str, lease: str | None) -> Path:
    """A batch another host's export left (killed after its rows were recorded, before the
    rename): its temporary file beside the target, its rows in the export log."""
    cli("export", "--date", "2024-06-02", "--format", "csv", "--destination", "setup",
        "--out", tmp_path / "setup.csv")  # fmt: skip
    audit = sql(db, "SELECT MAX(id) FROM audit")[0][0]
    temporary = tmp_path / ".e1.csv.0123456789ab.tmp"
    temporary.write_text("action_id\no1:visit-followup\n")
    temporary.chmod(0o600)
    sql(db, "INSERT INTO export_batch (id, destination, format, day, target, temporary, state, "
        "audit_id, started_at, host, lease_until) VALUES (90, 'sms', 'csv', '2024-06-02', ?, ?, "
        "?, ?, '2024-06-02 07:00:00.000000', 'cronjob-7f9c4-x2kq', ?)",
        (str(tmp_path / "e1.csv"), str(temporary), state, audit, lease))  # fmt: skip
    if state == "pending":
        sql(db, "INSERT INTO export_log (destination, action_id, audit_id, exported_at, "
            "batch_id) VALUES ('sms', 'o1:visit-followup', ?, '2024-06-02 07:00:00.000000', 90)",
            (audit,))  # fmt: skip
    return temporary


@pytest.mark.parametrize("state", ["pending", "writing"])
def test_a_batch_stranded_by_another_host_is_settled_by_the_next_export(
    cli, cli_json, project, db_path, tmp_path, state
):
    _owner(cli_json, "1-1", visited="2024-06-01")
    temporary = _stranded(db_path, cli, tmp_path, state, "2024-06-02 07:15:00.000000")
    result = cli("export", "--date", "2024-06-02", "--format", "csv", "--new-only", "--out",
                 tmp_path / "e2.csv")  # fmt: skip
    assert _sms(tmp_path / "e2.csv") == ["o1:visit-followup"]  # sent, once
    assert not temporary.exists()  # its full phones are gone
    assert sql(db_path, "SELECT state FROM export_batch WHERE id = 90") == [("discarded",)]
    if state == "pending":
        assert "written again" in result.stderr


def test_another_hosts_batch_within_its_lease_is_left_to_it(
    cli, cli_json, project, db_path, tmp_path
):
    _owner(cli_json, "1-1", visited="2024-06-01")
    temporary = _stranded(db_path, cli, tmp_path, "pending", "2999-01-01 00:00:00.000000")
    cli("export", "--date", "2024-06-02", "--format", "csv", "--new-only", "--out",
        tmp_path / "e2.csv")  # fmt: skip
    assert _sms(tmp_path / "e2.csv") == []  # counted as written while its export may live
    assert temporary.exists()
    assert sql(db_path, "SELECT state FROM export_batch WHERE id = 90") == [("pending",)]


def test_stale_temporary_files_beside_the_target_are_removed(
    cli, cli_json, project, db_path, tmp_path
):
    _owner(cli_json, "1-1", visited="2024-06-01")
    stale = tmp_path / ".e.csv.aaaaaaaaaaaa.tmp"
    fresh = tmp_path / ".e.csv.bbbbbbbbbbbb.tmp"
    other = tmp_path / ".other.csv.cccccccccccc.tmp"
    for path in (stale, fresh, other):
        path.write_text("13912340001")
    day_ago = time.time() - 86400
    os.utime(stale, (day_ago, day_ago))
    os.utime(other, (day_ago, day_ago))
    cli("export", "--date", "2024-06-02", "--format", "csv", "--out", tmp_path / "e.csv")
    assert not stale.exists()
    assert fresh.exists() and other.exists()  # a live export's; another target's


# -- a FIFO nobody reads -------------------------------------------------------------------


def test_an_export_to_a_fifo_nobody_reads_is_refused_at_once(
    cli, cli_json, project, db_path, tmp_path
):
    _owner(cli_json, "1-1", visited="2024-06-01")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    outcome: dict[str, object] = {}

    def run() -> None:
        outcome["result"] = cli("export", "--date", "2024-06-02", "--format", "csv",
                                "--new-only", "--out", fifo, ok=False)  # fmt: skip

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(20)
    if thread.is_alive():  # unblock it, so that the test run can end
        with open(fifo, "rb") as reader:
            reader.read()
        thread.join(10)
        pytest.fail("the export waited for a reader, holding the export lock")
    result = outcome["result"]
    assert result.exit_code == 1
    assert "nothing reads from" in result.stderr and len(result.stderr.splitlines()) == 1
    # Nothing recorded: the next export sends it.
    cli("export", "--date", "2024-06-02", "--format", "csv", "--new-only", "--out",
        tmp_path / "e.csv")  # fmt: skip
    assert _sms(tmp_path / "e.csv") == ["o1:visit-followup"]
