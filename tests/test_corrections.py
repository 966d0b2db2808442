"""Every mistake can be corrected (issue 15, point 5): ``undo`` from the journal of changes,
``event delete``, ``project milestone --id/--delete``, ``case reopen``, duplicate milestones
refused and survey files imported once."""

from __future__ import annotations

import getpass
import re

import pytest

from dbsql import sql

SIGNED = ["--signed", "2024-01-02"]


def _add(cli_json, unit="1-101", phone="13812345678", *dates):
    return cli_json(
        "owner", "add", "--name", "王伟", "--phone", phone, "--project", "HY1", "--unit", unit,
        *(dates or SIGNED),
    )["id"]  # fmt: skip


def _rows(db_path, statement, params=()):
    return sql(db_path, statement, params)


def _count(db_path, table):
    return _rows(db_path, f"SELECT COUNT(*) FROM {table}")[0][0]


def _status(cli_json, owner, action, day):
    actions = cli_json("owner", "show", owner, "--date", day)["actions"]
    return {a["action_id"]: a for a in actions}.get(action)


# -- undo ------------------------------------------------------------------------------------


def test_undo_owner_add_removes_the_owner_and_says_who_and_what(cli, cli_json, project, db_path):
    owner = _add(cli_json)
    dry = cli("undo", "--dry-run")
    assert dry.stdout.startswith("would undo: owner add --name")
    assert _count(db_path, "owner") == 1
    result = cli("undo")
    assert result.stdout.startswith("undone: owner add --name")
    assert f"({getpass.getuser()}, " in result.stdout
    assert _count(db_path, "owner") == 0
    missing = cli("owner", "show", owner, ok=False)
    assert missing.exit_code == 1 and f"no owner with id {owner}" in missing.stderr
    # The project came before: undo goes on to it, then there is nothing left.
    assert cli("undo").stdout.startswith("undone: project add HY1")
    nothing = cli("undo", ok=False)
    assert nothing.exit_code == 1 and "nothing of " in nothing.stderr


def test_undo_owner_edit_restores_the_previous_dates(cli, cli_json, project, db_path):
    owner = _add(cli_json, "1-101", "13812345678", "--signed", "2024-01-02", "--visited",
                 "2023-12-01")  # fmt: skip
    cli("owner", "edit", owner, "--signed", "2024-02-01", "--clear", "visited")
    edited = cli_json("owner", "show", owner)
    assert (edited["signed"], edited["visited"]) == ("2024-02-01", None)
    assert cli("undo").stdout.startswith(f"undone: owner edit {owner} --signed 2024-02-01")
    restored = cli_json("owner", "show", owner)
    assert (restored["signed"], restored["visited"]) == ("2024-01-02", "2023-12-01")


def test_undo_event_add_and_done_opens_the_action_again(cli, cli_json, project, db_path):
    owner = _add(cli_json, "1-101", "13812345678", "--visited", "2024-06-09")
    action = f"o{owner}:visit-followup"
    cli("event", "add", owner, "visit-followup", "--date", "2024-06-10")
    assert _status(cli_json, owner, action, "2024-06-11")["status"] == "done"
    cli("undo")
    assert _status(cli_json, owner, action, "2024-06-11")["status"] == "open"
    assert _count(db_path, "event") == 0
    cli("done", action, "--date", "2024-06-10")
    assert _status(cli_json, owner, action, "2024-06-11")["status"] == "done"
    cli("undo")
    assert _status(cli_json, owner, action, "2024-06-11")["status"] == "open"


def test_undo_done_with_a_problem_removes_the_repair_case_it_opened(
    cli, cli_json, project, db_path
):
    owner = _add(cli_json, "1-101", "13812345678", *SIGNED, "--delivered", "2024-06-30")
    cli("done", f"o{owner}:revisit-3m", "--date", "2024-10-05", "--problem", "1 地漏返味")
    assert _count(db_path, "service_case") == 1 and _count(db_path, "checklist_result") == 1
    cli("undo")
    assert [_count(db_path, t) for t in ("service_case", "checklist_result", "event")] == [0, 0, 0]


def test_undo_case_open_and_resolve(cli, cli_json, project, db_path):
    owner = _add(cli_json)
    case = cli_json("case", "open", owner, "--kind", "repair", "--note", "漏水", "--date",
                    "2024-07-01")["id"]  # fmt: skip
    cli("case", "resolve", case, "--date", "2024-07-03", "--note", "已修好")
    cli("undo")
    assert _rows(db_path, "SELECT resolved_on, resolution_note FROM service_case") == [(None, None)]
    assert _status(cli_json, owner, f"c{case}:case-resolve", "2024-07-10")["status"] == "overdue"
    cli("undo")
    assert _count(db_path, "service_case") == 0


def test_undo_milestone_takes_its_bulletins_with_it(cli, cli_json, project, db_path):
    owner = _add(cli_json)
    cli("project", "milestone", "HY1", "封顶", "--date", "2024-05-01")
    bulletin = f"o{owner}:milestone-bulletin:m1"
    assert _status(cli_json, owner, bulletin, "2024-05-02")["due_on"] == "2024-05-08"
    assert cli("undo").stdout.startswith("undone: project milestone HY1")
    assert _status(cli_json, owner, bulletin, "2024-05-02") is None
    assert _count(db_path, "milestone") == 0


def test_undo_owner_import_removes_inserted_rows_and_restores_updated_ones(
    cli, cli_json, project, tmp_path, db_path
):
    kept = _add(cli_json, "1-101", "13812345678", "--signed", "2024-01-02")
    path = tmp_path / "sales.csv"
    path.write_text(
        "姓名,手机,项目,房号,签约日期,管家\n"
        "王伟,13812345678,HY1,1-101,2024-03-03,李晓\n"
        "李娜,13900001111,HY1,1-102,2024-01-05,陈静\n"
        "张敏,13900002222,HY1,1-103,2024-01-06,陈静\n",
        encoding="utf-8",
    )
    before = _rows(db_path, "SELECT * FROM owner")
    summary = cli_json("owner", "import", path, "--update")
    assert (summary["imported"], summary["updated"]) == (2, 1)
    # One journal row for the inserted id range, one before-image for the updated owner.
    changes = "SELECT op, pk, pk_last FROM journal_change WHERE journal_id = "
    changes += "(SELECT MAX(id) FROM journal) ORDER BY seq"
    assert _rows(db_path, changes) == [
        ("insert", kept + 1, kept + 2),
        ("update", kept, kept),
    ]
    assert cli("undo").stdout.startswith("undone: owner import")
    assert _rows(db_path, "SELECT * FROM owner") == before


def test_undo_refuses_when_a_later_command_changed_the_same_rows(
    cli, cli_json, project, db_path, monkeypatch
):
    owner = _add(cli_json)
    monkeypatch.setattr(getpass, "getuser", lambda: "alice")
    cli("owner", "edit", owner, "--butler", "李晓")
    monkeypatch.setattr(getpass, "getuser", lambda: "bob")
    cli("owner", "edit", owner, "--butler", "陈静")
    refused = cli("undo", "--user", "alice", ok=False)
    assert refused.exit_code == 1
    assert "a later command changed the same records" in refused.stderr
    assert "owner edit 1 --butler 陈静 (bob, " in refused.stderr
    assert cli_json("owner", "show", owner)["butler"] == "陈静"
    # Once bob's edit is undone, alice's is the one to undo, past bob's work on another owner.
    assert cli("undo").stdout.startswith("undone: owner edit 1 --butler 陈静 (bob, ")
    other = _add(cli_json, "1-102", "13900001111")
    cli("owner", "edit", other, "--butler", "王强")
    assert cli("undo", "--user", "alice").stdout.startswith("undone: owner edit 1 --butler 李晓")
    assert cli_json("owner", "show", owner)["butler"] is None
    assert cli_json("owner", "show", other)["butler"] == "王强"


def test_undo_after_export_says_it_cannot(cli, cli_json, project, tmp_path, db_path):
    owner = _add(cli_json)
    cli("owner", "edit", owner, "--butler", "李晓")
    cli("export", "--format", "csv", "--out", tmp_path / "sms.csv", "--date", "2024-06-10")
    # The export is passed over (issue 29): the edit before it is refused, since the export
    # sent that owner's actions, and the refusal names the export.
    refused = cli("undo", ok=False)
    assert refused.exit_code == 1
    assert "cannot undo owner edit 1 --butler 李晓" in refused.stderr
    assert "a later export sent actions of the same records: export --format csv" in (
        refused.stderr
    )
    assert cli_json("owner", "show", owner)["butler"] == "李晓"
    dry = cli("undo", "--dry-run", ok=False)
    assert "a later export sent" in dry.stderr


def test_undo_is_audited_and_reads_leave_no_entry(cli, cli_json, project, db_path):
    owner = _add(cli_json)
    entries = _count(db_path, "journal")
    cli("owner", "show", owner)
    cli("owner", "show", owner, "--reveal")  # audited, but changes nothing to undo
    cli("due", "--date", "2024-06-10")
    cli("undo", "--dry-run")
    assert _count(db_path, "journal") == entries
    cli("undo")
    audit = cli_json("audit")[0]
    assert audit["command"] == "undo"
    assert audit["detail"].startswith("journal ") and ": owner add (" in audit["detail"]
    assert "13812345678" not in audit["detail"] and "王伟" not in audit["detail"]
    assert audit["rows"] == 1


def test_forget_cannot_be_undone_and_leaves_no_trace_in_the_journal(
    cli, cli_json, project, db_path
):
    owner = _add(cli_json)
    cli("owner", "edit", owner, "--birthday", "1980-05-06")
    cli("owner", "edit", owner, "--phone", "13900009999")
    cli("owner", "edit", owner, "--profile-consent", "yes", "--tag", "爱好:羽毛球")
    cli("owner", "edit", owner, "--untag", "爱好:羽毛球")
    cli("owner", "forget", owner, "--yes")
    refused = cli("undo", ok=False)
    assert "cannot be undone" in refused.stderr
    journal = repr(_rows(db_path, "SELECT * FROM journal")) + repr(
        _rows(db_path, "SELECT * FROM journal_change")
    )
    for trace in ("王伟", "13812345678", "13900009999", "1980-05-06", "羽毛球"):
        assert trace not in journal


# -- direct corrections ----------------------------------------------------------------------


def test_event_delete_opens_its_action_again(cli, cli_json, project, db_path):
    owner = _add(cli_json, "1-101", "13812345678", "--visited", "2024-06-09")
    action = f"o{owner}:visit-followup"
    cli("event", "add", owner, "visit-followup", "--date", "2024-06-10")
    event = cli_json("owner", "show", owner)["events"][0]
    assert event["kind"] == "visit-followup"
    shown = cli("owner", "show", owner).stdout
    # The event's id on its row of the screen, to give `event delete`; a rule's event by the
    # rule's title.
    assert re.search(rf"^ *{event['id']} +2024-06-10 +来访客户跟进", shown, re.M)
    deleted = cli_json("event", "delete", event["id"])
    assert deleted["reopened"] == [action]
    assert _status(cli_json, owner, action, "2024-06-11")["status"] == "open"
    missing = cli("event", "delete", event["id"], ok=False)
    assert missing.exit_code == 1 and f"no event with id {event['id']}" in missing.stderr
    cli("undo")
    assert _status(cli_json, owner, action, "2024-06-11")["status"] == "done"


def test_event_delete_takes_its_checklist_and_untouched_repair_case(
    cli, cli_json, project, db_path
):
    owner = _add(cli_json, "1-101", "13812345678", *SIGNED, "--delivered", "2024-06-30")
    cli("done", f"o{owner}:revisit-3m", "--date", "2024-10-05", "--problem", "1 地漏返味")
    event = cli_json("owner", "show", owner)["events"][0]["id"]
    deleted = cli_json("event", "delete", event)
    assert deleted["deleted_cases"] == [1] and deleted["kept_cases"] == []
    assert [_count(db_path, t) for t in ("service_case", "checklist_result", "event")] == [0, 0, 0]
    # A repair case worked on since is kept.
    cli("undo")
    cli("case", "resolve", 1, "--date", "2024-10-06")
    kept = cli_json("event", "delete", event)
    assert kept["kept_cases"] == [1] and _count(db_path, "service_case") == 1


def test_the_same_milestone_twice_is_refused_with_the_first_id(cli, cli_json, project, db_path):
    first = cli("project", "milestone", "HY1", "封顶", "--date", "2024-05-01")
    assert "(id 1)" in first.stdout
    again = cli("project", "milestone", "HY1", "topping-out", "--date", "2024-05-01", ok=False)
    assert again.exit_code == 1
    assert "milestone 封顶 on 2024-05-01 is already recorded (id 1)" in again.stderr
    assert _count(db_path, "milestone") == 1
    cli("project", "milestone", "HY1", "封顶", "--date", "2024-05-02")  # another day: fine
    assert [m["id"] for m in cli_json("project", "milestone", "HY1")] == [1, 2]


def test_milestone_redate_and_delete_change_the_bulletins_due(cli, cli_json, project, db_path):
    owner = _add(cli_json)
    cli("project", "milestone", "HY1", "封顶", "--date", "2024-05-01")
    cli("project", "milestone", "HY1", "落架", "--date", "2024-05-20")
    bulletin = f"o{owner}:milestone-bulletin:m1"
    assert _status(cli_json, owner, bulletin, "2024-05-25")["due_on"] == "2024-05-08"
    cli("project", "milestone", "HY1", "--id", "1", "--date", "2024-05-10")
    assert _status(cli_json, owner, bulletin, "2024-05-25")["due_on"] == "2024-05-17"
    clash = cli("project", "milestone", "HY1", "--id", "2", "封顶", "--date", "2024-05-10",
                ok=False)  # fmt: skip
    assert "already recorded (id 1)" in clash.stderr
    cli("project", "milestone", "HY1", "--delete", "1")
    actions = cli_json("owner", "show", owner, "--date", "2024-05-25")["actions"]
    bulletins = [a["action_id"] for a in actions if a["rule"] == "milestone-bulletin"]
    assert bulletins == [f"o{owner}:milestone-bulletin:m2"]
    wrong = cli("project", "milestone", "HY1", "--delete", "7", ok=False)
    assert wrong.exit_code == 1 and "project HY1 has no milestone 7" in wrong.stderr
    # A milestone whose bulletin was sent keeps its id: deleting it is refused.
    cli("done", f"o{owner}:milestone-bulletin:m2", "--date", "2024-05-21")
    sent = cli("project", "milestone", "HY1", "--delete", "2", ok=False)
    assert sent.exit_code == 1 and "already recorded as sent" in sent.stderr
    # The old form still records a milestone; --date is still required for it.
    assert cli("project", "milestone", "HY1", "封顶", ok=False).exit_code == 2


def test_case_reopen_opens_it_again_and_drops_its_revisit(cli, cli_json, project, db_path):
    owner = _add(cli_json)
    case = cli_json("case", "open", owner, "--kind", "repair", "--note", "漏水", "--date",
                    "2024-07-01")["id"]  # fmt: skip
    cli("case", "resolve", case, "--date", "2024-07-03")
    cli("done", f"c{case}:case-revisit", "--date", "2024-07-04")
    result = cli("case", "reopen", case)
    assert f"case {case} reopened" in result.stdout and "revisit" in result.stdout
    assert cli_json("case", "list", "--open")[0]["id"] == case
    assert _status(cli_json, owner, f"c{case}:case-resolve", "2024-07-05")["status"] == "overdue"
    assert _count(db_path, "event") == 0
    cli("case", "resolve", case, "--date", "2024-07-08")
    assert _status(cli_json, owner, f"c{case}:case-revisit", "2024-07-08")["status"] == "open"
    again = cli("case", "reopen", 99, ok=False)
    assert again.exit_code == 1 and "no case with id 99" in again.stderr
    cli("case", "reopen", case)
    refused = cli("case", "reopen", case, ok=False)
    assert refused.exit_code == 1 and f"case {case} is not resolved" in refused.stderr


def test_a_survey_file_imported_twice_adds_nothing_the_second_time(
    cli, cli_json, project, tmp_path, db_path
):
    first = _add(cli_json)
    _add(cli_json, "1-102", "13900001111")
    path = tmp_path / "survey.csv"
    path.write_text(
        "业主编号,项目,房号,调查日期,满意度,意见,调查机构\n"
        f"o{first},,,2025-03-01,5,管家很负责,赛惟咨询\n"
        ",华苑一期,1-102,2025/3/2,3,,\n",  # the project by its name
        encoding="utf-8",
    )
    assert (
        cli("survey", "import", path)
        .stdout.strip()
        .endswith("2 answers imported, 0 already recorded")
    )
    assert cli_json("survey", "import", path) == {
        "rows": 2,
        "imported": 0,
        "skipped": 2,
        "dry_run": False,
        "event_ids": [],  # it recorded none
    }
    assert _count(db_path, "event") == 2
    path.write_text(
        "业主编号,项目,房号,调查日期,满意度,意见,调查机构\n"
        f"o{first},,,2025-03-01,5,管家很负责,赛惟咨询\n"
        f"o{first},,,2025-06-01,4,,赛惟咨询\n",
        encoding="utf-8",
    )
    assert "1 answers imported, 1 already recorded" in cli("survey", "import", path).stdout
    assert _count(db_path, "event") == 3


@pytest.mark.parametrize("table", ["journal", "journal_change"])
def test_the_journal_tables_exist_after_migration(cli, project, db_path, table):
    assert _count(db_path, table) >= 0


def test_undo_playbook_use_restores_the_playbook_before(cli, cli_json, tmp_path):
    path = tmp_path / "ours.toml"
    path.write_text("[rules.first-contact]\ngrace = 10\n", encoding="utf-8")
    cli("playbook", "--use", path)
    path.write_text("[rules.first-contact]\ngrace = 20\n", encoding="utf-8")
    cli("playbook", "--use", path)
    cli("undo")
    assert {r["rule"]: r for r in cli_json("playbook")}["first-contact"]["grace"] == 10
    cli("undo")
    assert {r["rule"]: r for r in cli_json("playbook")}["first-contact"]["grace"] == 30


# -- found in review ---------------------------------------------------------------------------


def test_an_export_of_nothing_leaves_undo_to_the_last_real_change(cli, cli_json, project, tmp_path):
    """Cron exports run twice a day; one that wrote nothing must not stand between a butler's
    mistake and `undo`."""
    owner = _add(cli_json)
    cli("owner", "edit", owner, "--butler", "李晓")
    cli("export", "--format", "csv", "--out", tmp_path / "sms.csv", "--date", "2023-06-01")
    assert cli("undo").stdout.startswith("undone: owner edit")
    assert cli_json("owner", "show", owner)["butler"] is None


def test_undo_keeps_a_milestone_whose_bulletins_were_sent(cli, cli_json, project, db_path):
    """A bulletin names its milestone only in its action id: taking the milestone back would
    hand its id, and the bulletin's completion, to the next milestone recorded."""
    owner = _add(cli_json)
    cli("project", "milestone", "HY1", "封顶", "--date", "2024-05-01")
    sql(  # sent from another office, unjournaled here
        db_path,
        "INSERT INTO event (owner_id, kind, happened_on, action_id, recorded_at) "
        "VALUES (?, 'milestone-bulletin', '2024-05-02', ?, '2024-05-02 08:00:00.000000')",
        (owner, f"o{owner}:milestone-bulletin:m1"),
    )
    refused = cli("undo", ok=False)
    assert refused.exit_code == 1 and "bulletins were already recorded" in refused.stderr
    assert _count(db_path, "milestone") == 1


def test_an_undone_command_keeps_no_personal_data(cli, cli_json, project, db_path):
    _add(cli_json, "1-101", "13912345678")
    cli("undo")
    argv = " ".join(row[0] for row in _rows(db_path, "SELECT argv FROM journal"))
    assert "13912345678" not in argv and "王伟" not in argv
    assert "owner" in argv and "add" in argv


def test_an_update_file_cannot_make_an_owner_their_own_referrer(cli, cli_json, project, tmp_path):
    owner = _add(cli_json)
    path = tmp_path / "update.csv"
    path.write_text(f"id,推荐人\n{owner},{owner}\n", encoding="utf-8")
    refused = cli("owner", "import", path, "--update", ok=False)
    assert refused.exit_code == 1 and "cannot refer themselves" in refused.stderr


def test_a_future_date_stored_before_the_rule_does_not_block_other_edits(
    cli, cli_json, project, db_path
):
    owner = _add(cli_json, "1-102", "13900000000", "--visited", "2024-01-01")
    # written by an older release
    sql(db_path, "UPDATE owner SET visited_on = '2099-01-01' WHERE id = ?", (owner,))
    cli("owner", "edit", owner, "--butler", "李晓")
    assert cli_json("owner", "show", owner)["butler"] == "李晓"
    refused = cli("owner", "edit", owner, "--visited", "2099-02-01", ok=False)
    assert refused.exit_code == 1 and "in the future" in refused.stderr
