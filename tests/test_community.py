"""The community programme (seed 004): an SMS bulletin every week, a face-to-face event every
month, for every project with residents; done when the project records that event."""

from __future__ import annotations


def _project_actions(cli_json, day, rule):
    return {
        r["action_id"]: r["status"] for r in cli_json("due", "--date", day) if r["rule"] == rule
    }


def test_weekly_bulletin_each_iso_week_once_delivered(cli, cli_json, project):
    cli("project", "add", "JL1", "--name", "金陵一期", "--delivery-date", "2030-01-01")  # not yet
    # 2024-07-01 is a Monday (ISO week 27); the fixture project delivered on 2024-06-30.
    assert _project_actions(cli_json, "2024-07-01", "weekly-bulletin") == {
        "p1:weekly-bulletin:2024-W27": "open"
    }
    assert _project_actions(cli_json, "2024-07-07", "weekly-bulletin") == {
        "p1:weekly-bulletin:2024-W27": "open"
    }
    done = cli_json("project", "event", "HY1", "weekly-bulletin", "--date", "2024-07-03",
                    "--note", "高温提醒、物业缴费通知")  # fmt: skip
    assert done["completed"] == ["p1:weekly-bulletin:2024-W27"]
    assert _project_actions(cli_json, "2024-07-07", "weekly-bulletin") == {}
    # A new week, a new bulletin; last week's, had it not been sent, would now be missed.
    assert _project_actions(cli_json, "2024-07-08", "weekly-bulletin") == {
        "p1:weekly-bulletin:2024-W28": "open"
    }


def test_monthly_community_event_and_a_week_before_delivery(cli, cli_json, project):
    assert _project_actions(cli_json, "2024-06-29", "monthly-community-event") == {}
    assert _project_actions(cli_json, "2024-06-30", "monthly-community-event") == {
        "p1:monthly-community-event:2024-06": "open"
    }
    assert _project_actions(cli_json, "2024-07-31", "monthly-community-event") == {
        "p1:monthly-community-event:2024-07": "open"
    }
    cli("done", "p1:monthly-community-event:2024-07", "--date", "2024-07-20",
        "--note", "业主联谊会")  # fmt: skip
    assert _project_actions(cli_json, "2024-07-31", "monthly-community-event") == {}
    refused = cli("project", "event", "HY1", "revisit-3m", ok=False)
    assert refused.exit_code == 1 and "not a project rule" in refused.stderr
