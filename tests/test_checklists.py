"""Talking points and checklists from the seeds; action show; checklists recorded by done; a
problem at the 1-year check or the 3-month revisit opens a repair case."""

from __future__ import annotations

import re
from pathlib import Path

from dbsql import sql
from sixplustwo.domain.playbook import STEP_MINDSETS, default_playbook

SEEDS = Path(__file__).parent / "fixtures" / "seeds"


def _plain(text: str) -> str:
    return re.sub(r"[\s《》“”\"、，,。：:（）()——-]", "", text)


def test_every_default_rule_has_a_checklist_taken_from_the_seeds():
    seeds = _plain("".join(p.read_text("utf-8") for p in sorted(SEEDS.glob("*.txt"))))
    for rule in default_playbook():
        assert rule.checklist, rule.name
        for item in rule.checklist:
            assert _plain(item) in seeds, (rule.name, item)
    book = default_playbook()
    assert book.get("quality-check-1y").checklist == (
        "检查五金配件的完好性", "检查排水设施通畅", "检查门窗的五金配件",
        "检查电气和燃气设备的安全性", "第三方客户满意度调查", "告知业主保修期已到",
    )  # fmt: skip
    assert book.get("revisit-3m").checklist == (
        "询问业主需要解决的问题", "主动检查房屋质量", "征询对产品和服务的建议和意见",
    )  # fmt: skip
    assert {"《商品房交付通知书》", "《业户手册》", "客户验楼手册", "入住贺卡"} <= set(
        book.get("delivery-notice").checklist
    )
    assert "我的邻居是谁" in book.get("revisit-3m").talking_points
    assert set(STEP_MINDSETS) == {rule.step for rule in book}


def _owner(cli_json):
    added = cli_json("owner", "add", "--name", "王伟", "--phone", "13812345678", "--project",
                     "HY1", "--unit", "1-101", "--signed", "2024-01-02",
                     "--delivered", "2024-06-30", "--butler", "李晓")  # fmt: skip
    return added["id"]


def test_action_show_has_everything_for_the_call(cli, cli_json, project, chinese):
    owner = _owner(cli_json)
    cli("event", "add", str(owner), "revisit-3m", "--date", "2024-10-05", "--score", "4")
    cli("case", "open", str(owner), "--kind", "complaint", "--note", "电梯噪音", "--date",
        "2025-06-01")  # fmt: skip
    shown = cli_json("action", "show", f"o{owner}:quality-check-1y", "--date", "2025-07-01")
    assert shown["owner"]["phone"] == "138****5678" and shown["owner"]["butler"] == "李晓"
    assert (shown["step"], shown["step_name"]) == ("6", "承担责任")
    assert shown["mindset"] == STEP_MINDSETS["6"]
    assert shown["checklist"][0] == "检查五金配件的完好性"
    assert "居住的舒适性" in shown["talking_points"]
    assert shown["recent_events"][-1]["kind"] == "revisit-3m"
    assert [c["note"] for c in shown["open_cases"]] == ["电梯噪音"]
    screen = cli("action", "show", f"o{owner}:quality-check-1y", "--date", "2025-07-01").stdout
    assert "客户心态" in screen and "1. 检查五金配件的完好性" in screen and "未结投诉" in screen
    assert "13812345678" not in screen


def _cases(db_path):
    return sql(db_path, "SELECT owner_id, kind, note, opened_on, action_id FROM service_case")


def test_a_problem_at_the_one_year_check_opens_a_repair_case(cli, cli_json, project, db_path):
    owner = _owner(cli_json)
    action = f"o{owner}:quality-check-1y"
    cli("done", action, "--date", "2025-07-02", "--ok", "1", "--ok", "检查门窗的五金配件",
        "--problem", "2 卫生间地漏返味", "--score", "4")  # fmt: skip
    assert _cases(db_path) == [
        (owner, "repair", "检查排水设施通畅：卫生间地漏返味", "2025-07-02", action)
    ]
    due = {r["rule"]: r for r in cli_json("due", "--date", "2025-07-03")}
    assert due["case-resolve"]["due_on"] == "2025-07-05"  # repairs: opened + 3 days
    assert due["case-resolve"]["owner_id"] == owner
    shown = cli_json("owner", "show", str(owner))
    results = {(r["item"], r["ok"]) for r in shown["checklist"]}
    assert results == {("检查五金配件的完好性", True), ("检查门窗的五金配件", True),
                       ("检查排水设施通畅", False)}  # fmt: skip
    report = cli_json("report", "--from", "2025-07-01", "--to", "2025-09-30")
    assert report["checklist_problems"] == [
        {"project": "HY1", "rule": "quality-check-1y", "item": "检查排水设施通畅",
         "checked": 1, "problems": 1}
    ]  # fmt: skip


def test_unknown_checklist_item_is_refused_and_nothing_is_written(cli, cli_json, project, db_path):
    owner = _owner(cli_json)
    result = cli(
        "done", f"o{owner}:quality-check-1y", "--date", "2025-07-02", "--ok", "9", ok=False
    )
    assert result.exit_code == 1 and "'9' is not on the quality-check-1y checklist" in result.stderr
    assert _cases(db_path) == []
    assert cli_json("owner", "show", str(owner))["checklist"] == []


def test_interactive_checklist_through_the_prompt(cli, cli_json, project, db_path):
    owner = _owner(cli_json)
    # Enter for fine; a typed answer is the problem found.
    answers = "\n墙面有裂缝\n\n"
    result = cli("done", f"o{owner}:revisit-3m", "--date", "2024-10-05", "--interactive",
                 input=answers)  # fmt: skip
    assert "1. 询问业主需要解决的问题" in result.stdout
    assert _cases(db_path)[0][2] == "主动检查房屋质量：墙面有裂缝"
    checklist = cli_json("owner", "show", str(owner))["checklist"]
    assert [(r["item"], r["ok"]) for r in checklist] == [
        ("询问业主需要解决的问题", True), ("主动检查房屋质量", False),
        ("征询对产品和服务的建议和意见", True),
    ]  # fmt: skip


def test_done_names_the_repair_case_it_opened(cli, cli_json, project, db_path):
    """Issue 29: a complaint already open (case 1) and the repair a problem found opens
    (case 2) are told apart: the output, text and JSON, names the one it opened."""
    owner = _owner(cli_json)
    complaint = cli_json("case", "open", str(owner), "--kind", "complaint", "--note", "电梯噪音",
                         "--date", "2025-06-01")["id"]  # fmt: skip
    done = cli_json("done", f"o{owner}:quality-check-1y", "--date", "2025-07-02",
                    "--problem", "2 厨房下水慢")  # fmt: skip
    (opened,) = [
        case_id for (case_id,) in sql(db_path, "SELECT id FROM service_case WHERE kind = 'repair'")
    ]
    assert opened != complaint
    assert (done["case_id"], done["case_ids"]) == (opened, [opened])
    events = sql(db_path, "SELECT id FROM event WHERE action_id = ?", (done["action_id"],))
    assert [done["event_id"]] == [event_id for (event_id,) in events]
    text = cli("done", f"o{owner}:revisit-3m", "--date", "2024-10-05", "--problem",
               "1 厨房下水慢").stdout  # fmt: skip
    (second,) = [c for (c,) in sql(db_path, "SELECT id FROM service_case WHERE kind = 'repair' "
                                            "AND id <> ?", (opened,))]  # fmt: skip
    assert f"repair case {second} opened" in text
    # Many at once: the events recorded, one an action.
    many = cli_json("done", f"o{owner}:signing-revisit", f"o{owner}:delivery-notice",
                    "--date", "2024-06-30")  # fmt: skip
    recorded = sql(db_path, "SELECT id FROM event WHERE action_id IN (?, ?) ORDER BY id",
                   tuple(many["action_ids"]))  # fmt: skip
    assert sorted(many["event_ids"]) == [event_id for (event_id,) in recorded]
    assert len(many["event_ids"]) == 2
