"""Day one (issue 28, point 6): a team adopts the tool with the three ledgers its sales systems
wrote (tests/fixtures/ledgers: a 明源-style XLSX, a hand-kept workbook, an ERP's GB18030
CSV), on an empty installation: dry runs first (no database made), the projects, the
imports, go-live, then a week of mornings (``due``, the SMS, calendar and JSON exports,
``report``). Nothing from before go-live is listed, sent or counted; a flat is one owner
however it is spelled; ``owner import --update`` from a ledger written another way changes
the right records. The default run takes the committed 320-row ledgers; the slow one writes
100,000-row ledgers with the same make.py (``benchmarks/day_one.py`` times that import)."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import random
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from dbsql import sql
from sixplustwo.domain.flats import flat_key

LEDGERS = Path(__file__).parent / "fixtures" / "ledgers"
# Each ledger's file, its project's code and name (the hand-kept one writes either).
PROJECTS = {
    "明源导出.xlsx": ("HY1", "华苑一期"),
    "手工台账.xlsx": ("HY2", "华苑二期"),
    "ERP导出.csv": ("YQF", "云栖府"),
}
# Two weeks ago, so that the week of mornings after it is in the past whatever the day: the
# commands' "today" and their --date agree on what has happened.
GO_LIVE = date.today() - timedelta(days=14)
WEEK = [GO_LIVE + timedelta(days=n) for n in range(7)]
HISTORY = (GO_LIVE - timedelta(days=365)).isoformat()  # a year of the ledgers' past


def make_ledgers():
    spec = importlib.util.spec_from_file_location("make_ledgers", LEDGERS / "make.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_ledgers(folder: Path, rows: int) -> dict[str, Path]:
    """The three ledgers at ``rows`` rows each, as make.py writes them."""
    make = make_ledgers()
    folder.mkdir(parents=True, exist_ok=True)
    writers = {
        "明源导出.xlsx": make.mingyuan,
        "手工台账.xlsx": make.handkept,
        "ERP导出.csv": make.erp,
    }
    for name, write in writers.items():
        write(folder / name, rows)
    return {name: folder / name for name in PROJECTS}


def test_day_one(cli, cli_json, tmp_path, db_path):
    files = {name: LEDGERS / name for name in PROJECTS}
    day_one(cli, cli_json, tmp_path, db_path, files, rows=320, samples=20)


@pytest.mark.slow
def test_day_one_at_100k_rows(cli, cli_json, tmp_path, db_path):
    files = write_ledgers(tmp_path / "ledgers", 100_000)
    day_one(cli, cli_json, tmp_path, db_path, files, rows=100_000, samples=20)


def day_one(cli, cli_json, tmp_path, db_path, files: dict[str, Path], *, rows, samples):
    # -- the dry runs, on an installation that has nothing yet --------------------------------
    for path in files.values():
        dry = cli("owner", "import", path, "--dry-run", ok=False)
        assert dry.exit_code == 1
        assert "checked as on a new installation" in dry.stderr
        assert "unknown project" in dry.stderr and "sixplustwo project add" in dry.stderr
        assert len(dry.stderr.splitlines()) < 10  # one line for all rows, not one a row
    assert not db_path.exists()
    for code, project in PROJECTS.values():
        cli("project", "add", code, "--name", project)
    hinted = 0
    for path in files.values():
        dry = cli("owner", "import", path, "--dry-run", "--format", "json")
        assert (json.loads(dry.stdout)["rows"], json.loads(dry.stdout)["imported"]) == (rows, 0)
        hinted += "playbook --go-live" in dry.stderr
    assert hinted  # the ledgers' past would read as overdue: the dry run says so
    assert sql(db_path, "SELECT COUNT(*) FROM owner") == [(0,)]

    # -- the imports -------------------------------------------------------------------------
    for path in files.values():
        assert cli_json("owner", "import", path)["imported"] == rows
    owners = _owners(db_path)
    assert len(owners) == 3 * rows
    _one_owner_a_flat(cli, cli_json, owners, samples)

    # Without go-live, the ledgers' past is counted: missed work of years before the tool.
    history = cli_json("report", "--from", HISTORY, "--to", WEEK[-1].isoformat())
    assert sum(rule["missed"] or 0 for rule in history["rules"]) > 0

    # -- go-live, then a week of mornings ----------------------------------------------------
    cli("playbook", "--go-live", GO_LIVE.isoformat())
    sent: list[str] = []
    listed = 0
    for day in WEEK:
        on = day.isoformat()
        due = cli_json("due", "--date", on)
        listed += len(due)
        assert all(date.fromisoformat(row["due_on"]) >= GO_LIVE for row in due), on
        assert all(row["status"] != "before-go-live" for row in due)
        sms = tmp_path / f"sms-{on}.csv"
        cli("export", "--date", on, "--format", "csv", "--out", sms, "--new-only")
        rows_sent = list(csv.DictReader(io.StringIO(sms.read_text("utf-8-sig"))))
        assert all(date.fromisoformat(row["due_on"]) >= GO_LIVE for row in rows_sent)
        sent += [row["action_id"] for row in rows_sent]
        exported = cli("export", "--date", on, "--format", "json", "--out", "-").stdout
        assert all(date.fromisoformat(r["due_on"]) >= GO_LIVE for r in json.loads(exported or "[]"))
        calendar = tmp_path / f"team-{on}.ics"
        cli("export", "--date", on, "--format", "ics", "--out", calendar)
        starts = re.findall(r"DTSTART;VALUE=DATE:(\d{8})", calendar.read_text("utf-8"))
        assert all(start >= GO_LIVE.strftime("%Y%m%d") for start in starts)
        report = cli_json("report", "--from", GO_LIVE.isoformat(), "--to", on)
        assert not report["period"]["before_go_live"]
    assert listed > 0 and sent  # birthdays and anniversaries fall in the week
    assert len(sent) == len(set(sent))  # each SMS once

    # Nothing before go-live counted: a period reaching a year back gives the same figures as
    # the week alone, and one wholly before go-live gives none (not zeros, not 0%).
    week = (GO_LIVE.isoformat(), WEEK[-1].isoformat())
    assert _figures(cli_json("report", "--from", HISTORY, "--to", week[1])) == _figures(
        cli_json("report", "--from", week[0], "--to", week[1])
    )
    before = cli_json(
        "report", "--from", HISTORY, "--to", (GO_LIVE - timedelta(days=1)).isoformat()
    )
    assert before["period"]["before_go_live"]
    assert all(r["missed"] is None and r["on_time_rate"] is None for r in before["rules"])
    # An imported customer's timeline: history is before go-live, never missed or overdue.
    shown = cli_json("owner", "show", str(owners[0][0]), "--date", WEEK[-1].isoformat())
    past = [a for a in shown["actions"] if date.fromisoformat(a["due_on"]) < GO_LIVE]
    assert past and {a["status"] for a in past} <= {"before-go-live", "done"}

    # -- --update from a ledger written another way ------------------------------------------
    _update_from_another_ledger(cli, cli_json, tmp_path, db_path, owners)


def _owners(db_path) -> list[tuple]:
    return sql(
        db_path,
        "SELECT o.id, p.code, o.unit, o.name, o.phone, o.butler, o.delivered_on "
        "FROM owner o JOIN project p ON p.id = o.project_id ORDER BY o.id",
    )


SPELLINGS = (
    "{b}-{e}-{r}",
    "{b}栋{e}单元{r}",
    "{b}幢{e}单元{r}室",
    "{b}号楼{e}单元{r}",
    "{b} 栋 {e} 单元 {r}",
)


def _respelled(unit: str, rng: random.Random) -> str:
    b, e, r = flat_key(unit).split("-")
    spelled = rng.choice(SPELLINGS).format(b=b, e=e, r=r)
    if rng.random() < 0.3:  # full-width digits and dash
        spelled = spelled.translate(str.maketrans("0123456789-", "０１２３４５６７８９－"))
    return spelled


def _one_owner_a_flat(cli, cli_json, owners, samples: int) -> None:
    """Every flat is one owner however the ledgers spelled it; another spelling of a flat
    on record is that owner (owner show), and is refused as a new one (owner add)."""
    keys = [(code, flat_key(unit)) for _, code, unit, *_ in owners]
    assert len(set(keys)) == len(keys)
    rng = random.Random(28)
    for owner_id, code, unit, *_ in rng.sample(owners, samples):
        spelled = _respelled(unit, rng)
        assert cli_json("owner", "show", f"{code} {spelled}")["id"] == owner_id
        added = cli("owner", "add", "--name", "某", "--phone", "13900000000", "--project", code,
                    "--unit", spelled, ok=False)  # fmt: skip
        assert added.exit_code == 1 and str(owner_id) in added.stderr


def _update_from_another_ledger(cli, cli_json, tmp_path, db_path, owners) -> None:
    """The hand-kept ledger's owners (flats in one column, spelled many ways) updated from an
    ERP-style GB18030 CSV (楼号/单元号/房间号); the 明源 ledger's from a hand-kept XLSX with
    flats spelled otherwise: exactly the rows' owners change, and only the file's columns."""
    from openpyxl import Workbook

    rng = random.Random(2828)
    hy2 = [o for o in owners if o[1] == "HY2"]
    chosen = {o[0]: o for o in rng.sample(hy2, max(1, len(hy2) // 8))}
    erp = io.StringIO()
    writer = csv.writer(erp, lineterminator="\r\n")
    writer.writerow(["项目", "楼号", "单元号", "房间号", "管家", "实际交房日期"])
    for _, _, unit, *_ in chosen.values():
        b, e, r = flat_key(unit).split("-")
        writer.writerow(["华苑二期", b, e, r, "周管家", "2024/12/20 0:00"])
    update = tmp_path / "ERP更新.csv"
    update.write_bytes(erp.getvalue().encode("gb18030"))

    hy1 = [o for o in owners if o[1] == "HY1"]
    phoned = {o[0]: o for o in rng.sample(hy1, max(1, len(hy1) // 10))}
    new_phones = {}
    rows_by_flat, rows_by_id = [], []
    for n, (owner_id, _, unit, *_) in enumerate(phoned.values()):
        new_phones[owner_id] = f"1770000{n:04d}"
        rows_by_flat.append(["HY1", _respelled(unit, rng), new_phones[owner_id]])
        rows_by_id.append([owner_id, "HY1", _respelled(unit, rng), new_phones[owner_id]])

    def workbook_of(name: str, header: list[str], rows: list[list]) -> Path:
        workbook = Workbook()
        sheet = workbook.active
        sheet.append(["华苑一期 业主电话更正"])
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        path = tmp_path / name
        workbook.save(path)
        return path

    by_flat = workbook_of("电话更正.xlsx", ["项目", "房号", "手机"], rows_by_flat)
    corrections = workbook_of("电话更正_编号.xlsx", ["编号", "项目", "房号", "手机"], rows_by_id)

    before = _owners(db_path)
    changed = cli_json("owner", "import", update, "--update")
    assert changed["changes"]["new"] == 0 and changed["updated"] == len(chosen)
    # A flat named with another phone may be a new buyer: named, nothing changed, until the
    # owner id says which record the number is for.
    refused = cli("owner", "import", by_flat, "--update", ok=False)
    assert "neither is changed" in refused.stderr
    assert f"{len(phoned)} bad row(s)" in refused.stderr and "nothing imported" in refused.stderr
    changed = cli_json("owner", "import", corrections, "--update")
    assert changed["changes"]["new"] == 0 and changed["updated"] == len(phoned)
    after = _owners(db_path)
    assert len(after) == len(before)
    for old, new in zip(before, after, strict=True):
        owner_id = old[0]
        expected = list(old)
        if owner_id in chosen:
            expected[5], expected[6] = "周管家", "2024-12-20"
        if owner_id in phoned:
            expected[4] = new_phones[owner_id]
        assert list(new) == expected, owner_id


def _figures(report: dict) -> list[tuple]:
    return [
        (r["rule"], r.get("on_time"), r.get("late"), r["missed"], r["open"])
        for r in report["rules"]
    ]
