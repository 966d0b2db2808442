"""Satisfaction: scores on revisits and surveys, and third-party survey files."""

from __future__ import annotations

from dbsql import sql


def _surveys(db_path):
    return sql(
        db_path,
        "SELECT owner_id, kind, happened_on, score, note, channel FROM event ORDER BY id",
    )


def _owner(cli_json, unit="1-101", phone="13812345678"):
    journey = ["--signed", "2024-01-02", "--delivered", "2024-06-30"]
    added = cli_json("owner", "add", "--name", "王伟", "--phone", phone, "--project", "HY1",
                     "--unit", unit, *journey)  # fmt: skip
    return added["id"]


def test_done_records_the_revisit_score_and_comment(cli, cli_json, project, db_path):
    owner = _owner(cli_json)
    cli(
        "done",
        f"o{owner}:revisit-3m",
        "--date",
        "2024-10-05",
        "--score",
        "4",
        "--note",
        "门窗已修好",
    )
    assert _surveys(db_path) == [(owner, "revisit-3m", "2024-10-05", 4, "门窗已修好", None)]
    shown = cli_json("owner", "show", str(owner))
    assert shown["events"][0]["score"] == 4
    bad = cli(
        "done", f"o{owner}:quality-check-1y", "--date", "2025-07-05", "--score", "6", ok=False
    )
    assert bad.exit_code == 1 and "satisfaction scores are 1 to 5" in bad.stderr
    assert len(_surveys(db_path)) == 1


def test_third_party_survey_file_becomes_survey_events(cli, cli_json, project, tmp_path, db_path):
    first = _owner(cli_json)
    second = _owner(cli_json, "1-102", "13900001111")
    path = tmp_path / "survey.csv"
    path.write_text(
        "业主编号,项目,房号,调查日期,满意度,意见,调查机构\n"
        f"o{first},,,2025-03-01,5,管家很负责,赛惟咨询\n"
        ",HY1,1-102,2025/3/2,3,,\n",
        encoding="utf-8",
    )
    imported = {"rows": 2, "imported": 2, "skipped": 0, "dry_run": False}
    result = cli_json("survey", "import", path)
    assert {key: result[key] for key in imported} == imported
    recorded = sql(db_path, "SELECT id FROM event WHERE kind = 'survey' ORDER BY id")
    assert result["event_ids"] == [event_id for (event_id,) in recorded]  # it names them
    assert _surveys(db_path) == [
        (first, "survey", "2025-03-01", 5, "管家很负责", "赛惟咨询"),
        (second, "survey", "2025-03-02", 3, None, "第三方调查"),
    ]


def test_a_bad_survey_file_is_refused_whole_with_row_numbers(
    cli, cli_json, project, tmp_path, db_path
):
    _owner(cli_json)
    path = tmp_path / "survey.csv"
    path.write_text(
        "业主编号,日期,评分\no1,2025-03-01,5\no99,2025-03-01,4\no1,2025-03-01,七\no1,2999-01-01,2\n",
        encoding="utf-8",
    )
    result = cli("survey", "import", path, ok=False)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines[:3] == [
        "row 3: no owner o99",
        "row 4, column 评分: '七' is not a score from 1 to 5",
        "row 5: date 2999-01-01 is in the future",
    ]
    assert lines[-1].endswith("3 bad row(s); nothing imported")
    assert _surveys(db_path) == []
