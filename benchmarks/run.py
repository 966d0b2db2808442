"""Time the installed CLI as whole processes on generated data: medians and peak memory.

    python benchmarks/run.py 10000 100000 1000000 [--runs 3] [--db postgresql://…]

The ``sixplustwo`` first on PATH is timed: use a regular ``pip install .`` in its own venv
(bytecode compiled at install), not an editable one.

Each size gets a fresh database: projects, milestones and cases are set up through the CLI
(one process per project) or SQL (cases and milestones, which are not what is measured), then
``owner import`` of the generated CSV is timed, then the read commands. With ``--db URL`` the
same runs go to that PostgreSQL database instead (emptied before each import: give it one of
its own), so that both backends are timed on the same generated data.
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
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generate import generate

HERE = Path(__file__).parent
SCRIPT = shutil.which("sixplustwo") or "sixplustwo"


def timed(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child process (its own rusage, via wait4)."""
    started = time.perf_counter()
    child = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    error = child.stderr.read().decode() if child.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args)} failed: {error.strip()}")
    return elapsed, usage.ru_maxrss / 1024


def record(name: str, samples: list[tuple[float, float]], results: dict) -> None:
    """Median time, peak memory and every run's time (this machine is noisy: ±30%)."""
    results[name] = {
        "median_s": round(statistics.median(t for t, _ in samples), 3),
        "peak_mb": round(max(m for _, m in samples), 1),
        "runs_s": [round(t, 3) for t, _ in samples],
    }
    entry = results[name]
    print(
        f"  {name:<22} {entry['median_s']:>8.3f} s {entry['peak_mb']:>8.1f} MB  {entry['runs_s']}",
        flush=True,
    )


def measure(name: str, args: list[str], env: dict[str, str], runs: int, results: dict) -> None:
    record(name, [timed(args, env) for _ in range(runs)], results)


def fresh(db: str | Path) -> None:
    """An empty database: the file removed, or the server database's schema dropped."""
    if isinstance(db, str):
        import psycopg

        with psycopg.connect(db, autocommit=True) as connection:
            connection.execute("DROP SCHEMA public CASCADE")
            connection.execute("CREATE SCHEMA public")
        return
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)


def insert(db: str | Path, statement: str, rows: list[tuple]) -> None:
    """Setup rows (``?`` parameters) written straight into the database."""
    if isinstance(db, str):
        import psycopg

        with psycopg.connect(db) as connection, connection.cursor() as cursor:
            cursor.executemany(statement.replace("?", "%s"), rows)
        return
    with sqlite3.connect(db) as connection:
        connection.executemany(statement, rows)


def bench(size: int, runs: int, today: date, url: str | None = None) -> dict:
    folder = HERE / "data" / str(size)
    if not (folder / "owners.csv").exists():
        generate(size, folder, today)
    db: str | Path = url or folder / "bench.db"
    env = {**os.environ, "SIXPLUSTWO_DB": str(db), "COLUMNS": "200"}
    setup = json.loads((folder / "setup.json").read_text("utf-8"))
    results: dict = {}
    print(f"{size:,} owners", flush=True)
    # A second import into the same database would refuse the same flats: each run imports
    # into a fresh one (projects added first, untimed).
    imports = []
    for _ in range(runs):
        fresh(db)
        for project in setup["projects"]:
            subprocess.run([SCRIPT, "project", "add", project["code"], "--name",
                            project["name"], "--delivery-date", project["delivery_date"]],
                           env=env, check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        imports.append(timed([SCRIPT, "owner", "import", str(folder / "owners.csv")], env))
    record("owner import", imports, results)
    insert(
        db,
        "INSERT INTO milestone (project_id, kind, reached_on) VALUES (?, ?, ?)",
        [(m["project"], m["kind"], m["date"]) for m in setup["milestones"]],
    )
    insert(
        db,
        "INSERT INTO service_case (owner_id, kind, note, opened_on, resolved_on) "
        "VALUES (?, ?, '报修', ?, ?)",
        [(c["owner"], c["kind"], c["opened"], c["resolved"]) for c in setup["cases"]],
    )
    day = today.isoformat()
    measure(
        "due --format json", [SCRIPT, "due", "--date", day, "--format", "json"], env, runs, results
    )
    measure(
        "due --butler B",
        [SCRIPT, "due", "--date", day, "--butler", "管家007", "--format", "json"],
        env,
        runs,
        results,
    )
    measure(
        "owner show",
        [SCRIPT, "owner", "show", str(size // 2), "--format", "json"],
        env,
        runs,
        results,
    )
    out = folder / "export.csv"
    measure(
        "export --format csv",
        [SCRIPT, "export", "--date", day, "--format", "csv", "--out", str(out)],
        env,
        runs,
        results,
    )
    measure("--help", [SCRIPT, "--help"], env, runs, results)
    count = subprocess.run([SCRIPT, "due", "--date", day, "--format", "json"], env=env,
                           capture_output=True, text=True, check=True).stdout  # fmt: skip
    results["listed_on_day"] = len(json.loads(count))
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sizes", type=int, nargs="+")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--today", type=date.fromisoformat, default=date(2026, 11, 22))
    parser.add_argument("--db", help="a postgresql:// URL to time instead of a SQLite file")
    arguments = parser.parse_args()
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(machine)
    backend = "postgres" if arguments.db else "sqlite"
    report = {"machine": machine, "backend": backend, "today": arguments.today.isoformat()}
    report["sizes"] = {}
    for size in arguments.sizes:
        report["sizes"][size] = bench(size, arguments.runs, arguments.today, arguments.db)
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / ("latest.json" if backend == "sqlite" else f"latest-{backend}.json")).write_text(
        json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8"
    )
