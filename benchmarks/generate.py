"""Generate a company for benchmarks: N owners in one of several shapes of sales ledger.

    python benchmarks/generate.py 1000000 benchmarks/data/ledger/1000000 --shape ledger

Writes ``owners.csv`` (Chinese headers, as a sales system exports it) and ``setup.json``
(projects, milestones and cases, which ``run.py`` loads before timing). Users' data is not
ours, so the shapes differ where the tool's speed could depend on them:

- ``spread``: 20 projects, 100 butlers, owners dealt round-robin over projects and butlers,
  every owner with a birthday, no contract delivery column (the first generator's shape).
- ``ledger``: a developer's ledger as issue 18 describes it: 20 projects of 50,000 owners at
  1M, one after the other, sorted by flat; 100 butlers, each looking after whole buildings;
  most journey columns filled (the contract's delivery date on every signed row); 70% with a
  birthday.
- ``handkept``: a ledger kept by hand in Excel and saved as CSV: 300 projects of very uneven
  size (a few large, many small), 12 butlers, dates written ``2024/3/5``, phones written
  ``138 1234 5678`` or ``+86 13812345678``, columns the tool does not use (置业顾问, 户型,
  面积, 备注), 30% with a birthday, the rows in no particular order.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧"
    "田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂英华志海燕晓嘉怡子涵宇轩雨桐浩然思远欣俊梓萱"
CITIES = ["杭州", "苏州", "上海", "南京", "宁波", "成都", "武汉", "西安", "长沙", "合肥"]
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
EXTRA_HEADERS = ["置业顾问", "户型", "面积", "备注"]


@dataclass(frozen=True)
class Shape:
    projects: int
    uneven: bool  # project sizes: equal, or a few large and many small (Zipf-like)
    order: str  # "roundrobin" over projects, "project" (one after the other), "shuffled"
    butlers: int
    butler_by: str  # "owner" (round-robin), "building", "project"
    birthdays: float  # share of owners with a birthday
    contract: bool  # the contract's delivery date filled on signed rows
    dates: str  # "iso" (2024-03-05) or "slash" (2024/3/5)
    phones: str  # "plain" (13812345678) or "mixed" (spaces, +86)
    extra: bool  # columns the tool does not use


SHAPES = {
    "spread": Shape(20, False, "roundrobin", 100, "owner", 1.0, False, "iso", "plain", False),
    "ledger": Shape(20, False, "project", 100, "building", 0.7, True, "iso", "plain", False),
    "handkept": Shape(300, True, "shuffled", 12, "project", 0.3, True, "slash", "mixed", True),
}


def _unit(number: int) -> str:
    """Building-entrance-flat, unique within a project (400 flats a building)."""
    return f"{number // 400 + 1}-{number % 400 // 100 + 1}-{number % 100 + 101}"


def _sizes(owners: int, shape: Shape, rng: random.Random) -> list[int]:
    if not shape.uneven:
        base, rest = divmod(owners, shape.projects)
        return [base + (index < rest) for index in range(shape.projects)]
    weights = [1 / (rank + 1) for rank in range(shape.projects)]
    rng.shuffle(weights)
    total = sum(weights)
    sizes = [int(owners * weight / total) for weight in weights]
    sizes[0] += owners - sum(sizes)
    return sizes


def _date(day: date | None, style: str) -> str:
    if day is None:
        return ""
    return day.isoformat() if style == "iso" else f"{day.year}/{day.month}/{day.day}"


def _phone(rng: random.Random, style: str) -> str:
    digits = "1" + rng.choice("3589") + f"{rng.randrange(10**9):09d}"
    if style == "plain":
        return digits
    pick = rng.random()
    if pick < 0.4:
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    if pick < 0.6:
        return "+86 " + digits
    return digits


def generate(
    owners: int, folder: Path, today: date, seed: int = 62, shape_name: str = "spread"
) -> None:
    shape = SHAPES[shape_name]
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    start = today - timedelta(days=3650)
    projects = []
    for index in range(shape.projects):
        delivery = start + timedelta(days=rng.randint(300, 3650 + 400))
        projects.append(
            {"code": f"P{index + 1:02d}", "name": f"{rng.choice(CITIES)}项目{index + 1:02d}期",
             "delivery_date": delivery.isoformat()}
        )  # fmt: skip
    butlers = [f"管家{index:03d}" for index in range(shape.butlers)]
    sizes = _sizes(owners, shape, rng)
    # Each owner is (project index, number within the project), in the file's order.
    if shape.order == "roundrobin":
        slots = [(index % shape.projects, index // shape.projects) for index in range(owners)]
    else:
        slots = [(p, n) for p, size in enumerate(sizes) for n in range(size)]
        if shape.order == "shuffled":
            rng.shuffle(slots)
    headers = HEADERS + (EXTRA_HEADERS if shape.extra else [])
    with (folder / "owners.csv").open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(headers)
        for index, (number, flat) in enumerate(slots):
            project = projects[number]
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
            birthday = None
            if rng.random() < shape.birthdays:
                birthday = date(rng.randint(1955, 2000), rng.randint(1, 12), rng.randint(1, 28))
                if rng.random() < 0.003:
                    birthday = date(1988, 2, 29)
            contract = delivery if shape.contract and signed else None
            if shape.butler_by == "owner":
                butler = butlers[index % shape.butlers]
            elif shape.butler_by == "building":
                butler = butlers[(number * 7 + flat // 400) % shape.butlers]
            else:
                butler = butlers[number % shape.butlers]
            row = [
                rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2))),
                _phone(rng, shape.phones),
                project["code"],
                _unit(flat),
                _date(visited, shape.dates),
                _date(subscribed, shape.dates),
                _date(signed, shape.dates),
                _date(contract, shape.dates),
                _date(delivered, shape.dates),
                _date(birthday, shape.dates),
                butler,
            ]  # fmt: skip
            if shape.extra:
                row += [
                    f"顾问{rng.randrange(40):02d}",
                    rng.choice(["两室两厅", "三室两厅", "四室两厅"]),
                    f"{rng.randint(70, 180)}.{rng.randrange(100):02d}",
                    "老带新" if rng.random() < 0.05 else "",
                ]
            writer.writerow(row)
    milestones = []
    for number, project in enumerate(projects, start=1):
        delivery = date.fromisoformat(project["delivery_date"])
        for kind, days in (("封顶", 240), ("落架", 120)):
            day = delivery - timedelta(days=days)
            milestones.append({"project": number, "kind": kind, "date": day.isoformat()})
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
            {"shape": shape_name, "projects": projects, "milestones": milestones, "cases": cases},
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("owners", type=int)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--today", type=date.fromisoformat, default=date.today())
    parser.add_argument("--shape", choices=sorted(SHAPES), default="spread")
    arguments = parser.parse_args()
    generate(arguments.owners, arguments.folder, arguments.today, shape_name=arguments.shape)
