"""A team's first month, as one scenario (issue 15): a ledger from another sales system
imported and later updated with a partial file, a month of mornings with the README's two cron
lines run twice a day in both orders, butlers completing their lists, mistakes and their
corrections, and a forget. Nothing typed is lost, every due SMS is sent exactly once."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date, timedelta

from dbsql import stored_text

SURNAMES = "王李张刘陈杨黄赵吴周"
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军"]


def _ledger(path) -> list[dict]:
    """A ledger as another sales system writes it: its own headers, a sales consultant and a
    price the tool does not use, delivered flats in HY1 and flats awaiting delivery in JLF."""
    rows = []
    for n in range(24):
        delivered = n < 12
        rows.append(
            {
                "项目": "HY1" if delivered else "JLF",
                "房间编号": f"{n // 4 + 1}-{n % 4 + 1}-0{n % 3 + 1}01",
                "客户名称": ("司马" if n > 9 else SURNAMES[n]) + GIVEN[(n * 3) % 10],
                "联系电话": f"139{n:04d}{(n * 37) % 10000:04d}",
                "认筹日期": "",
                "网签日期": f"{2024 if delivered else 2025}-{n % 9 + 1:02d}-1{n % 9}",
                "合同交房日期": "2025-06-30" if delivered else "2026-12-31",
                "实际交房日期": f"2025-07-{n % 9 + 1:02d}" if delivered else "",
                "出生日期": f"198{n % 10}-10-{n % 28 + 1:02d}",
                "置业顾问": "赵六",
                "总价": "3500000",
            }
        )
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return rows


def _sms_rows(path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text("utf-8-sig"))))


def test_a_first_month(cli, cli_json, tmp_path, db_path):
    cli("project", "add", "HY1", "--name", "华苑一期", "--delivery-date", "2025-06-30")
    cli("project", "add", "JLF", "--name", "锦澜府", "--delivery-date", "2026-12-31")
    ledger = tmp_path / "销售台账.csv"
    rows = _ledger(ledger)
    imported = cli("owner", "import", ledger)
    assert "置业顾问" in imported.stderr and "总价" in imported.stderr  # named, not dropped
    owners = cli_json("owner", "list", "--limit", "0")
    assert len(owners) == len(rows)
    assert sum(1 for o in owners if o["delivered"]) == 12  # 实际交房日期 read, not dropped
    assert all(o["butler"] is None for o in owners)  # 置业顾问 is not a butler

    # Butlers are assigned with a file of the flat and the column to change.
    assign = tmp_path / "分配管家.csv"
    assign.write_text(
        "项目,房号,管家\n"
        + "".join(
            f"{o['project']},{o['unit']},{'李晓' if o['id'] % 2 else '王磊'}\n" for o in owners
        ),
        encoding="utf-8",
    )
    cli("owner", "import", assign, "--update")
    after = cli_json("owner", "list", "--limit", "0")
    for before, now in zip(owners, after, strict=True):
        assert {**before, "butler": now["butler"]} == now  # only the butler changed
    assert {o["butler"] for o in after} == {"李晓", "王磊"}

    sms_files = []
    calendar = tmp_path / "butlers.ics"
    first = date(2026, 10, 1)
    due_at_seven: set[str] = set()
    milestone_id = None
    for offset in range(31):
        day = first + timedelta(days=offset)
        iso = day.isoformat()
        listed = cli_json("due", "--date", iso)
        sendable = {r["action_id"] for r in listed if r["owner_id"] and r["phone"]}
        due_at_seven |= sendable
        for run in ("0700", "1200"):  # cron twice a day, the two lines in both orders
            sms = tmp_path / f"reminders-{iso}-{run}.csv"
            lines = [
                ("export", "--date", iso, "--format", "csv", "--new-only", "--out", sms),
                ("export", "--date", iso, "--format", "ics", "--out", calendar),
            ]
            for line in lines if offset % 2 else reversed(lines):
                cli(*line)
            sms_files.append(sms)
            if run == "0700":
                # The butlers work down their lists between the two runs.
                for butler in ("李晓", "王磊"):
                    mine = cli_json("due", "--date", iso, "--butler", butler)
                    for row in mine[:2]:
                        cli("done", row["action_id"], "--date", iso, "--channel", "电话")
        if day == date(2026, 10, 10):
            # Topping-out recorded twice by two butlers: the second is refused, naming the first.
            cli("project", "milestone", "JLF", "封顶", "--date", iso)
            again = cli("project", "milestone", "JLF", "封顶", "--date", iso, ok=False)
            assert again.exit_code == 1 and "already recorded" in again.stderr
            listing = cli_json("project", "milestone", "JLF")
            milestone_id = listing[0]["id"]
        if day == date(2026, 10, 12):
            # A visit recorded on the wrong owner, then undone; the milestone's date corrected.
            victim = after[-1]["id"]
            cli("event", "add", victim, "site-visit", "--date", iso, "--note", "记错了")
            undone = cli("undo")
            assert "undone" in undone.stdout
            assert all(
                e["kind"] != "site-visit" for e in cli_json("owner", "show", victim)["events"]
            )
            cli("project", "milestone", "JLF", "--id", milestone_id, "--date", "2026-10-09")
        if day == date(2026, 10, 20):
            gone = after[0]
            cli("owner", "forget", gone["id"], "--yes")
            data = stored_text(db_path)
            assert gone["name"].encode() not in data

    # Every owner action that was due on a morning reached the SMS platform exactly once.
    sent = Counter(row["action_id"] for path in sms_files for row in _sms_rows(path))
    assert len(sent) >= 40  # a month of welcomes, revisits, birthdays and bulletins
    assert sent and max(sent.values()) == 1, sent.most_common(3)
    assert set(sent) == set(due_at_seven)
    assert "BEGIN:VCALENDAR" in calendar.read_text("utf-8")
    # What the butlers did is on record, and the forgotten owner is gone from every list.
    assert cli_json("report", "--from", "2026-10-01", "--to", "2026-10-31", "--format", "json")
    assert after[0]["name"] not in cli("owner", "list", "--limit", "0").stdout
