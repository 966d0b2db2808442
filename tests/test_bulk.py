"""Bulk work: many actions done at once, customers given to a butler by filter or file, and
an unknown --butler warned about."""

from __future__ import annotations

import pytest

from dbsql import sql

DAY = "2024-03-02"


@pytest.fixture
def bulletins(cli):
    """Four customers of XLY (three 王磊's, one 李娜's) with a milestone bulletin due."""
    cli("project", "add", "XLY", "--name", "西林苑", "--delivery-date", "2025-06-30")
    ids = []
    for number, butler in enumerate(("王磊", "王磊", "王磊", "李娜"), start=1):
        result = cli("owner", "add", "--name", f"客户{number}", "--phone", f"1381234000{number}",
                     "--project", "XLY", "--unit", f"3-1-10{number}", "--signed", "2024-01-05",
                     "--butler", butler)  # fmt: skip
        ids.append(int(result.stdout))
    cli("project", "milestone", "XLY", "封顶", "--date", "2024-03-01")
    return ids


def bulletin_ids(cli_json, *args) -> list[str]:
    rows = cli_json("due", "--date", DAY, *args)
    return [row["action_id"] for row in rows if row["rule"] == "milestone-bulletin"]


def snapshot(db_path) -> list:
    tables = ("owner", "event", "journal", "journal_change")
    return [sql(db_path, f"SELECT * FROM {table} ORDER BY 1") for table in tables]


def test_done_many_ids_then_undo(cli, cli_json, bulletins):
    due = bulletin_ids(cli_json)
    assert len(due) == 4
    result = cli_json("done", due[0], due[1], "--date", DAY)
    assert result["done"] == 2 and result["action_ids"] == due[:2]
    assert bulletin_ids(cli_json) == due[2:]
    assert "1 actions done" in cli("done", due[2], due[2], "--date", DAY, "-f", "table").stdout
    cli("undo")
    assert bulletin_ids(cli_json) == due[2:]
    cli("undo")  # the two-id done, whole
    assert bulletin_ids(cli_json) == due


def test_done_refuses_all_when_one_is_done_or_unknown(cli, cli_json, bulletins, db_path):
    due = bulletin_ids(cli_json)
    cli("done", due[0], "--date", DAY)
    before = snapshot(db_path)
    result = cli("done", due[1], due[0], "o99:revisit-3m", "--date", DAY, ok=False)
    assert result.exit_code == 1
    assert due[0] in result.stderr and "o99:revisit-3m" in result.stderr
    assert due[1] not in result.stderr.split("(")[0]
    assert "already done" in result.stderr
    assert snapshot(db_path) == before


def test_done_by_rule_with_filters(cli, cli_json, bulletins):
    preview = cli("done", "--rule", "milestone-bulletin", "--project", "XLY", "--butler", "王磊",
                  "--date", DAY, "--dry-run").stdout  # fmt: skip
    assert "3 actions would be done" in preview
    assert "客户1" in preview and "客户4" not in preview
    assert len(bulletin_ids(cli_json)) == 4  # the dry run wrote nothing
    result = cli_json("done", "--rule", "milestone-bulletin", "--butler", "王磊", "--date", DAY)
    assert result["done"] == 3
    assert bulletin_ids(cli_json) == [f"o{bulletins[3]}:milestone-bulletin:m1"]
    events = cli_json("owner", "show", str(bulletins[0]))["events"]
    assert [(e["kind"], e["date"]) for e in events] == [("milestone-bulletin", DAY)]
    cli("undo")
    assert len(bulletin_ids(cli_json)) == 4


def test_done_dry_run_writes_nothing(cli, cli_json, bulletins, db_path):
    before = snapshot(db_path)
    due = bulletin_ids(cli_json)
    result = cli_json("done", *due, "--date", DAY, "--dry-run")
    assert result == {"done": 4, "action_ids": due, "done_on": DAY, "dry_run": True}
    assert snapshot(db_path) == before


def test_done_bulk_usage_errors(cli, bulletins):
    assert cli("done", ok=False).exit_code == 2  # nothing to do: a usage error, as always
    assert "unknown rule" in cli("done", "--rule", "bulletin", ok=False).stderr
    assert "--rule" in cli("done", "--project", "XLY", ok=False).stderr
    both = cli("done", "o1:milestone-bulletin:m1", "--rule", "milestone-bulletin", ok=False)
    assert both.exit_code == 1 and "not both" in both.stderr


def test_single_done_is_unchanged(cli, cli_json, bulletins):
    due = bulletin_ids(cli_json)
    assert cli("done", due[0], "--date", DAY).stdout.strip() == f"{due[0]} done on {DAY}"
    again = cli("done", due[0], "--date", DAY, ok=False)
    assert again.exit_code == 1 and "already done" in again.stderr


def test_assign_by_filter_dry_run_and_undo(cli, cli_json, bulletins, db_path):
    before = snapshot(db_path)
    preview = cli("owner", "assign", "--butler", "赵敏", "--from-butler", "王磊", "--unit",
                  "3-1-10[12]*", "--dry-run")  # fmt: skip
    assert "0 customers would be given" in preview.stdout  # [ is no pattern: no flat has it
    preview = cli("owner", "assign", "--butler", "赵敏", "--from-butler", "王磊", "--unit",
                  "3幢1单元*", "--dry-run")  # fmt: skip
    assert "3 customers would be given to 赵敏" in preview.stdout and "客户2" in preview.stdout
    assert snapshot(db_path) == before
    result = cli_json("owner", "assign", "--butler", "赵敏", "--project", "XLY", "--unit", "3-*",
                      "--from-butler", "王磊")  # fmt: skip
    assert result["assigned"] == 3 and result["owner_ids"] == bulletins[:3]
    butlers = {row["id"]: row["butler"] for row in cli_json("owner", "list")}
    assert butlers == dict(zip(bulletins, ["赵敏", "赵敏", "赵敏", "李娜"], strict=True))
    cli("undo")
    butlers = {row["id"]: row["butler"] for row in cli_json("owner", "list")}
    assert butlers == dict(zip(bulletins, ["王磊", "王磊", "王磊", "李娜"], strict=True))


def test_assign_from_a_file(cli, cli_json, bulletins, tmp_path):
    names = tmp_path / "owners.csv"
    names.write_text("项目,房号\nXLY,3幢1单元101\nXLY,3-1-104\n", encoding="utf-8")
    result = cli_json("owner", "assign", "--butler", "赵敏", "--file", names)
    assert result["owner_ids"] == [bulletins[0], bulletins[3]]
    ids = tmp_path / "ids.txt"
    ids.write_text(f"{bulletins[1]}\n999\n", encoding="utf-8")
    refused = cli("owner", "assign", "--butler", "赵敏", "--file", ids, ok=False)
    assert refused.exit_code == 1 and "999" in refused.stderr
    assert cli_json("owner", "show", str(bulletins[1]))["butler"] == "王磊"


def test_assign_needs_a_filter_or_all(cli, cli_json, bulletins):
    refused = cli("owner", "assign", "--butler", "赵敏", ok=False)
    assert refused.exit_code == 1 and "--all" in refused.stderr
    assert cli_json("owner", "assign", "--butler", "赵敏", "--all")["assigned"] == 4


def test_assign_warns_of_a_new_butler(cli, bulletins):
    result = cli("owner", "assign", "--butler", "赵敏", "--all", "--dry-run")
    assert "赵敏 is a new butler" in result.stderr
    assert "new butler" not in cli("owner", "assign", "--butler", "李娜", "--all").stderr


@pytest.mark.parametrize(
    "command",
    [
        ("due", "--date", DAY, "--butler", "王雷"),
        ("owner", "list", "--butler", "王雷"),
        ("done", "--rule", "milestone-bulletin", "--date", DAY, "--butler", "王雷", "--dry-run"),
        ("owner", "assign", "--butler", "李娜", "--from-butler", "王雷", "--dry-run"),
    ],
)
def test_an_unknown_butler_warns_with_the_nearest(cli, bulletins, command):
    result = cli(*command)
    assert result.exit_code == 0
    assert "unknown butler 王雷: did you mean 王磊?" in result.stderr
    assert "李娜" in result.stderr.split("butlers:")[1]
    assert "unknown butler" not in cli("due", "--date", DAY, "--butler", "王磊").stderr
