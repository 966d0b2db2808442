"""Time day one (issue 28) as whole processes: the three ledgers of tests/fixtures/ledgers,
written by its make.py at N rows each (a 明源-style XLSX with 楼栋/单元/房号, a hand-kept
workbook with a title row, an ERP's GB18030 CSV with date-times), imported on an empty
installation, then a morning after go-live.

    python benchmarks/day_one.py 100000 [--runs 3]

Each run: a fresh database, the three projects added (untimed), each ledger's ``owner import``
timed, then ``playbook --go-live`` (untimed) and the morning: ``due``, the SMS export and the
quarter's ``report``. The ledgers are kept in ``data/dayone/N``. Compare the import with
``run.py N`` (a CSV of the same size in the ``spread`` shape) run on the same machine; the
figures are in docs/performance.md. Like run.py, this times the ``sixplustwo`` first on PATH
(``--command`` for another way of running it).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from run import SCRIPT, fresh, record, timed

HERE = Path(__file__).parent
MAKE = HERE.parent / "tests" / "fixtures" / "ledgers" / "make.py"
# Each ledger, its project's code and name.
LEDGERS = {
    "明源导出.xlsx": ("HY1", "华苑一期", "mingyuan"),
    "手工台账.xlsx": ("HY2", "华苑二期", "handkept"),
    "ERP导出.csv": ("YQF", "云栖府", "erp"),
}


def ledgers(size: int) -> Path:
    folder = HERE / "data" / "dayone" / str(size)
    folder.mkdir(parents=True, exist_ok=True)
    spec = importlib.util.spec_from_file_location("make_ledgers", MAKE)
    assert spec and spec.loader
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    for name, (_, _, writer) in LEDGERS.items():
        if not (folder / name).exists():
            print(f"  writing {name} ({size:,} rows)", flush=True)
            getattr(make, writer)(folder / name, size)
    return folder


def bench(size: int, runs: int, today: date) -> dict:
    folder = ledgers(size)
    db = folder / "bench.db"
    env = {**os.environ, "SIXPLUSTWO_DB": str(db), "COLUMNS": "200"}
    samples: dict[str, list] = {f"owner import {name}": [] for name in LEDGERS}
    samples["owner import (all three)"] = []
    print(f"{size:,} rows a ledger", flush=True)
    for _ in range(runs):
        fresh(db)
        for code, name, _ in LEDGERS.values():
            timed([*SCRIPT, "project", "add", code, "--name", name], env)
        total = 0.0
        peak = 0.0
        for name in LEDGERS:
            seconds, mb = timed([*SCRIPT, "owner", "import", str(folder / name)], env)
            samples[f"owner import {name}"].append((seconds, mb))
            total += seconds
            peak = max(peak, mb)
        samples["owner import (all three)"].append((total, peak))
    results: dict = {}
    for name, found in samples.items():
        record(name, found, results)
    go_live = today - timedelta(days=7)
    timed([*SCRIPT, "playbook", "--go-live", go_live.isoformat()], env)
    day = today.isoformat()
    morning = {
        "due --format json": [*SCRIPT, "due", "--date", day, "--format", "json"],
        "export --format csv": [*SCRIPT, "export", "--date", day, "--format", "csv",
                                "--out", str(folder / "sms.csv")],
        "report (quarter, json)": [*SCRIPT, "report", "--from",
                                   (today - timedelta(days=90)).isoformat(), "--to", day,
                                   "--format", "json"],
    }  # fmt: skip
    for name, args in morning.items():
        record(name, [timed(args, env) for _ in range(runs)], results)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sizes", type=int, nargs="+")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--today", type=date.fromisoformat, default=date(2026, 11, 22))
    parser.add_argument("--command", help='how to run the CLI, e.g. "python -m sixplustwo"')
    arguments = parser.parse_args()
    if arguments.command:
        SCRIPT[:] = arguments.command.split()
    report = {"today": arguments.today.isoformat(), "sizes": {}}
    for size in arguments.sizes:
        report["sizes"][size] = bench(size, arguments.runs, arguments.today)
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "day-one.json").write_text(
        json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8"
    )
