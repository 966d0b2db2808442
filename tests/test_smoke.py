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
