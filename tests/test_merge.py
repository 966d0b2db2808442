"""``owner merge KEEP OTHER`` (issue 28): two records of one customer folded into one: dates
KEEP lacks, events, cases, referrals both ways and tags move; OTHER's record and personal
data go; a dry run writes nothing; undo puts both back; audited."""

from __future__ import annotations

from dbsql import sql


def _add(cli, unit: str, *options: str, name: str = "周杰", phone: str = "13800000001") -> int:
    added = cli("owner", "add", "--name", name, "--phone", phone, "--project", "HY1",
                "--unit", unit, *options)  # fmt: skip
    return int(added.stdout)


def _twins(cli) -> tuple[int, int]:
    """One customer typed twice: KEEP signed, OTHER subscribed with a birthday and a butler."""
    keep = _add(cli, "5-1-1201", "--signed", "2024-03-08")
    other = _add(cli, "5-1-1202", "--subscribed", "2024-03-01", "--signed", "2024-03-09",
                 "--birthday", "1980-05-01", "--butler", "李晓", phone="13900000002")  # fmt: skip
    return keep, other


def _state(db_path) -> list[list[tuple]]:
    return [
        sql(db_path, f"SELECT * FROM {table} ORDER BY 1, 2")
        for table in ("owner", "event", "service_case", "owner_tag")
    ]


def test_merge_folds_the_other_record_into_the_kept_one(cli, cli_json, project, db_path):
    keep, other = _twins(cli)
    referred = _add(cli, "6-1-101", "--referred-by", str(other), name="李娜", phone="13900000003")
    cli("event", "add", other, "first-contact", "--date", "2024-03-05", "--note", "已联系")
    case = cli_json("case", "open", other, "--kind", "repair", "--note", "漏水", "--date",
                    "2024-07-01")["id"]  # fmt: skip
    cli("owner", "edit", other, "--profile-consent", "yes", "--tag", "爱好:羽毛球")
    summary = cli_json("owner", "merge", keep, other)
    assert summary["moved"] == {"event": 1, "service_case": 1, "checklist_result": 0}
    assert summary["referred"] == [referred] and summary["tags"] == ["爱好:羽毛球"]
    assert set(summary["taken"]) >= {"subscribed_on", "birthday", "butler"}
    row = sql(db_path, "SELECT subscribed_on, signed_on, birthday, butler, phone FROM owner "
              "WHERE id = ?", (keep,))  # fmt: skip
    assert row == [("2024-03-01", "2024-03-08", "1980-05-01", "李晓", "13800000001")]  # its own win
    assert sql(db_path, "SELECT id FROM owner WHERE id = ?", (other,)) == []
    assert sql(db_path, "SELECT referred_by FROM owner WHERE id = ?", (referred,)) == [(keep,)]
    assert sql(db_path, "SELECT owner_id, note FROM event WHERE kind = 'first-contact'") == [
        (keep, "已联系")
    ]
    assert sql(db_path, "SELECT owner_id FROM service_case WHERE id = ?", (case,)) == [(keep,)]
    assert sql(db_path, "SELECT owner_id, tag FROM owner_tag") == [(keep, "爱好:羽毛球")]
    # OTHER is listed nowhere; KEEP's timeline shows OTHER's completion as its own.
    assert [owner["id"] for owner in cli_json("owner", "list")] == [keep, referred]
    assert [owner["id"] for owner in cli_json("owner", "find", "周杰")] == [keep]
    actions = {a["action_id"]: a for a in cli_json("owner", "show", keep)["actions"]}
    assert actions[f"o{keep}:first-contact"]["status"] == "done"
    assert cli("owner", "show", other, ok=False).exit_code == 1
    audit = cli_json("audit")[0]
    assert audit["command"] == "owner merge"
    assert audit["detail"] == f"owner {other} into owner {keep}"


def test_a_dry_run_says_what_would_move_and_writes_nothing(cli, project, db_path):
    keep, other = _twins(cli)
    cli("event", "add", other, "first-contact", "--date", "2024-03-05")
    before = _state(db_path)
    out = cli("owner", "merge", keep, other, "--dry-run").stdout
    assert f"taken from owner {other}: Subscribed, Birthday, Butler" in out
    assert f"moved to owner {keep}: events 1" in out
    assert "dry run, nothing written" in out
    assert _state(db_path) == before


def test_undo_puts_both_records_back(cli, cli_json, project, db_path):
    keep, other = _twins(cli)
    _add(cli, "6-1-101", "--referred-by", str(other), name="李娜", phone="13900000003")
    cli("event", "add", other, "first-contact", "--date", "2024-03-05", "--note", "已联系")
    cli("owner", "edit", other, "--profile-consent", "yes", "--tag", "爱好:羽毛球")
    before = _state(db_path)
    cli("owner", "merge", keep, other)
    assert cli("undo").stdout.startswith("undone: owner merge")
    assert _state(db_path) == before


def test_referrals_between_the_two_are_dropped_and_named(cli, cli_json, project, db_path):
    keep = _add(cli, "5-1-1201")
    other = _add(cli, "5-1-1202", "--referred-by", str(keep), phone="13900000002")
    out = cli("owner", "merge", keep, other).stdout
    assert f"dropped: owner {other} referred by owner {keep}" in out
    assert sql(db_path, "SELECT id, referred_by FROM owner") == [(keep, None)]
    # The other way round: KEEP referred by OTHER, whose own referrer KEEP then takes.
    first = _add(cli, "7-1-101", name="赵敏", phone="13900000009")
    other = _add(cli, "5-1-1202", "--referred-by", str(first), phone="13900000002")
    cli("owner", "edit", keep, "--referred-by", str(other))
    summary = cli_json("owner", "merge", keep, other)
    assert summary["dropped_referrals"] == [{"owner": keep, "referred_by": other}]
    assert sql(db_path, "SELECT referred_by FROM owner WHERE id = ?", (keep,)) == [(first,)]


def test_the_first_referrer_of_keep_wins(cli, cli_json, project, db_path):
    one = _add(cli, "7-1-101", name="赵敏", phone="13900000008")
    two = _add(cli, "7-1-102", name="钱进", phone="13900000009")
    keep = _add(cli, "5-1-1201", "--referred-by", str(one))
    other = _add(cli, "5-1-1202", "--referred-by", str(two), phone="13900000002")
    summary = cli_json("owner", "merge", keep, other)
    assert summary["dropped_referrals"] == [{"owner": other, "referred_by": two}]
    assert sql(db_path, "SELECT referred_by FROM owner WHERE id = ?", (keep,)) == [(one,)]


def test_merge_refuses_two_projects_itself_and_the_forgotten(cli, project, db_path):
    cli("project", "add", "HY2", "--name", "华苑二期")
    keep = _add(cli, "5-1-1201")
    added = cli("owner", "add", "--name", "周杰", "--phone", "13900000002", "--project", "HY2",
                "--unit", "5-1-1201")  # fmt: skip
    elsewhere = int(added.stdout)
    before = _state(db_path)
    refused = cli("owner", "merge", keep, elsewhere, ok=False)
    assert refused.exit_code == 1 and "two projects" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert "merged with itself" in cli("owner", "merge", keep, keep, ok=False).stderr
    gone = _add(cli, "5-1-1203", phone="13900000004")
    cli("owner", "forget", gone, "--yes")
    assert "forgotten" in cli("owner", "merge", keep, gone, ok=False).stderr
    assert _state(db_path)[1:] == before[1:]


def test_a_journey_the_merge_would_break_is_refused(cli, project, db_path):
    keep = _add(cli, "5-1-1201", "--signed", "2024-03-01")
    other = _add(cli, "5-1-1202", "--subscribed", "2024-03-05", phone="13900000002")
    refused = cli("owner", "merge", keep, other, ok=False)
    assert refused.exit_code == 1
    assert len(sql(db_path, "SELECT id FROM owner")) == 2


def test_owners_are_named_as_elsewhere_and_twins_of_a_flat_merge(cli, project, db_path):
    keep, other = _twins(cli)
    out = cli("owner", "merge", "5-1-1201", "*0002").stdout
    assert f"owner {other} merged into owner {keep}" in out


def test_forgetting_keep_later_purges_the_merged_record_from_the_journal(cli, project, db_path):
    keep, other = _twins(cli)
    cli("owner", "merge", keep, other)
    kept = "SELECT before FROM journal_change"
    assert any("13900000002" in str(row) for row in sql(db_path, kept))
    cli("owner", "forget", keep, "--yes")
    assert not any("13900000002" in str(row) for row in sql(db_path, kept))
    assert "cannot be undone" in cli("undo", ok=False).stderr


def test_merge_in_chinese(cli, project, chinese):
    keep, other = _twins(cli)
    out = cli("owner", "merge", keep, other, "--dry-run").stdout
    assert "试运行，未写入" in out and "取自业主" in out


def test_twins_an_older_database_holds_are_merged_and_check_passes(cli, project, db_path):
    first = _add(cli, "5-1-1201", "--signed", "2024-03-08")
    twin = _add(cli, "5-1-1202", "--birthday", "1980-05-01", phone="13900000002")
    sql(db_path, "DROP INDEX ux_owner_flat")
    sql(db_path, "DELETE FROM schema_migration WHERE name = '0022_owner_flat_key'")
    sql(db_path, "UPDATE owner SET unit = '5栋1单元1201', unit_key = '5-1-1201' WHERE id = ?",
        (twin,))  # fmt: skip
    assert f"owners {first} and {twin} both have flat" in cli("check", ok=False).stderr
    cli("owner", "merge", first, twin)
    assert cli("check").exit_code == 0
    assert sql(db_path, "SELECT id, unit, birthday FROM owner") == [
        (first, "5-1-1201", "1980-05-01")
    ]


def test_what_was_sent_for_other_counts_as_sent_for_keep(cli, project, db_path, tmp_path):
    """A birthday greeting exported for OTHER is not exported again for KEEP (--new-only)."""
    keep, other = _twins(cli)
    day = "2026-05-01"  # OTHER's birthday, KEEP has none
    first = tmp_path / "sms1.csv"
    cli("export", "--format", "csv", "--out", first, "--date", day, "--new-only",
        "--destination", "sms2")  # fmt: skip
    assert f"o{other}:birthday:2026" in first.read_text("utf-8")
    cli("owner", "merge", keep, other)
    again = tmp_path / "sms2.csv"
    cli("export", "--format", "csv", "--out", again, "--date", day, "--new-only",
        "--destination", "sms2")  # fmt: skip
    assert "birthday" not in again.read_text("utf-8")
    cli("undo")  # the export passed over, the merge undone: the copied record goes with it
    assert sql(db_path, "SELECT COUNT(*) FROM export_log WHERE action_id = ?",
               (f"o{keep}:birthday:2026",)) == [(0,)]  # fmt: skip
