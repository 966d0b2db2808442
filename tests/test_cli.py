"""The command-line contract of SPEC §4, through CliRunner."""

from __future__ import annotations

import pytest

from dbsql import sql
from sixplustwo.domain.clock import today_in  # the company's day, as the commands take it
from sixplustwo.domain.playbook import default_playbook


def _count(db_path, table):
    return sql(db_path, f"SELECT COUNT(*) FROM {table}")[0][0]


def add_owner(cli_json, **options):
    values = {"name": "王伟", "phone": "13812345678", "project": "HY1", "unit": "1-101"}
    values.update(options)
    args = ["owner", "add"]
    for key, value in values.items():
        args += [f"--{key.replace('_', '-')}", value]
    return cli_json(*args)["id"]


def test_owner_add_prints_id_and_list_masks_phone(cli, cli_json, project):
    owner_id = add_owner(cli_json, signed="2024/1/5", butler="李晓")
    assert isinstance(owner_id, int)
    plain = cli(
        "owner",
        "add",
        "--name",
        "李娜",
        "--phone",
        "+86 139-0000-1111",
        "--project",
        project,
        "--unit",
        "1-102",
    )
    assert plain.stdout.strip() == str(owner_id + 1)
    listed = cli_json("owner", "list")
    assert [row["phone"] for row in listed] == ["138****5678", "139****1111"]
    first = listed[0]
    for field in (
        "id",
        "name",
        "phone",
        "project",
        "unit",
        "stage",
        "butler",
        "signed",
        "delivered",
    ):
        assert field in first
    assert first["signed"] == "2024-01-05"
    assert first["stage"] == "awaiting delivery"
    table = cli("owner", "list").stdout
    assert "138****5678" in table and "13812345678" not in table


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"phone": "12345"}, "phone"),
        ({"phone": "12812345678"}, "mainland mobile"),
        ({"signed": "2024-02-30"}, "signed"),
        ({"project": "NOPE"}, "unknown project"),
        (
            {"signed": "2024-05-01", "delivered": "2024-04-01"},
            "delivered 2024-04-01 is before signed",
        ),
        ({"birthday": "2999-01-01"}, "birthday 2999-01-01 is in the future"),
    ],
)
def test_bad_owner_input_is_one_line_exit_1_and_writes_nothing(
    cli, project, db_path, options, message
):
    values = {"--name": "王伟", "--phone": "13812345678", "--project": project, "--unit": "1-101"}
    values.update({f"--{k}": v for k, v in options.items()})
    args = ["owner", "add"] + [item for pair in values.items() for item in pair]
    result = cli(*args, ok=False)
    assert result.exit_code == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert _count(db_path, "owner") == 0


def test_same_flat_twice_is_refused(cli, cli_json, project, db_path):
    add_owner(cli_json)
    result = cli(
        "owner",
        "add",
        "--name",
        "李娜",
        "--phone",
        "13900001111",
        "--project",
        project,
        "--unit",
        "1-101",
        ok=False,
    )
    assert result.exit_code == 1
    assert "already belongs to owner" in result.stderr
    assert _count(db_path, "owner") == 1


def test_usage_error_exits_2(cli):
    result = cli("due", "--format", "yaml", ok=False)
    assert result.exit_code == 2
    assert cli("owner", "add", "--name", "x", ok=False).exit_code == 2


def test_unknown_ids_exit_1(cli, project):
    for args in (
        ["owner", "show", "99"],
        ["done", "o99:revisit-3m"],
        ["case", "resolve", "5"],
        ["done", "garbage"],
    ):
        result = cli(*args, ok=False)
        assert result.exit_code == 1, args
        assert result.stderr.startswith("sixplustwo: error:")


def test_due_lists_json_fields_and_done_completes(cli, cli_json, project):
    owner_id = add_owner(
        cli_json,
        signed="2024-03-01",
        delivered="2024-03-20",
        butler="李晓",
    )
    rows = cli_json("due", "--date", "2024-06-25")
    revisit = [r for r in rows if r["rule"] == "revisit-3m"]
    assert len(revisit) == 1
    row = revisit[0]
    expected_fields = {
        "action_id",
        "rule",
        "step",
        "status",
        "opens_on",
        "due_on",
        "owner_id",
        "owner",
        "project",
        "unit",
        "butler",
    }
    assert expected_fields <= set(row)
    assert row == row | {
        "action_id": f"o{owner_id}:revisit-3m",
        "step": "5",
        "status": "open",
        "opens_on": "2024-06-20",
        "due_on": "2024-07-04",
        "owner_id": owner_id,
        "owner": "王伟",
        "project": "HY1",
        "unit": "1-101",
        "butler": "李晓",
        "phone": "138****5678",
    }
    cli("done", row["action_id"], "--date", "2024-06-24", "--channel", "电话")
    again = cli_json("due", "--date", "2024-06-25")
    assert not [r for r in again if r["rule"] == "revisit-3m"]
    repeat = cli("done", row["action_id"], "--date", "2024-06-24", ok=False)
    assert repeat.exit_code == 1 and "already done" in repeat.stderr


def test_due_orders_overdue_first_and_filters(cli, cli_json, project):
    cli("project", "add", "JL1", "--name", "锦澜府")
    add_owner(cli_json, visited="2024-06-01", butler="李晓", unit="A")  # overdue on 06-10
    add_owner(cli_json, visited="2024-06-09", butler="陈静", unit="B")  # open
    add_owner(cli_json, project="JL1", subscribed="2024-06-08", butler="陈静", unit="C")
    everything = cli_json("due", "--date", "2024-06-10")
    assert [r["rule"] for r in everything if r["owner_id"] is None] == ["mock-acceptance"]
    rows = [r for r in everything if r["owner_id"] is not None]
    assert [r["status"] for r in rows] == ["overdue", "open", "open"]
    assert rows[0]["unit"] == "A"
    assert [r["unit"] for r in cli_json("due", "--date", "2024-06-10", "--butler", "陈静")] == [
        "B",
        "C",
    ]
    assert [r["unit"] for r in cli_json("due", "--date", "2024-06-10", "--project", "JL1")] == ["C"]
    assert [r["unit"] for r in cli_json("due", "--date", "2024-06-10", "--step", "2")] == ["C"]
    csv_out = cli("due", "--date", "2024-06-10", "--format", "csv").stdout.splitlines()
    assert csv_out[0].startswith("action_id,rule,step,")
    assert len(csv_out) == 1 + len(everything)
    assert "days_overdue" in rows[0] and rows[0]["days_overdue"] == 6


def test_empty_day_says_so(cli, project):
    result = cli("due", "--date", "2024-01-01")
    assert "nothing due" in result.stdout
    assert cli("due", "--date", "2024-01-01", "--format", "json").stdout.strip() == "[]"


def test_event_add_completes_by_kind_and_case_flow(cli, cli_json, project):
    owner_id = add_owner(cli_json, subscribed="2024-06-01")
    completed = cli_json(
        "event", "add", owner_id, "first-contact", "--date", "2024-06-03", "--channel", "短信"
    )
    assert completed["completed"] == [f"o{owner_id}:first-contact"]
    case_id = cli_json(
        "case", "open", owner_id, "--kind", "repair", "--note", "地漏返味", "--date", "2024-06-05"
    )["id"]
    rows = cli_json("due", "--date", "2024-06-20")
    case_rows = [r for r in rows if r["rule"] == "case-resolve"]
    assert case_rows[0]["status"] == "overdue" and case_rows[0]["due_on"] == "2024-06-08"
    cli("case", "resolve", case_id, "--date", "2024-06-21")
    revisit = [r for r in cli_json("due", "--date", "2024-06-21") if r["rule"] == "case-revisit"]
    assert revisit[0]["action_id"] == f"c{case_id}:case-revisit"
    cli("event", "add", owner_id, "case-revisit", "--date", "2024-06-22", "--score", "5")
    assert not [r for r in cli_json("due", "--date", "2024-06-23") if r["rule"].startswith("case")]
    assert cli_json("case", "list")[0]["resolved_on"] == "2024-06-21"


def test_project_actions_and_milestones(cli, cli_json):
    cli("project", "add", "JL1", "--name", "锦澜府", "--delivery-date", "2024-12-31")
    owner_id = add_owner(cli_json, project="JL1", signed="2024-01-10")
    cli("project", "milestone", "JL1", "topping-out", "--date", "2024-05-01")
    rows = cli_json("due", "--date", "2024-05-03")
    assert f"o{owner_id}:milestone-bulletin:m1" in [r["action_id"] for r in rows]
    project_rows = [r for r in cli_json("due", "--date", "2024-09-20") if r["owner_id"] is None]
    assert {r["rule"] for r in project_rows} == {"delivery-risk-check", "site-open-day"}
    assert all(r["owner"] is None and r["unit"] is None for r in project_rows)
    cli("done", "p1:delivery-risk-check", "--date", "2024-09-19")
    left = {r["rule"] for r in cli_json("due", "--date", "2024-09-20") if r["owner_id"] is None}
    assert left == {"site-open-day"}


def test_owner_show_timeline(cli, cli_json, project):
    owner_id = add_owner(
        cli_json, signed="2023-01-10", delivered="2023-11-30", birthday="1988-02-29"
    )
    shown = cli_json("owner", "show", owner_id, "--date", "2024-03-01")
    assert shown["stage"] == "resident"
    by_rule = {a["rule"]: a for a in shown["actions"]}
    assert by_rule["revisit-3m"]["opens_on"] == "2024-02-29"
    assert by_rule["revisit-3m"]["status"] == "open"
    table = cli("owner", "show", owner_id, "--date", "2024-03-01").stdout
    assert "入住3个月居住回访" in table and "138****5678" in table and "13812345678" not in table


def test_owner_edit_and_forget(cli, cli_json, project, db_path):
    owner_id = add_owner(cli_json, signed="2024-01-10")
    cli("owner", "edit", owner_id, "--delivered", "2024-06-01", "--butler", "陈静")
    assert cli_json("owner", "show", owner_id)["delivered"] == "2024-06-01"
    bad = cli("owner", "edit", owner_id, "--delivered", "2023-01-01", ok=False)
    assert bad.exit_code == 1 and "before signed" in bad.stderr
    assert cli_json("owner", "show", owner_id)["delivered"] == "2024-06-01"
    cli("owner", "edit", owner_id, "--clear", "delivered")
    assert cli_json("owner", "show", owner_id)["delivered"] is None
    cli("owner", "forget", owner_id, "--yes")
    shown = cli_json("owner", "show", owner_id)
    assert shown["name"] is None and shown["phone"] == "" and shown["stage"] == "forgotten"
    if not isinstance(db_path, str):  # a file (on a server: the row, above)
        assert b"13812345678" not in db_path.read_bytes()


def test_playbook_lists_every_rule(cli_json, empty_db):
    rules = cli_json("playbook")
    assert [r["rule"] for r in rules] == [rule.name for rule in default_playbook()]
    assert {"revisit-3m", "birthday", "holiday-greeting", "renovation-4y"} <= {
        r["rule"] for r in rules
    }
    revisit = next(r for r in rules if r["rule"] == "revisit-3m")
    assert (revisit["opens"], revisit["due"], revisit["grace"]) == ("+3mo", "+3mo+14d", 30)


def test_db_option_and_env(cli, tmp_path, monkeypatch):
    explicit = tmp_path / "other.db"
    cli("--db", explicit, "project", "add", "X1", "--name", "测试")
    assert explicit.exists()
    cli("project", "add", "Y1", "--name", "环境")  # the $SIXPLUSTWO_DB one
    assert "X1" not in cli("project", "list").stdout


def test_demo_shows_every_rule_due(cli, tmp_path):
    target = tmp_path / "demo.db"
    result = cli("--db", target, "demo", "--format", "json")
    import json

    rows = json.loads(result.stdout)
    assert str(target) in result.stderr
    from sixplustwo.domain.calendars import festival_days

    today = today_in(None)
    festive = any(
        abs((day - today).days) <= 2 for year in (today.year - 1, today.year, today.year + 1)
        for _, day in festival_days(year)
    )  # fmt: skip
    # The samples move with today; festivals do not, so greetings show only around one.
    expected = {rule.name for rule in default_playbook()} - (
        set() if festive else {"holiday-greeting"}
    )
    assert {r["rule"] for r in rows} >= expected
    again = cli("--db", target, "demo", ok=False)
    assert again.exit_code == 1


def test_future_milestones_and_resolutions_are_refused(cli, cli_json, project, db_path):
    future = "2099-01-01"  # the last year a command accepts (domain/dates.py)
    result = cli("project", "milestone", project, "封顶", "--date", future, ok=False)
    assert result.exit_code == 1 and "is in the future" in result.stderr
    assert _count(db_path, "milestone") == 0
    owner_id = add_owner(cli_json)
    case_id = cli_json("case", "open", owner_id, "--kind", "repair", "--note", "漏水")["id"]
    result = cli("case", "resolve", case_id, "--date", future, ok=False)
    assert result.exit_code == 1 and "is in the future" in result.stderr
    assert cli_json("case", "list")[0]["resolved_on"] is None
