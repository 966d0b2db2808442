"""export for cron, the audit log, and personal-data protection."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from datetime import date

import pytest

from dbsql import holding_lock, is_server, sql, stored_text
from sixplustwo.io import exporting

DAY = "2024-06-10"  # also 端午节 2024
# Rows for the SMS platform on DAY: the visit follow-up, and for the signed owner the birthday,
# the 端午 greeting and the delivery notice.
SMS_ROWS = 4


@pytest.fixture
def journey(cli, cli_json, project):
    """Two owners with something due on DAY: a visit follow-up, and for the signed one a
    birthday and the delivery notice (the project delivers on 2024-06-30)."""
    first = cli_json(
        "owner", "add", "--name", "王伟", "--phone", "13812345678", "--project", project,
        "--unit", "1-101", "--visited", "2024-06-09", "--butler", "李晓",
    )["id"]  # fmt: skip
    second = cli_json(
        "owner", "add", "--name", "李娜", "--phone", "13900001111", "--project", project,
        "--unit", "1-102", "--signed", "2024-01-02", "--birthday", "1985-06-10",
    )["id"]  # fmt: skip
    return first, second


def _audit(db_path):
    return sql(db_path, "SELECT command, detail, rows, target FROM audit")


def test_csv_for_the_sms_platform(cli, journey, tmp_path, db_path):
    out = tmp_path / "sms.csv"
    cli("export", "--date", DAY, "--format", "csv", "--out", out)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    by_rule = {row["rule"]: row for row in rows}
    # Project actions have nobody to message: they go to the calendar only. DAY is 端午节
    # 2024, so the signed owner is greeted too, with the festival's own template.
    assert set(by_rule) == {"visit-followup", "birthday", "delivery-notice", "holiday-greeting"}
    greeting = by_rule["holiday-greeting"]
    assert greeting["message"].startswith("尊敬的李娜，端午安康！")
    assert greeting["title"] == "节日祝福" and greeting["owner"] == "李娜"
    birthday = by_rule["birthday"]
    assert birthday["phone"] == "13900001111"
    assert birthday["message"] == "尊敬的李娜，祝您生日快乐！——华苑一期客户管家"
    assert birthday["due_on"] == DAY and birthday["owner"] == "李娜" and birthday["unit"] == "1-102"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert _audit(db_path) == [("export", f"csv for {DAY} to sms", SMS_ROWS, str(out))]


def test_json_and_stdout(cli, journey):
    result = cli("export", "--date", DAY, "--format", "json", "--out", "-")
    rows = json.loads(result.stdout)
    assert {r["rule"] for r in rows} == {
        "visit-followup",
        "birthday",
        "delivery-notice",
        "holiday-greeting",
    }
    assert {r["phone"] for r in rows} == {"13812345678", "13900001111"}


def test_ics_parses_back_with_stable_uids(cli, journey, tmp_path):
    from icalendar import Calendar

    out = tmp_path / "team.ics"
    cli("export", "--date", DAY, "--format", "ics", "--out", out)
    calendar = Calendar.from_ical(out.read_bytes())
    events = list(calendar.walk("VEVENT"))
    uids = sorted(str(e["UID"]) for e in events)
    assert f"o{journey[1]}:birthday:2024@sixplustwo" in uids
    assert "p1:mock-acceptance@sixplustwo" in uids  # the fixture project delivers 2024-06-30
    birthday = next(e for e in events if "birthday" in str(e["UID"]))
    assert birthday.decoded("DTSTART") == date(2024, 6, 10)
    assert "生日祝福" in str(birthday["SUMMARY"])
    assert "13900001111" not in out.read_text("utf-8")  # the calendar shows masked phones
    again = tmp_path / "again.ics"
    cli("export", "--date", DAY, "--format", "ics", "--out", again)
    assert (
        sorted(str(e["UID"]) for e in Calendar.from_ical(again.read_bytes()).walk("VEVENT")) == uids
    )


def test_new_only_never_writes_an_action_twice(cli, cli_json, journey, tmp_path, db_path):
    first = tmp_path / "a.json"
    cli("export", "--date", DAY, "--format", "json", "--out", first, "--new-only")
    assert len(json.loads(first.read_text("utf-8"))) == SMS_ROWS
    second = tmp_path / "b.json"
    cli("export", "--date", DAY, "--format", "json", "--out", second, "--new-only")
    assert json.loads(second.read_text("utf-8")) == []
    # A skipped day: the follow-up is still due two days later and was already sent; a new
    # customer's follow-up is new.
    cli_json("owner", "add", "--name", "张敏", "--phone", "13700002222", "--project", "HY1",
             "--unit", "1-103", "--visited", "2024-06-11")  # fmt: skip
    third = tmp_path / "c.json"
    cli("export", "--date", "2024-06-12", "--format", "json", "--out", third, "--new-only")
    assert [r["owner"] for r in json.loads(third.read_text("utf-8"))] == ["张敏"]
    assert [row[2] for row in _audit(db_path)] == [SMS_ROWS, 0, 1]


def test_export_failing_half_way_leaves_no_file(cli, journey, tmp_path, monkeypatch, db_path):
    out = tmp_path / "sms.csv"

    real_fsync = os.fsync

    def crash(descriptor):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(exporting.os, "fsync", crash)
    result = cli("export", "--date", DAY, "--format", "csv", "--out", out, ok=False)
    monkeypatch.setattr(exporting.os, "fsync", real_fsync)
    assert result.exit_code == 1
    assert "No space left on device" in result.stderr
    assert list(tmp_path.glob("*sms.csv*")) == []
    assert _audit(db_path) == []  # and nothing is remembered as exported
    cli("export", "--date", DAY, "--format", "csv", "--out", out, "--new-only")
    assert len(out.read_text("utf-8-sig").splitlines()) == 1 + SMS_ROWS


def test_an_existing_file_is_replaced_whole(cli, journey, tmp_path):
    out = tmp_path / "sms.csv"
    out.write_text("old content that must go", encoding="utf-8")
    cli("export", "--date", DAY, "--format", "csv", "--out", out)
    assert "old content" not in out.read_text("utf-8-sig")


def test_second_export_waits_then_says_why(cli, journey, tmp_path, db_path):
    with holding_lock(db_path, "export"):
        out = tmp_path / "sms.csv"
        result = cli("export", "--format", "csv", "--out", out, "--wait", "0.3", ok=False)
        assert result.exit_code == 1
        assert "another export is still running" in result.stderr
        assert not out.exists()


def test_csv_cells_that_look_like_formulas_are_neutralised():
    data = exporting.csv_bytes(
        [{"action_id": "o1:birthday:2024", "owner": "=HYPERLINK(1)", "unit": "-1+A1"}]
    )
    text = data.decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in text and ",'-1+A1," in text  # a plain number stays: see
    # tests/test_hostile_text.py


def test_reveal_is_audited_and_table_output_masks(cli, journey, db_path):
    masked = cli("owner", "show", journey[0]).stdout
    assert "138****5678" in masked and "13812345678" not in masked
    revealed = cli("owner", "show", journey[0], "--reveal").stdout
    assert "13812345678" in revealed
    assert _audit(db_path) == [("owner show --reveal", f"owner {journey[0]}", None, None)]


def test_no_greetings_means_no_birthday_and_no_greeting_rows(cli, cli_json, journey):
    cli("owner", "edit", journey[1], "--no-greetings")
    assert "birthday" not in {r["rule"] for r in cli_json("due", "--date", DAY)}
    rows = json.loads(cli("export", "--date", DAY, "--format", "json", "--out", "-").stdout)
    assert "birthday" not in {r["rule"] for r in rows}
    assert cli_json("owner", "show", journey[1])["wants_greetings"] is False


def test_forgotten_owner_leaves_no_trace_and_loses_future_actions(cli, cli_json, journey, db_path):
    owner_id = journey[1]
    cli("event", "add", owner_id, "signing-revisit", "--date", "2024-01-05", "--note", "李娜很满意")
    cli("owner", "forget", owner_id, "--yes")
    content = stored_text(db_path)
    for secret in ("李娜", "13900001111", "1985-06-10"):
        assert secret.encode("utf-8") not in content, secret
    shown = cli_json("owner", "show", owner_id, "--date", DAY)
    assert [a["status"] for a in shown["actions"]] == ["done"]  # the history stays, anonymous
    assert owner_id not in {r["owner_id"] for r in cli_json("due", "--date", DAY)}
    assert ("owner forget", f"owner {owner_id}", None, None) in _audit(db_path)


def test_audit_command_lists_exports(cli, cli_json, journey, tmp_path):
    cli("export", "--date", DAY, "--format", "csv", "--out", tmp_path / "x.csv")
    entries = cli_json("audit")
    assert entries[0]["command"] == "export" and entries[0]["rows"] == SMS_ROWS


def test_the_audit_names_the_user_and_on_a_server_the_database_role(
    cli, cli_json, journey, tmp_path, db_path
):
    import getpass

    cli("export", "--date", DAY, "--format", "csv", "--out", tmp_path / "sms.csv")
    me = getpass.getuser()
    if is_server(db_path):
        (role,) = sql(db_path, "SELECT current_user")[0]
        assert cli_json("audit")[0]["user"] == f"{role} ({me})"  # the role first (issue 32)
    else:
        assert cli_json("audit")[0]["user"] == me
