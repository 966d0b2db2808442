"""Generate a realistic company for benchmarks: 20 projects, 100 butlers, N owners.

Writes ``owners.csv`` (Chinese headers, as a sales system exports it) and ``setup.sql``-style
rows for projects, milestones, cases and events, which ``run.py`` loads before timing.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from datetime import date, timedelta
from pathlib import Path

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧"
    "田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂英华志海燕晓嘉怡子涵宇轩雨桐浩然思远欣俊梓萱"
CITIES = ["杭州", "苏州", "上海", "南京", "宁波"]
HEADERS = [
    "姓名",
    "手机",
    "项目",
    "房号",
    "来访日期",
    "认购日期",
    "签约日期",
    "合同交付日期",
    "实际交付日期",
    "生日",
    "管家",
]


def _unit(number: int) -> str:
    """Building-entrance-flat, unique within a project."""
    return f"{number // 400 + 1}-{number % 400 // 100 + 1}-{number % 100 + 101}"


def generate(owners: int, folder: Path, today: date, seed: int = 62) -> None:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    start = today - timedelta(days=3650)
    projects = []
    for index in range(20):
        delivery = start + timedelta(days=rng.randint(300, 3650 + 400))
        projects.append(
            {"code": f"P{index + 1:02d}", "name": f"{rng.choice(CITIES)}项目{index + 1:02d}期",
             "delivery_date": delivery.isoformat()}
        )  # fmt: skip
    butlers = [f"管家{index:03d}" for index in range(100)]
    with (folder / "owners.csv").open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(HEADERS)
        for index in range(owners):
            project = projects[index % 20]
            delivery = date.fromisoformat(project["delivery_date"])
            visited = delivery - timedelta(days=rng.randint(200, 900))
            subscribed = (
                visited + timedelta(days=rng.randint(0, 30)) if rng.random() < 0.9 else None
            )
            signed = (
                (subscribed + timedelta(days=rng.randint(3, 20)))
                if subscribed and rng.random() < 0.95
                else None
            )
            # Steps that have not happened by `today` are not in a sales ledger (and would be
            # refused): a visit planned later is today's, a later subscription or signing none.
            visited = min(visited, today)
            if subscribed and subscribed > today:
                subscribed = signed = None
            if signed and signed > today:
                signed = None
            delivered = None
            if signed and delivery <= today:
                delivered = delivery + timedelta(days=rng.randint(0, 60))
                delivered = min(delivered, today)
            birthday = date(rng.randint(1955, 2000), rng.randint(1, 12), rng.randint(1, 28))
            if rng.random() < 0.003:
                birthday = date(1988, 2, 29)
            writer.writerow([
                rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2))),
                "1" + rng.choice("3589") + f"{rng.randrange(10**9):09d}",
                project["code"],
                _unit(index // 20),
                visited.isoformat(),
                subscribed.isoformat() if subscribed else "",
                signed.isoformat() if signed else "",
                "",
                delivered.isoformat() if delivered else "",
                birthday.isoformat(),
                butlers[index % 100],
            ])  # fmt: skip
    milestones = []
    for number, project in enumerate(projects, start=1):
        delivery = date.fromisoformat(project["delivery_date"])
        milestones.append(
            {
                "project": number,
                "kind": "封顶",
                "date": (delivery - timedelta(days=240)).isoformat(),
            }
        )
        milestones.append(
            {
                "project": number,
                "kind": "落架",
                "date": (delivery - timedelta(days=120)).isoformat(),
            }
        )
    cases = []
    for _ in range(max(10, owners // 100)):
        opened = today - timedelta(days=rng.randint(0, 400))
        resolved = opened + timedelta(days=rng.randint(0, 10)) if rng.random() < 0.9 else None
        cases.append({
            "owner": rng.randint(1, owners), "kind": rng.choice(["complaint", "repair"]),
            "opened": opened.isoformat(),
            "resolved": resolved.isoformat() if resolved and resolved <= today else None,
        })  # fmt: skip
    (folder / "setup.json").write_text(
        json.dumps(
            {"projects": projects, "milestones": milestones, "cases": cases}, ensure_ascii=False
        ),
        encoding="utf-8",
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("owners", type=int)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--today", type=date.fromisoformat, default=date.today())
    arguments = parser.parse_args()
    generate(arguments.owners, arguments.folder, arguments.today)
