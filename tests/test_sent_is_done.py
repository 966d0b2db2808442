"""Sent is done for messages (SPEC §7, issue 29): a rule whose SMS is the whole action is
completed by the SMS export to the `sms` destination, dated the export's day, on channel
`sms`; the SMS platform's delivery report (`export receipts FILE`) re-opens those it names
failed; and a delivery notice never sent before a late handover is missed in the report."""

from __future__ import annotations

import json

import pytest

from dbsql import sql

DAY = "2024-01-05"
REPORT = ("report", "--from", "2024-01-01", "--to", "2024-01-31", "--format", "json")

SENT_IS_DONE = {
    "milestone-bulletin", "birthday", "holiday-greeting", "congratulation", "warranty-2y",
    "warranty-5y",
}  # fmt: skip


@pytest.fixture
def owners(cli, cli_json, project):
    """Two owners whose birthday is DAY (signed 2024-01-01: their signing revisit is due too)."""
    ids = []
    for number in (1, 2):
        ids.append(
            cli_json(
                "owner", "add", "--name", f"客户{number}", "--phone", f"1390000000{number}",
                "--project", project, "--unit", f"1-{number}", "--signed", "2024-01-01",
                "--birthday", "1990-01-05", "--butler", "李晓",
            )["id"]
        )  # fmt: skip
    return ids


def _status(cli_json, owner, action, on=DAY):
    view = cli_json("owner", "show", owner, "--date", on)
    return next((a["status"], a["done_on"]) for a in view["actions"] if a["action_id"] == action)


def _rule_counts(cli_json, rule):
    report = cli_json(*REPORT[:-2])
    return next(r for r in report["rules"] if r["rule"] == rule)


def _listed(cli_json, on=DAY):
    return {row["action_id"] for row in cli_json("due", "--date", on)}


def test_the_default_rules_say_which_sms_is_the_whole_action(cli_json, project):
    rules = {row["rule"]: row["sent_is_done"] for row in cli_json("playbook")}
    assert {rule for rule, sent in rules.items() if sent} == SENT_IS_DONE
    for rule in ("revisit-3m", "quality-check-1y", "visit-followup", "delivery-notice"):
        assert rules[rule] is False


def test_playbook_refuses_a_bad_sent_is_done(cli, tmp_path, project):
    bad = tmp_path / "bad.toml"
    bad.write_text('[rules.birthday]\nsent_is_done = "yes"\n', "utf-8")
    result = cli("playbook", "--use", bad, ok=False)
    assert result.exit_code == 1
    assert "line 2" in result.stderr and "sent_is_done must be true or false" in result.stderr
    project_rule = tmp_path / "project.toml"
    project_rule.write_text("[rules.weekly-bulletin]\nsent_is_done = true\n", "utf-8")
    result = cli("playbook", "--use", project_rule, ok=False)
    assert result.exit_code == 1 and "owner rules" in result.stderr
    toml = cli("playbook", "--format", "toml").stdout
    assert "sent_is_done = true" in toml and "sent_is_done = false" in toml


def test_the_sms_export_completes_greetings_on_its_day(cli, cli_json, owners, tmp_path, db_path):
    first = owners[0]
    assert _rule_counts(cli_json, "birthday")["missed"] == 2  # never sent, never done
    out = tmp_path / "sms.csv"
    result = cli("export", "--date", DAY, "--format", "csv", "--new-only", "--out", out)
    assert "2 of them done by sending" in result.stderr
    text = out.read_text("utf-8-sig")
    assert f"o{first}:birthday:2024" in text and f"o{first}:signing-revisit" in text
    # The greeting is done, on the export's day, by SMS; the call it announced is not.
    assert _status(cli_json, first, f"o{first}:birthday:2024") == ("done", DAY)
    assert _status(cli_json, first, f"o{first}:signing-revisit")[0] == "open"
    events = sql(
        db_path,
        "SELECT kind, happened_on, channel, action_id FROM event WHERE owner_id = ?",
        (first,),
    )
    assert [(k, str(on)[:10], c, a) for k, on, c, a in events] == [
        ("birthday", DAY, "sms", f"o{first}:birthday:2024")
    ]
    listed = _listed(cli_json)
    assert f"o{first}:birthday:2024" not in listed and f"o{first}:signing-revisit" in listed
    counts = _rule_counts(cli_json, "birthday")
    assert (counts["on_time"], counts["missed"]) == (2, 0)
    # Sent once: the afternoon run writes (and completes) nothing again.
    again = cli("export", "--date", DAY, "--format", "csv", "--new-only", "--out",
                tmp_path / "pm.csv")  # fmt: skip
    assert "done by sending" not in again.stderr
    assert len(sql(db_path, "SELECT id FROM event WHERE channel = 'sms'")) == 2


def test_only_the_sms_destination_completes(cli, cli_json, owners, tmp_path):
    first = owners[0]
    cli("export", "--date", DAY, "--format", "ics", "--out", tmp_path / "cal.ics")
    cli("export", "--date", DAY, "--format", "json", "--out", tmp_path / "feed.json")
    cli("export", "--date", DAY, "--format", "csv", "--destination", "check", "--out", "-")
    assert _status(cli_json, first, f"o{first}:birthday:2024") == ("open", None)
    # To stdout, the sms destination completes as a file does.
    cli("export", "--date", DAY, "--format", "csv", "--new-only", "--out", "-")
    assert _status(cli_json, first, f"o{first}:birthday:2024") == ("done", DAY)


def test_a_rule_turned_off_stays_open_after_its_sms(cli, cli_json, owners, tmp_path):
    first = owners[0]
    own = tmp_path / "own.toml"
    own.write_text("[rules.birthday]\nsent_is_done = false\n", "utf-8")
    cli("playbook", "--use", own)
    cli("export", "--date", DAY, "--format", "csv", "--new-only", "--out", tmp_path / "a.csv")
    assert _status(cli_json, first, f"o{first}:birthday:2024") == ("open", None)


def test_an_action_done_meanwhile_is_not_completed_twice(cli, cli_json, owners, db_path):
    from datetime import date

    from sixplustwo.domain.playbook import default_playbook
    from sixplustwo.store.database import open_database
    from sixplustwo.store.sent import Sent

    first = owners[0]
    cli("done", f"o{first}:birthday:2024", "--date", DAY)
    with open_database(db_path, write=True) as db:
        completed = Sent(db, default_playbook()).complete_sent(
            [f"o{first}:birthday:2024", f"o{first}:signing-revisit", "not an id"],
            date(2024, 1, 5),
        )
    assert completed == []
    assert _status(cli_json, first, f"o{first}:birthday:2024") == ("done", DAY)


# -- the delivery report -------------------------------------------------------------------


def _sent(cli, tmp_path):
    cli("export", "--date", DAY, "--format", "csv", "--new-only", "--out", tmp_path / "sms.csv")


def test_receipts_reopen_what_failed_by_action_id(cli, cli_json, owners, tmp_path):
    first, second = owners
    _sent(cli, tmp_path)
    report = tmp_path / "report.csv"
    report.write_text(
        "action_id,status\n"
        f"o{first}:birthday:2024,UNDELIV\n"
        f"o{second}:birthday:2024,DELIVRD\n"
        f"o{first}:signing-revisit,失败\n",
        "utf-8",
    )
    dry = cli_json("export", "receipts", report, "--dry-run")
    assert dry["reopened"] == [f"o{first}:birthday:2024"] and dry["dry_run"] is True
    assert _status(cli_json, first, f"o{first}:birthday:2024") == ("done", DAY)
    result = cli_json("export", "receipts", report)
    assert result["reopened"] == [f"o{first}:birthday:2024"]
    # Read long after the birthday: open again, but past its day: named, as the list won't.
    assert result["missed"] == [f"o{first}:birthday:2024"]
    assert (result["failed"], result["delivered"], result["pending"]) == (2, 1, 0)
    # A call's heads-up SMS completed nothing: nothing to re-open.
    assert result["nothing_to_reopen"] == [f"o{first}:signing-revisit"]
    assert len(result["deleted_event_ids"]) == 1
    assert _status(cli_json, first, f"o{first}:birthday:2024") == ("open", None)
    assert _status(cli_json, second, f"o{second}:birthday:2024") == ("done", DAY)
    assert f"o{first}:birthday:2024" in _listed(cli_json)
    counts = _rule_counts(cli_json, "birthday")
    assert (counts["on_time"], counts["missed"]) == (1, 1)
    audit = cli("audit", "--limit", "1").stdout
    assert "export receipts" in audit and "1 re-opened" in audit
    # Undoable: the completion is back.
    cli("undo")
    assert _status(cli_json, first, f"o{first}:birthday:2024") == ("done", DAY)


def test_receipts_by_phone_and_day_in_chinese(cli, cli_json, owners, tmp_path):
    first, second = owners
    _sent(cli, tmp_path)
    report = tmp_path / "回执.csv"
    report.write_text(
        "手机号码,发送时间,发送状态\n"
        "13900000001,2024-01-05 07:00:12,发送失败\n"
        "139 0000 0002,2024/1/5 07:00:13,等待回执\n",
        "utf-8-sig",
    )
    result = cli("export", "receipts", report).stdout
    assert "1 failed, 1 open again; 0 delivered, 1 pending" in result
    assert _status(cli_json, first, f"o{first}:birthday:2024") == ("open", None)
    assert _status(cli_json, second, f"o{second}:birthday:2024") == ("done", DAY)
    # Read again: nothing left to re-open, named without the full phone.
    again = cli_json("export", "receipts", report)
    assert again["reopened"] == [] and again["nothing_to_reopen"] == ["139****0001 2024-01-05"]


def test_bad_receipts_name_row_and_column_and_change_nothing(cli, cli_json, owners, tmp_path):
    first = owners[0]
    _sent(cli, tmp_path)
    report = tmp_path / "bad.csv"
    report.write_text(
        f"action_id,状态\no{first}:birthday:2024,失败\nnonsense,失败\no{first}:birthday:2024,也许\n",
        "utf-8",
    )
    result = cli("export", "receipts", report, ok=False)
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith("row 3, column action_id:")
    assert lines[1].startswith("row 4, column 状态:") and "'也许'" in lines[1]
    assert lines[-1] == f"sixplustwo: error: {report}: 2 bad row(s); nothing re-opened"
    assert _status(cli_json, first, f"o{first}:birthday:2024") == ("done", DAY)
    headless = tmp_path / "headless.csv"
    headless.write_text("status\n失败\n", "utf-8")
    result = cli("export", "receipts", headless, ok=False)
    assert result.exit_code == 1 and len(result.stderr.splitlines()) == 1
    assert "neither the action id" in result.stderr


@pytest.mark.parametrize(
    ("status", "delivery"),
    [("成功", "delivered"), ("DELIVRD", "delivered"), ("success", "delivered"),
     ("失败", "failed"), ("UNDELIV", "failed"), ("MK:0001", "failed"), ("REJECTD", "failed"),
     ("发送失败", "failed"), ("等待回执", "pending"), ("UNKNOWN", "pending"), ("?", None)],
)  # fmt: skip
def test_the_platforms_status_words(status, delivery):
    from sixplustwo.domain.receipts import delivery_of

    assert delivery_of(status) == delivery


# -- the report keeps a missed notice --------------------------------------------------------


def test_a_late_handover_leaves_the_unsent_notice_missed(cli, cli_json, monkeypatch):
    """The project delivers 2024-04-25: the notice is due 04-15. A handover on the due day
    cancels an unsent notice; one after it leaves it missed, and off the morning list."""
    from datetime import date

    cli("project", "add", "DN1", "--name", "交付一期", "--delivery-date", "2024-04-25")
    ids = {}
    for unit in ("on-due", "late"):
        ids[unit] = cli_json(
            "owner", "add", "--name", f"客户{unit}", "--phone", "13900000009" if unit == "late"
            else "13900000008", "--project", "DN1", "--unit", unit, "--signed", "2023-01-01",
        )["id"]  # fmt: skip
    notice = "o{}:delivery-notice"
    assert {notice.format(i) for i in ids.values()} <= _listed(cli_json, "2024-04-16")
    cli("owner", "edit", ids["on-due"], "--delivered", "2024-04-15")
    cli("owner", "edit", ids["late"], "--delivered", "2024-04-20")
    listed = _listed(cli_json, "2024-04-21")
    assert not {notice.format(i) for i in ids.values()} & listed
    late = notice.format(ids["late"])
    assert _status(cli_json, ids["late"], late, "2024-04-21") == ("missed", None)
    monkeypatch.setattr("sixplustwo.cli.report.today", lambda: date(2024, 4, 30))
    report = cli_json("report", "--project", "DN1", "--from", "2024-04-01", "--to", "2024-04-30")
    counts = next(r for r in report["rules"] if r["rule"] == "delivery-notice")
    # Within its grace days still, and yet missed: the handover came first.
    assert (counts["missed"], counts["open"], counts["on_time"]) == (1, 0, 0)
    assert json.dumps(report)  # plain JSON


def test_receipts_read_on_the_day_leave_the_greeting_on_the_list(
    cli, cli_json, owners, tmp_path, monkeypatch
):
    """Read the same day, the re-opened greeting is on today's list (nothing named missed);
    read the day after, it is past its day and the output says so."""
    from datetime import UTC, datetime

    from sixplustwo.cli import context

    first, _ = owners
    _sent(cli, tmp_path)
    report = tmp_path / "report.csv"
    report.write_text(f"action_id,status\no{first}:birthday:2024,UNDELIV\n", "utf-8")
    monkeypatch.setattr(context, "_now", lambda: datetime(2024, 1, 5, 9, 0, tzinfo=UTC))
    same_day = cli_json("export", "receipts", report)
    assert same_day["reopened"] == [f"o{first}:birthday:2024"] and same_day["missed"] == []
    cli("undo")
    monkeypatch.setattr(context, "_now", lambda: datetime(2024, 1, 6, 9, 0, tzinfo=UTC))
    later = cli("export", "receipts", report).stdout
    assert "(missed)" in later and f"o{first}:birthday:2024" in later
