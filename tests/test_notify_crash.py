"""`notify` killed at random moments and run on two hosts at once: no message is sent twice,
and every message whose fate a kill left unknown is reported by `notify status` (issue 30)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

pytest.importorskip("pytest_httpserver")

from notify_fakes import SECRETS, channels_toml, serve
from test_notify import DAY, _owners_csv


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "sixplustwo", "notify", *args, "--date", DAY.isoformat()]


@pytest.fixture
def butlers(cli, tmp_path, httpserver):
    """``count`` butlers with an action each, every one routed to the fake WeCom robot (no
    rate limit to wait for); the fake and the channels file's path."""

    def make(count: int):
        cli("project", "add", "HY1", "--name", "华苑一期", "--delivery-date", "2024-06-30")
        cli("owner", "import", _owners_csv(tmp_path, count, count))
        fake = serve(httpserver, "wecom", "/wecom")
        path = tmp_path / "channels.toml"
        routes = {f"管家{i}": ("wecom", None) for i in range(count)}
        base = httpserver.url_for("").rstrip("/")
        path.write_text(channels_toml(base, routes, per_minute=1_000_000), "utf-8")
        path.chmod(0o600)
        return fake, str(path)

    return make


def _status(cli) -> list[dict]:
    run = cli("notify", "status", "--date", DAY.isoformat(), "--format", "json")
    for secret in SECRETS:
        assert secret not in run.stdout + run.stderr
    return json.loads(run.stdout)


def _kill_loop(cli, butlers, count: int, rounds: int, seed: int) -> None:
    fake, channels = butlers(count)
    rng = random.Random(seed)
    # A run starts in about a second and sends for about a second more (on this machine,
    # for the fake): the kills land anywhere in that.
    span = (0.6, 1.0 + count / 200)
    for _ in range(rounds):
        run = subprocess.Popen(_command("butlers", "--channels", channels),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        time.sleep(rng.uniform(*span))
        os.kill(run.pid, signal.SIGKILL)
        run.wait()
    final = cli("notify", "butlers", "--channels", channels, "--date", DAY.isoformat(), ok=False)
    assert final.exit_code in (0, 1), final.stderr
    texts = [r["text"].split("\n", 1)[0] for r in fake.received]
    twice = [text for text, n in Counter(texts).items() if n > 1]
    assert not twice, twice
    rows = _status(cli)
    states = Counter(row["state"] for row in rows)
    assert set(states) <= {"sent", "unknown"}, states
    assert len(rows) == count
    sent = {row["subject"] for row in rows if row["state"] == "sent"}
    received = {text.split(",", 1)[0].removeprefix("### ") for text in texts}
    # Every message marked sent reached the robot; a message that reached it is sent or
    # (killed between the request and the answer's commit) unknown, never lost or pending.
    assert sent <= received
    assert received <= {row["subject"] for row in rows}
    # The unknown ones are reported, and retry sends them (a second time at most).
    unknown = {row["subject"] for row in rows if row["state"] == "unknown"}
    assert len(received) + len(unknown - received) == count
    cli("notify", "retry", "--unknown", "--channels", channels, "--date", DAY.isoformat())
    assert {row["state"] for row in _status(cli)} == {"sent"}


def test_killed_runs_send_no_message_twice(cli, butlers):
    _kill_loop(cli, butlers, 60, 3, seed=30)


@pytest.mark.slow
def test_killed_500_message_run_thirty_times_sends_none_twice(cli, butlers):
    _kill_loop(cli, butlers, 500, 30, seed=3030)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_two_hosts_at_once_send_each_message_once(cli, butlers):
    fake, channels = butlers(40)
    runs = [
        subprocess.Popen(
            _command("butlers", "--channels", channels, "--wait", "120"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for run in runs:
        _, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
    texts = [r["text"].split("\n", 1)[0] for r in fake.received]
    assert len(texts) == 40 and len(set(texts)) == 40
    assert {row["state"] for row in _status(cli)} == {"sent"}
