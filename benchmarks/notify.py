"""Time `notify` against the fakes of tests/notify_fakes.py (which answer at once):

    python benchmarks/notify.py                      # 500 butlers, 10,000 owners, the outbox
    python benchmarks/notify.py --butlers 500 --owners 10000 --per-second 100

- ``notify butlers``: 500 butlers on 25 WeCom robots (20 each: WeCom's 20 messages a minute
  a robot lets all go in the first minute), the run's time less a ``--dry-run``'s (start-up
  and the list), against the ideal the limits allow;
- ``notify owners``: 10,000 owners' SMS through the Aliyun fake at ``--per-second``
  requests a second (the sliding window the sender keeps), against the ideal
  ``(n - limit) / limit`` seconds, and the same through the Tencent fake (same-parameter
  messages go 200 a request);
- the outbox's cost a message: ``deliver`` with a sender that answers at once, with and
  without the outbox's claim and settle commits.

Prints one JSON object. Needs ``pip install -e '.[test]'`` (pytest-httpserver, httpx).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))

from pytest_httpserver import HTTPServer

from notify_fakes import WECOM_KEY, channels_toml, serve

DAY = date(2026, 12, 7)
CLI = [sys.executable, "-m", "sixplustwo"]


def _database(root: Path, owners: int, butlers: int) -> dict[str, str]:
    db = root / "notify.db"
    env = {**os.environ, "SIXPLUSTWO_DB": str(db), "SIXPLUSTWO_LANG": "en"}
    subprocess.run([*CLI, "project", "add", "HY1", "--name", "华苑一期", "--delivery-date",
                    "2024-06-30"], env=env, check=True, capture_output=True)  # fmt: skip
    visited = (DAY - timedelta(days=1)).isoformat()
    rows = ["姓名,手机,项目,房号,来访日期,管家"]
    rows += [f"业主{i},139{i:08d},HY1,{i // 1000 + 1}-{i % 1000 + 1},{visited},管家{i % butlers}"
             for i in range(owners)]  # fmt: skip
    (root / "owners.csv").write_text("\n".join(rows) + "\n", "utf-8")
    subprocess.run([*CLI, "owner", "import", str(root / "owners.csv")], env=env, check=True,
                   capture_output=True)  # fmt: skip
    return env


def _timed(args: list[str], env: dict[str, str]) -> float:
    started = time.monotonic()
    run = subprocess.run([*CLI, *args, "--date", DAY.isoformat()], env=env, capture_output=True,
                         text=True)  # fmt: skip
    if run.returncode != 0:
        raise SystemExit(run.stderr)
    return time.monotonic() - started


def butlers(count: int, robots: int, server: HTTPServer) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        env = _database(root, count, count)
        fake = serve(server, "wecom", "/wecom")
        base = server.url_for("").rstrip("/")
        lines = []
        for robot in range(robots):  # the same fake, a robot (and a rate limit) each
            lines += [f"[robots.r{robot}]", 'kind = "wecom"',
                      f'url = "{base}/wecom?key={WECOM_KEY}&r={robot}"']  # fmt: skip
        lines += [f'[butlers."管家{i}"]\nrobot = "r{i % robots}"' for i in range(count)]
        path = root / "channels.toml"
        path.write_text("\n".join(lines) + "\n", "utf-8")
        path.chmod(0o600)
        listing = _timed(["notify", "butlers", "--channels", str(path), "--dry-run"], env)
        whole = _timed(["notify", "butlers", "--channels", str(path)], env)
        per_robot = -(-count // robots)
        ideal = max(0, -(-per_robot // 20) - 1) * 60.0
        server.clear()
        return {"butlers": count, "robots": robots, "messages": len(fake.received),
                "run_s": round(whole, 2), "list_s": round(listing, 2),
                "sending_s": round(whole - listing, 2), "ideal_s": ideal,
                "within_limit_plus_10pct": whole - listing <= ideal * 1.1 + 5}  # fmt: skip


def owners(count: int, per_second: int, provider: str, server: HTTPServer) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        env = _database(root, count, 50)
        env["SIXPLUSTWO_NOW"] = f"{DAY.isoformat()}T09:00"
        fake = serve(server, provider, f"/{provider}")
        path = root / "channels.toml"
        path.write_text(channels_toml(server.url_for("").rstrip("/"), {}, sms=provider,
                                      templates={"visit-followup": "SMS_1"},
                                      per_second=per_second), "utf-8")  # fmt: skip
        path.chmod(0o600)
        listing = _timed(["notify", "owners", "--channels", str(path), "--dry-run"], env)
        whole = _timed(["notify", "owners", "--channels", str(path), "--timeout", "3600"], env)
        requests = fake.requests
        ideal = max(0.0, (requests - per_second) / per_second)
        server.clear()
        return {"owners": count, "provider": provider, "per_second": per_second,
                "messages": len(fake.received), "requests": requests, "run_s": round(whole, 2),
                "list_s": round(listing, 2), "sending_s": round(whole - listing, 2),
                "ideal_s": round(ideal, 2),
                "within_limit_plus_10pct": whole - listing <= ideal * 1.1 + 5}  # fmt: skip


def outbox_overhead(count: int) -> dict:
    """ms a message that the outbox's two commits (claim before, settle after) add."""
    from sixplustwo.io.channels import SENT
    from sixplustwo.io.channels.sending import Job, Window, deliver
    from sixplustwo.store.database import open_database, session
    from sixplustwo.store.outbox import Message, Outbox

    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "outbox.db"
        with open_database(db, write=True, create=True):
            pass
        messages = [Message(f"k{i}", "bench", "webhook", f"s{i}", DAY, payload="{}")
                    for i in range(count)]  # fmt: skip

        def jobs():
            return [Job([m.key], "bench", lambda keys: [SENT]) for m in messages]

        lanes = {"bench": Window(10**9, 1.0)}
        started = time.perf_counter()
        deliver(jobs(), lanes, deadline=time.monotonic() + 3600, claim=lambda keys: keys,
                settle=lambda key, result: None)  # fmt: skip
        bare = time.perf_counter() - started
        with session(db) as writing:
            with writing() as tx:
                Outbox(tx, "bench").plan(messages)

            def claim(keys):
                with writing() as tx:
                    outbox = Outbox(tx, "bench")
                    return [k for k in keys if outbox.claim(k)]

            def settle(key, result):
                with writing() as tx:
                    Outbox(tx, "bench").settle(key, "sent", result.code, result.message)

            started = time.perf_counter()
            deliver(jobs(), lanes, deadline=time.monotonic() + 3600, claim=claim, settle=settle)
            with_outbox = time.perf_counter() - started
    return {"messages": count, "ms_a_message": round((with_outbox - bare) / count * 1000, 3),
            "budget_ms": 5}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--butlers", type=int, default=500)
    parser.add_argument("--robots", type=int, default=25)
    parser.add_argument("--owners", type=int, default=10_000)
    parser.add_argument("--per-second", type=int, default=100)
    parser.add_argument("--outbox", type=int, default=2000)
    options = parser.parse_args()
    server = HTTPServer(threaded=True)
    server.start()
    try:
        result = {
            "outbox": outbox_overhead(options.outbox),
            "notify_butlers": butlers(options.butlers, options.robots, server),
            "notify_owners_aliyun": owners(options.owners, options.per_second, "aliyun", server),
            "notify_owners_tencent": owners(options.owners, options.per_second, "tencent", server),
        }
    finally:
        server.stop()
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
