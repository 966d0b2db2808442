"""The installed console script, run as a real process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def _script() -> list[str]:
    found = shutil.which("sixplustwo", path=str(Path(sys.executable).parent)) or shutil.which(
        "sixplustwo"
    )
    if found is None:
        pytest.fail("the sixplustwo console script is not installed")
    return [found]


def test_console_script_runs_demo_and_help(tmp_path):
    env = {**os.environ, "SIXPLUSTWO_DB": str(tmp_path / "smoke.db"), "COLUMNS": "200"}
    help_run = subprocess.run(
        [*_script(), "--help"], capture_output=True, text=True, env=env, timeout=60
    )
    assert help_run.returncode == 0
    assert "due" in help_run.stdout and "owner" in help_run.stdout
    demo = subprocess.run(
        [*_script(), "--db", str(tmp_path / "demo.db"), "demo", "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert demo.returncode == 0, demo.stderr
    assert len(json.loads(demo.stdout)) > 20
    missing = subprocess.run(
        [*_script(), "owner", "show", "42"], capture_output=True, text=True, env=env, timeout=60
    )
    assert missing.returncode == 1
    assert missing.stderr.strip() == f"sixplustwo: error: no database at {tmp_path / 'smoke.db'}"
    assert not (tmp_path / "smoke.db").exists()
    add = [*_script(), "project", "add", "HY1", "--name", "华苑一期"]
    assert subprocess.run(add, capture_output=True, env=env, timeout=60).returncode == 0
    bad = subprocess.run(
        [*_script(), "owner", "show", "42"], capture_output=True, text=True, env=env, timeout=60
    )
    assert bad.returncode == 1
    assert bad.stderr.strip() == "sixplustwo: error: no owner with id 42"


@pytest.fixture
def many_due(tmp_path):
    """A database where 3,000 owners each have their first contact due on 2026-03-10."""
    db = tmp_path / "many.db"
    rows = "\n".join(f"客户{i},139{i:08d},HY1,{i}-101,2026-03-03" for i in range(3000))
    ledger = tmp_path / "many.csv"
    ledger.write_text("姓名,手机,项目,房号,认购日期\n" + rows + "\n", encoding="utf-8")
    env = {**os.environ, "SIXPLUSTWO_DB": str(db), "COLUMNS": "80"}
    for command in (["project", "add", "HY1", "--name", "华苑"], ["owner", "import", str(ledger)]):
        subprocess.run([*_script(), *command], check=True, capture_output=True, env=env)
    return env


@pytest.mark.parametrize("unbuffered", ["", "1"])
def test_large_lists_end_whole_without_teardown(many_due, unbuffered):
    """`due` and `export` end the process without freeing their lists (os._exit, see
    cli/app.py: main): what they printed arrives whole, with or without Python's buffering."""
    env = {**many_due, "PYTHONUNBUFFERED": unbuffered}
    day = ["--date", "2026-03-10"]
    listed = subprocess.run([*_script(), "due", *day, "--format", "json"],
                            capture_output=True, env=env, timeout=120)  # fmt: skip
    assert listed.returncode == 0 and listed.stderr == b""
    actions = json.loads(listed.stdout)
    assert len(actions) == 3000 and {a["rule"] for a in actions} == {"first-contact"}
    table = subprocess.run([*_script(), "due", *day], capture_output=True, env=env, timeout=120)
    assert table.returncode == 0 and table.stderr == b""
    lines = table.stdout.decode().splitlines()
    assert len([line for line in lines if ":first-contact" in line]) == 3000
    assert lines[-1].startswith("complete with")
    sms = subprocess.run([*_script(), "export", *day, "--format", "csv", "--out", "-"],
                         capture_output=True, env=env, timeout=120)  # fmt: skip
    assert sms.returncode == 0 and sms.stderr == b""
    assert sms.stdout.decode("utf-8-sig").count("\n") == 3001


def test_a_closed_pipe_ends_a_large_list_quietly(many_due):
    """`due --format json | head -1`: exit 0, nothing on stderr."""
    command = [*_script(), "due", "--date", "2026-03-10", "--format", "json"]
    pipe = subprocess.PIPE
    listing = subprocess.Popen(command, stdout=pipe, stderr=pipe, env=many_due)
    assert listing.stdout.readline() == b"[\n"
    listing.stdout.close()
    assert listing.wait(timeout=60) == 0
    assert listing.stderr.read() == b""


def test_the_script_skips_the_teardown_only_after_a_large_list(many_due):
    """`due` ends with os._exit (no atexit handler runs); a command that keeps nothing ends
    as usual."""
    probe = (
        "import atexit, sys\n"
        "atexit.register(lambda: sys.stderr.write('TEARDOWN'))\n"
        "from sixplustwo.cli.app import main\n"
        "sys.argv = ['sixplustwo', *sys.argv[1:]]\n"
        "main()\n"
    )
    run = [sys.executable, "-c", probe]
    listed = subprocess.run([*run, "due", "--date", "2026-03-10", "--format", "json"],
                            capture_output=True, env=many_due, timeout=120)  # fmt: skip
    assert listed.returncode == 0 and len(json.loads(listed.stdout)) == 3000
    assert b"TEARDOWN" not in listed.stderr
    projects = subprocess.run([*run, "project", "list"], capture_output=True, env=many_due,
                              timeout=120)  # fmt: skip
    assert projects.returncode == 0 and b"TEARDOWN" in projects.stderr


@pytest.mark.parametrize("unbuffered", ["", "1"])
def test_a_list_on_a_closed_stderr_or_a_full_disk(many_due, tmp_path, unbuffered):
    """With stderr closed (2>&-) the list is written whole, exit 0; on a full disk
    (/dev/full) one line says so, exit 1, no traceback."""
    env = {**many_due, "PYTHONUNBUFFERED": unbuffered}
    due = [*_script(), "due", "--date", "2026-03-10", "--format"]
    out = tmp_path / "list.json"

    def close_stderr() -> None:  # what a shell's 2>&- does (no shell: its own warnings, such
        os.close(2)  # as bash's about a locale the machine lacks, would be on stderr too)

    with out.open("wb") as stdout:
        closed = subprocess.run([*due, "json"], stdout=stdout, preexec_fn=close_stderr,
                                env=env, timeout=120)  # fmt: skip
    assert closed.returncode == 0 and len(json.loads(out.read_bytes())) == 3000
    for fmt in ("json", "csv"):
        with open("/dev/full", "wb") as stdout:
            full = subprocess.run([*due, fmt], stdout=stdout, stderr=subprocess.PIPE, env=env,
                                  timeout=120)  # fmt: skip
        assert full.returncode == 1, (fmt, full.stderr)
        assert full.stderr.decode().startswith("sixplustwo: error: ")
        assert full.stderr.count(b"\n") == 1 and b"Traceback" not in full.stderr


def test_json_lines_are_written_whole_by_a_stream_that_takes_part_of_each_write(monkeypatch):
    """An unbuffered stdout may take part of a write (and return the count): the rest is
    written after it."""
    from sixplustwo.cli.render import emit_json_lines

    class Taking:  # a raw stream that takes at most 1,000 bytes a call
        def __init__(self) -> None:
            self.data = bytearray()

        def write(self, data) -> int:
            self.data += bytes(data[:1000])
            return min(1000, len(data))

        def flush(self) -> None:
            pass

    class Stdout:
        buffer = Taking()

        def flush(self) -> None:
            pass

        def isatty(self) -> bool:
            return False

    monkeypatch.setattr(sys, "stdout", Stdout())
    items = [{"id": i, "owner": "客户" * 40} for i in range(3000)]
    emit_json_lines(iter(items))
    assert json.loads(sys.stdout.buffer.data) == items
    # An export to stdout (`export --out -`), the same way.
    from sixplustwo.io.exporting import write_stream

    monkeypatch.setattr(sys, "stdout", Stdout())
    Stdout.buffer = Taking()
    data = "客户,13812345678\n".encode() * 5000
    write_stream(Path("-"), data)
    assert sys.stdout.buffer.data == data
