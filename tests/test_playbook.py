"""Playbook overrides: a TOML file for one run or stored in the database, refused with its line."""

from __future__ import annotations

import tomllib

import pytest

from sixplustwo.domain.playbook import default_playbook, parse_playbook, playbook_toml


def test_toml_output_is_the_default_playbook_read_back(cli, empty_db):
    text = cli("playbook", "--format", "toml").stdout
    assert tomllib.loads(text)["rules"]["revisit-3m"]["due"] == "+3mo+14d"
    assert parse_playbook(text) == default_playbook()


def _write(tmp_path, text: str):
    path = tmp_path / "company.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_override_changes_offsets_titles_and_turns_rules_off(cli, cli_json, project, tmp_path):
    cli_json("owner", "add", "--name", "王伟", "--phone", "13812345678", "--project", "HY1",
             "--unit", "1-101", "--signed", "2024-01-02", "--delivered", "2024-06-30")  # fmt: skip
    path = _write(
        tmp_path,
        '[rules.revisit-3m]\ndue = "+3mo+20d"\ntitle = "入住三个月回访（本公司）"\n\n'
        "[rules.birthday]\nenabled = false\n",
    )
    default = {r["rule"]: r for r in cli_json("due", "--date", "2024-10-05")}
    assert default["revisit-3m"]["due_on"] == "2024-10-14"
    overridden = {r["rule"]: r for r in cli_json("--playbook", path, "due", "--date", "2024-10-05")}
    assert overridden["revisit-3m"]["due_on"] == "2024-10-20"
    assert overridden["revisit-3m"]["title"] == "入住三个月回访（本公司）"
    rules = {r["rule"] for r in cli_json("--playbook", path, "playbook")}
    assert "birthday" not in rules and "revisit-3m" in rules
    assert len(rules) == len(default_playbook().rules) - 1


def test_stored_playbook_stays_in_force_until_reset(cli, cli_json, tmp_path, monkeypatch):
    path = _write(tmp_path, "[settings]\nworkdays = true\n\n[rules.first-contact]\ngrace = 10\n")
    assert "in force" in cli("playbook", "--use", path).stdout
    rules = {r["rule"]: r for r in cli_json("playbook")}
    assert rules["first-contact"]["grace"] == 10
    monkeypatch.setenv("SIXPLUSTWO_LANG", "zh")
    assert "工作日顺延" in cli("playbook").stdout
    monkeypatch.setenv("SIXPLUSTWO_LANG", "en")
    assert "(working days)" in cli("playbook").stdout
    cli("playbook", "--reset")
    assert {r["rule"]: r for r in cli_json("playbook")}["first-contact"]["grace"] == 30


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("title =\n", "line 7: Invalid value"),  # not TOML: a key with no value
        ('anchor = "moon_phase"\n', "line 7: rule 'first-contact': unknown anchor 'moon_phase'"),
        ('due = "+3weeks"\n', "line 7: rule 'first-contact': offset '+3weeks'"),
        ("colour = 3\n", "line 7: rule 'first-contact': unknown key 'colour'"),
    ],
)
def test_a_bad_file_is_refused_with_its_line_and_nothing_is_stored(
    cli, cli_json, tmp_path, body, reason, empty_db
):
    lines = "# company playbook\n\n[settings]\nworkdays = false\n\n[rules.first-contact]\n"
    path = _write(tmp_path, lines + body)
    for args in (("--playbook", path, "due"), ("playbook", "--use", path)):
        result = cli(*args, ok=False)
        assert result.exit_code == 1, args
        assert result.stderr.startswith(f"sixplustwo: error: {path}, line 7")
        assert reason in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
        assert "Traceback" not in result.stderr
    assert {r["rule"] for r in cli_json("playbook")} == {r.name for r in default_playbook()}


def test_toml_text_survives_quotes_and_newlines_in_templates():
    rule = default_playbook().get("birthday")
    book = parse_playbook(
        '[rules.birthday]\ntemplate = "他说：\\"生日快乐\\"\\n——{project}"\n',
        base=default_playbook(),
    )
    assert book.get("birthday").template == '他说："生日快乐"\n——{project}'
    assert parse_playbook(playbook_toml(book)).get("birthday") == book.get("birthday") != rule
