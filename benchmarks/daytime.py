"""Time the commands a butler types during the day against ``sixplustwo --help``, alternately.

    python benchmarks/daytime.py 100000 1000000 [--runs 7]

Issue 16: each of ``owner show``, ``owner list``, ``action show``, ``event add``, ``case open``
and ``done`` within 2x of ``--help`` on the same machine in the same run; ``--help`` <= 0.3 s.
Every run times ``--help`` right before the command, so load from other work on the machine
falls on both alike; the ratio is the median of the runs' ratios. Each command's first run
only warms up (bytecode, the OS's file cache).

It needs the database ``benchmarks/run.py N`` builds (``benchmarks/data/N/bench.db``) and works
on a copy of it (the write commands change it). Output is the human one (the table form), as
typed, to a pipe; the ``sixplustwo`` first on PATH is timed (``PYTHONPATH`` is passed on).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from run import HERE, SCRIPT, timed

COMMANDS = ("owner show", "owner list", "action show", "event add", "case open", "done")


def _owners(db: Path, count: int) -> list[int]:
    """Owners spread over the table (not forgotten), one per run and command."""
    with sqlite3.connect(db) as connection:
        (top,) = connection.execute("SELECT MAX(id) FROM owner").fetchone()
        step = max(1, top // (count + 1))
        rows = connection.execute(
            "SELECT id FROM owner WHERE forgotten_on IS NULL AND id % :step = 0 ORDER BY id",
            {"step": step},
        ).fetchall()
    return [owner_id for (owner_id,) in rows[:count]]


def _open_actions(env: dict[str, str], day: str, count: int) -> list[str]:
    """Owners' actions listed as due that day (each run completes another)."""
    listed = subprocess.run([SCRIPT, "due", "--date", day, "--format", "json"], env=env,
                            capture_output=True, text=True, check=True).stdout  # fmt: skip
    ids = [row["action_id"] for row in json.loads(listed) if row["owner_id"]]
    step = max(1, len(ids) // (count + 1))
    return ids[::step][:count]


def bench(size: int, runs: int, today: date) -> dict:
    source = HERE / "data" / "spread" / str(size) / "bench.db"
    if not source.exists():
        raise SystemExit(f"{source} is missing: run  python benchmarks/run.py {size}  first")
    db = source.with_name("daytime.db")
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    shutil.copyfile(source, db)
    env = {**os.environ, "SIXPLUSTWO_DB": str(db), "COLUMNS": "100"}
    # Bytecode cached as in an installed package (an editable checkout under
    # PYTHONDONTWRITEBYTECODE compiles every module on every run): the first run of each
    # command writes it and is not counted.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    day = today.isoformat()
    owners = iter(_owners(db, (runs + 1) * 4))
    actions = iter(_open_actions(env, day, (runs + 1) * 2))
    print(f"{size:,} owners", flush=True)

    def args_for(name: str) -> list[str]:
        if name == "owner show":
            return [SCRIPT, "owner", "show", str(next(owners)), "--date", day]
        if name == "owner list":
            return [SCRIPT, "owner", "list"]
        if name == "action show":
            return [SCRIPT, "action", "show", next(actions), "--date", day]
        if name == "event add":
            return [SCRIPT, "event", "add", str(next(owners)), "call", "--date", day,
                    "--channel", "电话", "--note", "回访"]  # fmt: skip
        if name == "case open":
            return [SCRIPT, "case", "open", str(next(owners)), "--kind", "repair",
                    "--note", "厨房漏水", "--date", day]  # fmt: skip
        return [SCRIPT, "done", next(actions), "--date", day]

    results: dict = {}
    helps: list[float] = []
    for name in COMMANDS:
        samples: list[tuple[float, float]] = []
        for run in range(runs + 1):
            help_s, _mb = timed([SCRIPT, "--help"], env)
            took, _mb = timed(args_for(name), env)
            if run:  # the first one warms up
                helps.append(help_s)
                samples.append((took, help_s))
        entry = {
            "median_s": round(statistics.median(t for t, _ in samples), 3),
            "help_median_s": round(statistics.median(h for _, h in samples), 3),
            "ratio": round(statistics.median(t / h for t, h in samples), 2),
            "runs_s": [round(t, 3) for t, _ in samples],
        }
        results[name] = entry
        print(
            f"  {name:<12} {entry['median_s']:>6.3f} s  --help {entry['help_median_s']:.3f} s"
            f"  ratio {entry['ratio']:.2f}  {entry['runs_s']}",
            flush=True,
        )
    results["--help"] = {"median_s": round(statistics.median(helps), 3)}
    print(f"  --help       {results['--help']['median_s']:>6.3f} s (all runs)", flush=True)
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sizes", type=int, nargs="+")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--today", type=date.fromisoformat, default=date(2026, 11, 22))
    arguments = parser.parse_args()
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(machine)
    report = {"machine": machine, "today": arguments.today.isoformat(), "sizes": {}}
    for size in arguments.sizes:
        report["sizes"][size] = bench(size, arguments.runs, arguments.today)
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "daytime.json").write_text(
        json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8"
    )
