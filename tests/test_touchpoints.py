"""Touchpoints before the sales opening, around move-in, project notices, the customer archive
and celebrations: each at its window edges, in due, export and owner show."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest

from sixplustwo.domain.actions import rule_actions
from sixplustwo.domain.model import ProjectFacts
from sixplustwo.domain.playbook import default_playbook

OPENING = date(2026, 3, 1)
DELIVERY = date(2024, 6, 30)


@pytest.mark.parametrize(
    ("rule_name", "anchor", "opens", "due"),
    [
        ("sales-site-check", "opening", OPENING - timedelta(30), OPENING - timedelta(7)),
        ("service-handbook", "opening", OPENING - timedelta(60), OPENING - timedelta(14)),
        ("sales-hall-disclosure", "opening", OPENING - timedelta(7), OPENING - timedelta(1)),
        ("move-in-ceremony", "delivery", DELIVERY - timedelta(14), DELIVERY),
        ("decoration-guidance", "delivery", DELIVERY, DELIVERY + timedelta(30)),
    ],
)
def test_project_touchpoint_window_edges(rule_name, anchor, opens, due):
    rule = default_playbook().get(rule_name)
    facts = ProjectFacts(3, delivery_date=DELIVERY, opening_date=OPENING)

    def status(day):
        return [a.status for a in rule_actions(rule, facts, day)]

    assert status(opens - timedelta(1)) == ["upcoming"]
    assert status(opens) == ["open"]
    assert status(due) == ["open"]
    assert status(due + timedelta(1)) == ["overdue" if rule.grace else "missed"]
    assert status(due + timedelta(rule.grace + 1)) == ["missed"]
    if anchor == "opening":  # no opening date, no pre-sale actions
        assert rule_actions(rule, ProjectFacts(3, delivery_date=DELIVERY), opens) == []


def test_opening_date_through_the_cli(cli, cli_json):
    cli("project", "add", "JL1", "--name", "金陵一期", "--opening-date", "2026-03-01")

    def rules(day):
        return {r["rule"] for r in cli_json("due", "--date", day) if r["project"] == "JL1"}

    assert rules("2026-02-20") == {"sales-site-check", "service-handbook"}
    assert rules("2026-02-27") == {"sales-site-check", "sales-hall-disclosure"}
    cli("project", "edit", "JL1", "--opening-date", "2026-06-01")
    assert rules("2026-02-27") == set()


def test_milestone_kinds_drive_bulletins_with_their_own_template(cli, cli_json, project, tmp_path):
    cli("owner", "add", "--name", "王伟", "--phone", "13812345678", "--project", "HY1",
        "--unit", "1-101", "--signed", "2023-01-02")  # fmt: skip
    cli("project", "milestone", "HY1", "design-change", "--date", "2023-05-10")
    cli("project", "milestone", "HY1", "site-open-day", "--date", "2023-06-10")
    out = tmp_path / "sms.csv"
    cli("export", "--date", "2023-05-12", "--format", "csv", "--out", out)
    rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8-sig"))))
    bulletin = next(r for r in rows if r["rule"] == "milestone-bulletin")
    assert "有一项规划设计变更（2023-05-10）" in bulletin["message"]
    shown = cli_json("due", "--date", "2023-06-11")
    assert any(r["title"] == "工程节点进展通报（工地开放日）" for r in shown)


def test_customer_archive_needs_consent_and_is_erased_with_it(cli, cli_json, project):
    owner = cli_json("owner", "add", "--name", "王伟", "--phone", "13812345678", "--project",
                     "HY1", "--unit", "1-101")["id"]  # fmt: skip
    refused = cli("owner", "edit", str(owner), "--tag", "爱好:羽毛球", ok=False)
    assert refused.exit_code == 1 and "has not agreed to a customer archive" in refused.stderr
    cli("owner", "edit", str(owner), "--profile-consent", "yes", "--tag", "爱好:羽毛球",
        "--tag", "家庭：二孩")  # fmt: skip
    shown = cli_json("owner", "show", str(owner))
    assert shown["tags"] == ["家庭:二孩", "爱好:羽毛球"] and shown["profile_consent"] is True
    assert [o["id"] for o in cli_json("owner", "list", "--tag", "爱好:羽毛球")] == [owner]
    assert cli_json("owner", "list", "--tag", "爱好:游泳") == []
    cli("owner", "edit", str(owner), "--untag", "家庭:二孩")
    assert cli_json("owner", "show", str(owner))["tags"] == ["爱好:羽毛球"]
    cli("owner", "edit", str(owner), "--profile-consent", "no")
    assert cli_json("owner", "show", str(owner))["tags"] == []
    cli("owner", "edit", str(owner), "--profile-consent", "yes", "--tag", "爱好:羽毛球")
    cli("owner", "forget", str(owner), "--yes")
    assert cli_json("owner", "list", "--tag", "爱好:羽毛球") == []
    bad = cli("owner", "edit", "1", "--tag", "羽毛球", ok=False)
    assert bad.exit_code == 1


def test_a_celebration_brings_a_congratulation_within_three_days(cli, cli_json, project, tmp_path):
    owner = cli_json("owner", "add", "--name", "王伟", "--phone", "13812345678", "--project",
                     "HY1", "--unit", "1-101", "--signed", "2023-01-02")["id"]  # fmt: skip
    cli("event", "add", str(owner), "celebration", "--note", "新婚", "--date", "2025-05-20")
    rows = {r["rule"]: r for r in cli_json("due", "--date", "2025-05-20")}
    congratulation = rows["congratulation"]
    assert congratulation["action_id"] == f"o{owner}:congratulation:2025-05-20"
    assert (congratulation["due_on"], congratulation["title"]) == ("2025-05-23", "喜庆致贺（新婚）")
    out = tmp_path / "sms.csv"
    # A look under a destination of its own: the SMS platform's (`sms`) would complete it.
    cli("export", "--date", "2025-05-21", "--format", "csv", "--destination", "check", "--out", out)
    rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8-sig"))))
    message = next(r["message"] for r in rows if r["rule"] == "congratulation")
    assert message.startswith("尊敬的王伟，欣闻您新婚之喜")
    assert "congratulation" not in {r["rule"] for r in cli_json("due", "--date", "2025-05-19")}
    statuses = {
        day: {r["rule"]: r["status"] for r in cli_json("due", "--date", day)}.get("congratulation")
        for day in ("2025-05-23", "2025-05-24", "2025-05-30", "2025-05-31")
    }
    assert statuses == {"2025-05-23": "open", "2025-05-24": "overdue", "2025-05-30": "overdue",
                        "2025-05-31": None}  # fmt: skip
    timeline = cli_json("owner", "show", str(owner), "--date", "2025-05-20")["actions"]
    assert any(a["rule"] == "congratulation" and a["title"] == "喜庆致贺（新婚）" for a in timeline)
    cli("event", "add", str(owner), "congratulation", "--date", "2025-05-21")
    assert "congratulation" not in {r["rule"] for r in cli_json("due", "--date", "2025-05-22")}
