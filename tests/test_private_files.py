"""Files private from the first byte: everything the installed command creates is 0600 (its
data folder 0700) under a umask of 022, caught midway too (a killed write transaction leaves
its -wal and -shm, a killed backup its .partial file); an older world-readable database is
made private; a planted symlink is never followed."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def _script() -> str:
    found = shutil.which("sixplustwo", path=str(Path(sys.executable).parent))
    assert found, "the sixplustwo console script is not installed"
    return found


def _loose(env: dict, *args: object, fault: str | None = None) -> subprocess.CompletedProcess:
    """The installed command under umask 022 (a shell's usual one)."""
    line = " ".join(shlex.quote(str(a)) for a in (_script(), *args))
    run_env = {**env, **({"SIXPLUSTWO_FAULT": fault} if fault else {})}
    return subprocess.run(
        ["sh", "-c", f"umask 022; exec {line}"], env=run_env, capture_output=True, timeout=120
    )


def test_everything_the_command_creates_is_private_under_umask_022(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "SIXPLUSTWO_DB"}
    env["XDG_DATA_HOME"] = str(tmp_path / "data")  # the default database, in its own folder
    folder = tmp_path / "data" / "sixplustwo"
    db = folder / "sixplustwo.db"
    out = tmp_path / "out"
    out.mkdir()
    steps = [
        ("project", "add", "HY1", "--name", "华苑一期", "--delivery-date", "2024-06-30"),
        ("owner", "add", "--name", "王伟", "--phone", "13812345678", "--project", "HY1",
         "--unit", "1-101", "--signed", "2024-01-01"),
        ("export", "--date", "2024-01-05", "--format", "csv", "--out", out / "sms.csv"),
        ("export", "--date", "2024-01-05", "--format", "ics", "--out", out / "team.ics"),
        ("report", "--from", "2024-01-01", "--to", "2024-03-31", "--html", out / "r.html"),
        ("backup", out / "nightly.db"),
    ]  # fmt: skip
    for step in steps:
        result = _loose(env, *step)
        assert result.returncode == 0, (step, result.stderr.decode())
    assert _mode(folder) == 0o700
    made = [db, db.with_name(db.name + ".export.lock")]
    made += [out / name for name in ("sms.csv", "team.ics", "r.html", "nightly.db")]
    for path in made:
        assert _mode(path) == 0o600, (path.name, oct(_mode(path)))

    # Killed inside a write transaction: its -wal and -shm stay behind, as made.
    killed = _loose(
        env, "export", "--date", "2024-01-05", "--format", "json", "--new-only",
        "--out", out / "feed.json", fault="export:pending-not-committed",
    )  # fmt: skip
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()
    for suffix in ("-wal", "-shm"):
        companion = db.with_name(db.name + suffix)
        assert companion.exists() and _mode(companion) == 0o600, (suffix, oct(_mode(companion)))
    # Killed while copying: the backup's partial file was private from its first byte.
    killed = _loose(env, "backup", out / "copy.db", fault="backup:copying")
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()
    partial = out / ".copy.db.partial"
    assert partial.exists() and _mode(partial) == 0o600
    # What the killed runs left is made whole again, still private.
    assert _loose(env, "backup", out / "copy.db").returncode == 0
    assert not partial.exists() and _mode(out / "copy.db") == 0o600
    for path in out.iterdir():
        assert _mode(path) == 0o600, path.name


def test_an_older_world_readable_database_is_made_private(cli, project, db_path, tmp_path):
    os.chmod(db_path, 0o644)
    cli("due", "--date", "2024-07-01")
    assert _mode(db_path) == 0o600
    lock = db_path.with_name(db_path.name + ".export.lock")
    lock.touch(mode=0o644)
    os.chmod(lock, 0o644)
    cli("export", "--date", "2024-07-01", "--format", "csv", "--out", tmp_path / "sms.csv")
    assert _mode(lock) == 0o600


def test_a_planted_symlink_is_never_followed(cli, project, db_path, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("not yours\n")
    os.chmod(victim, 0o644)
    lock = db_path.with_name(db_path.name + ".export.lock")
    lock.symlink_to(victim)
    result = cli("export", "--format", "csv", "--out", tmp_path / "sms.csv", ok=False)
    assert result.exit_code == 1
    assert "symbolic link" in result.stderr and len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "sms.csv").exists()
    lock.unlink()
    # A symlink where a backup's partial file goes is removed, and the copy made beside it.
    partial = tmp_path / ".nightly.db.partial"
    partial.symlink_to(victim)
    cli("backup", tmp_path / "nightly.db")
    assert not partial.exists() and not (tmp_path / "nightly.db").is_symlink()
    assert _mode(tmp_path / "nightly.db") == 0o600
    # An export's target that is a symlink is replaced by the file, not written through.
    target = tmp_path / "feed.json"
    target.symlink_to(victim)
    cli("export", "--format", "json", "--out", target)
    assert not target.is_symlink() and _mode(target) == 0o600
    assert victim.read_text() == "not yours\n" and _mode(victim) == 0o644
