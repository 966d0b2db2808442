"""Issue 17, points 1, 2, 3 and 6: text that could drive a terminal is shown escaped and
refused on input; every CSV is safe in a spreadsheet; templates are data; every text field
is bounded. (README: "Hostile text".)"""

from __future__ import annotations

import csv
import io
import zipfile

import pytest

from dbsql import sql
from sixplustwo.domain.messages import MESSAGE_MAX, render_message, template_problem
from sixplustwo.domain.text import FORMULA_START, NAME_MAX, UNIT_MAX, safe_cell, visible

DAY = "2024-06-10"
# The sequences: set the window title and clear the screen; an OSC 8 link; a
# right-to-left override; the 8-bit CSI (C1); a bell; DEL.
TITLE_CLEAR = "\x1b]0;X\x1b\\\x1b[2J"
OSC8 = "\x1b]8;;http://evil.example/\x1b\\点我\x1b]8;;\x1b\\"
RLO = "王\u202e伟"
C1 = "\x9b2J李"
BEL = "\x07\x7f"
RAW = ("\x1b", "\u202e", "\x9b", "\x07", "\x7f", "\u2066")
MARKUP = "[bold]粗[/bold][link=http://evil.example]链[/link]"


def _add_owner(cli_json, name, unit, phone, *extra):
    return cli_json("owner", "add", "--name", name, "--phone", phone, "--project", "HY1",
                    "--unit", unit, "--butler", "李晓", *extra)["id"]  # fmt: skip


@pytest.fixture
def planted(cli, cli_json, project, db_path):
    """Owners, a case, a tag, an event, a milestone, a referral and an audit entry, then
    hostile text written straight into the database, as a database from before the input
    checks (or another tool) may hold it."""
    first = _add_owner(cli_json, "王伟", "1-101", "13812345678", "--visited", "2024-06-09",
                       "--signed", "2024-06-09")  # fmt: skip
    second = _add_owner(cli_json, "李娜", "1-102", "13812345679", "--signed", "2024-06-01",
                        "--delivered", "2024-06-05", "--referred-by", str(first))  # fmt: skip
    cli("case", "open", first, "--kind", "repair", "--note", "漏水", "--date", DAY)
    cli("owner", "edit", first, "--profile-consent", "yes", "--tag", "爱好:羽毛球")
    cli("event", "add", first, "call", "--date", "2024-06-09", "--note", "已联系")
    cli("project", "milestone", "HY1", "封顶", "--date", "2024-05-01")
    cli("owner", "show", first, "--reveal")  # an audit entry
    sql(db_path, "UPDATE owner SET name = ?, unit = ?, butler = ? WHERE id = ?",
        (TITLE_CLEAR + RLO, OSC8, C1 + BEL, first))  # fmt: skip
    sql(db_path, "UPDATE owner SET name = ? WHERE id = ?", (MARKUP, second))
    sql(db_path, "UPDATE project SET name = ?", ("华苑" + RLO,))
    sql(db_path, "UPDATE service_case SET note = ?", (TITLE_CLEAR + "漏水\u2066",))
    sql(db_path, "UPDATE owner_tag SET tag = ?", ("爱好:" + OSC8,))
    sql(db_path, "UPDATE event SET note = ?, channel = ?", (BEL + "\n第二行", C1))
    sql(db_path, "UPDATE milestone SET kind = ?, note = ?", ("封顶" + RLO, TITLE_CLEAR))
    sql(db_path, "UPDATE audit SET detail = ?", (TITLE_CLEAR,))
    return first, second


def _listings(first: int) -> list[tuple[str, ...]]:
    return [
        ("due", "--date", DAY),
        ("owner", "list"),
        ("owner", "show", str(first), "--date", DAY),
        ("case", "list"),
        ("action", "show", f"o{first}:visit-followup", "--date", DAY),
        ("referral", "list", "--date", DAY),
        ("report", "--from", "2024-06-01", "--to", DAY),
        ("audit",),
        ("project", "list"),
        ("project", "milestone", "HY1"),
    ]


@pytest.mark.parametrize("columns", ["220", "80", "40"])
def test_stored_hostile_text_is_shown_escaped_by_every_listing_and_show(
    cli, planted, monkeypatch, columns
):
    monkeypatch.setenv("COLUMNS", columns)
    first, _ = planted
    for args in _listings(first):
        result = cli(*args)
        out = result.stdout + result.stderr
        for raw in RAW:
            assert raw not in out, (args, raw)
        if columns == "220":  # narrower, a rich table may fold an escape across lines
            escapes = ("\\x1b", "\\u202e", "\\u2066", "\\x9b")
            assert any(escape in out for escape in escapes), args


def test_the_escapes_say_what_was_there(cli, planted):
    first, _ = planted
    shown = cli("owner", "show", str(first), "--date", DAY).stdout
    assert visible(TITLE_CLEAR + RLO) in shown  # \x1b]0;X\x1b\\x1b[2J王\u202e伟
    assert "\\x9b2J李\\x07\\x7f" in shown and "爱好:\\x1b]8;;http://evil.example/" in shown
    assert "\\x07\\x7f\\x0a第二行" in shown  # a note's newline, in a one-line row


def test_data_is_never_read_as_rich_markup(cli, planted):
    _, second = planted
    for args in (
        ("owner", "show", str(second), "--date", DAY),  # its header line is rich markup
        ("action", "show", f"o{second}:signing-revisit", "--date", DAY),  # and this one's
        ("owner", "list"),
        ("referral", "list", "--date", DAY),
    ):
        assert MARKUP in cli(*args).stdout, args


def test_error_lines_quoting_user_text_are_escaped(cli, project, tmp_path):
    path = tmp_path / "owners.csv"
    path.write_text(f"name,phone,project,unit,{TITLE_CLEAR}\n王伟,13812345678,HY1,1-1,x\n")
    result = cli("owner", "import", path, "--dry-run")
    assert "ignored columns: \\x1b]0;X\\x1b\\\\x1b[2J" in result.stderr
    assert "\x1b" not in result.stderr
    result = cli("owner", "list", "--project", OSC8, ok=False)
    assert result.exit_code == 1 and "\x1b" not in result.stderr and "\\x1b" in result.stderr


# -- input: refused with one line naming the field -----------------------------------------


@pytest.mark.parametrize("value", [TITLE_CLEAR, OSC8, RLO, C1, BEL, "王\x00伟", "王\n伟", "王\t伟"])
@pytest.mark.parametrize("option", ["--name", "--unit", "--butler"])
def test_owner_add_and_edit_refuse_control_and_bidi_characters(cli, cli_json, project, db_path,
                                                               option, value):  # fmt: skip
    args = {"--name": "王伟", "--unit": "1-101", "--butler": "李晓", option: value}
    result = cli("owner", "add", "--phone", "13812345678", "--project", "HY1",
                 *(x for pair in args.items() for x in pair), ok=False)  # fmt: skip
    field = option.removeprefix("--")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"sixplustwo: error: {field}: control or bidirectional")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not any(raw in result.stderr for raw in (*RAW, "\x00"))
    owner = _add_owner(cli_json, "王伟", "1-101", "13812345678")
    result = cli("owner", "edit", owner, option, value, ok=False)
    assert result.exit_code == 1 and f"{field}: control or bidirectional" in result.stderr
    assert sql(db_path, "SELECT name, unit, butler FROM owner") == [("王伟", "1-101", "李晓")]


def test_tags_projects_events_and_cases_refuse_them_too(cli, cli_json, project, tmp_path):
    owner = _add_owner(cli_json, "王伟", "1-101", "13812345678", "--signed", "2024-06-01")
    cli("owner", "edit", owner, "--profile-consent", "yes")
    refused = [
        (("owner", "edit", owner, "--tag", "爱好:" + OSC8), "tag:"),
        (("project", "add", "HY2", "--name", "华苑" + RLO), "project name:"),
        (("project", "add", "HY\x1b2", "--name", "华苑"), "project code:"),
        (("project", "edit", "HY1", "--city", "杭\x1b州"), "city:"),
        (("project", "milestone", "HY1", "封\u202e顶", "--date", "2024-05-01"), "milestone kind:"),
        (("event", "add", owner, "call", "--note", TITLE_CLEAR), "note:"),
        (("event", "add", owner, "call", "--channel", "电\n话"), "channel:"),
        (("event", "add", owner, "ca\x1bll"), "event kind:"),
        (("case", "open", owner, "--kind", "repair", "--note", OSC8), "note:"),
        (("done", f"o{owner}:signing-revisit", "--note", TITLE_CLEAR), "note:"),
        (("done", f"o{owner}:signing-revisit", "--channel", RLO), "channel:"),
        (("done", f"o{owner}:signing-revisit", "--problem", "1 " + C1), "problem:"),
    ]
    for args, field in refused:
        result = cli(*args, ok=False)
        assert result.exit_code == 1, args
        assert f"{field} control or bidirectional character" in result.stderr, args
        assert len(result.stderr.strip().splitlines()) == 1
    survey = _csv_file(tmp_path / "survey.csv", [
        ["业主编号", "日期", "评分", "意见", "调查机构"],
        [owner, "2024-06-09", "5", "满意\n很好", "第三方"],
        [owner, "2024-06-09", "4", TITLE_CLEAR, "第三方"],
        [owner, "2024-06-09", "4", "好", "第三方" + RLO],
    ])  # fmt: skip
    result = cli("survey", "import", survey, ok=False)
    assert result.stderr.splitlines()[:2] == [
        "row 3, column 意见: control or bidirectional character \\x1b is not allowed (character 1)",
        "row 4, column 调查机构: control or bidirectional character \\u202e is not allowed "
        "(character 5)",
    ]
    # Notes keep newlines and tabs (a Windows line end becomes \n).
    cli("event", "add", owner, "call", "--note", "第一行\r\n第二行\t列")
    assert cli_json("owner", "show", owner)["events"][0]["note"] == "第一行\n第二行\t列"


@pytest.mark.parametrize(
    ("args", "field", "most"),
    [
        (("--name", "王" * (NAME_MAX + 1)), "name", NAME_MAX),
        (("--unit", "1" * (UNIT_MAX + 1)), "unit", UNIT_MAX),
        (("--butler", "李" * 51), "butler", 50),
    ],
)
def test_every_text_field_has_a_maximum_length(cli, cli_json, project, args, field, most):
    base = {"--name": "王伟", "--unit": "1-101", "--butler": "李晓"}
    base[args[0]] = args[1]
    result = cli("owner", "add", "--phone", "13812345678", "--project", "HY1",
                 *(x for pair in base.items() for x in pair), ok=False)  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr == (
        f"sixplustwo: error: {field}: {most + 1} characters is too long (at most {most})\n"
    )
    base[args[0]] = args[1][:most]  # at the limit: accepted
    cli("owner", "add", "--phone", "13812345678", "--project", "HY1",
        *(x for pair in base.items() for x in pair))  # fmt: skip


def test_other_fields_have_their_limits(cli, cli_json, project):
    owner = _add_owner(cli_json, "王伟", "1-101", "13812345678")
    for args, message in [
        (("event", "add", owner, "call", "--note", "长" * 2001), "note: 2001 characters"),
        (("event", "add", owner, "call", "--channel", "电" * 51), "channel: 51 characters"),
        (("project", "add", "X" * 33, "--name", "华苑"), "project code: 33 characters"),
        (("project", "add", "HY2", "--name", "华" * 101), "project name: 101 characters"),
        (("case", "open", owner, "--kind", "repair", "--note", "长" * 2001), "note: 2001"),
    ]:
        result = cli(*args, ok=False)
        assert result.exit_code == 1 and message in result.stderr, args


def _csv_file(path, rows):
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def test_import_names_the_row_and_column_of_hostile_or_long_cells(cli, project, tmp_path,
                                                                  db_path):  # fmt: skip
    path = _csv_file(tmp_path / "hostile.csv", [
        ["姓名", "手机", "项目", "房号", "管家"],
        ["王伟", "13812345678", "HY1", "1-101", "李晓"],
        [TITLE_CLEAR, "13812345679", "HY1", "1-102", "李晓"],
        ["李娜", "13812345670", "HY1", OSC8, "李晓"],
        ["张敏", "13812345671", "HY1", "1-104", RLO],
        ["王\x00芳", "13812345672", "HY1", "1-105", "李晓"],
        ["赵" * 200_000, "13812345673", "HY1", "1-106", "李晓"],  # past csv's 131,072
        ["钱多", "13812345674", "HY1", "1-" + "1" * 60, "李晓"],
    ])  # fmt: skip
    result = cli("owner", "import", path, ok=False)
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[:6] == [
        "row 3, column 姓名: control or bidirectional character \\x1b is not allowed (character 1)",
        "row 4, column 房号: control or bidirectional character \\x1b is not allowed (character 1)",
        "row 5, column 管家: control or bidirectional character \\u202e is not allowed "
        "(character 2)",
        "row 6, column 姓名: control or bidirectional character \\x00 is not allowed (character 2)",
        "row 7, column 姓名: 200000 characters is too long (at most 100)",
        "row 8, column 房号: 62 characters is too long (at most 50)",
    ]
    assert lines[6].endswith("6 bad row(s); nothing imported")
    assert sql(db_path, "SELECT COUNT(*) FROM owner") == [(0,)]


def test_an_update_file_is_checked_the_same_way(cli, cli_json, project, tmp_path):
    _add_owner(cli_json, "王伟", "1-101", "13812345678")
    path = _csv_file(tmp_path / "update.csv", [["项目", "房号", "管家"], ["HY1", "1-101", C1]])
    result = cli("owner", "import", path, "--update", ok=False)
    assert "row 2, column 管家: control or bidirectional character \\x9b" in result.stderr


def _xlsx(path, rows, *, text_cells=()):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    for coordinate in text_cells:  # a text cell that starts with "=", not a formula
        sheet[coordinate].data_type = "s"
    workbook.save(path)
    return path


def test_xlsx_gets_the_same_checks_as_csv(cli, cli_json, project, tmp_path):
    # XML cannot carry C0 controls but ESC-free C1, DEL and the bidi marks it can.
    path = _xlsx(tmp_path / "hostile.xlsx", [
        ["姓名", "手机", "项目", "房号", "管家"],
        ["王伟", 13812345678, "HY1", "1-101", "李晓"],
        [C1, 13812345679, "HY1", "1-102", "李晓"],
        ["李娜", 13812345670, "HY1", "1-1\u202e03", "李晓"],
        ["张敏", 13812345671, "HY1", "1-104", "李\x7f晓"],
        ["王\n芳", 13812345672, "HY1", "1-105", "李晓"],
        ["赵" * 101, 13812345673, "HY1", "1-106", "李晓"],
    ])  # fmt: skip
    result = cli("owner", "import", path, ok=False)
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert result.stderr.splitlines()[:5] == [
        "row 3, column 姓名: control or bidirectional character \\x9b is not allowed (character 1)",
        "row 4, column 房号: control or bidirectional character \\u202e is not allowed "
        "(character 4)",
        "row 5, column 管家: control or bidirectional character \\x7f is not allowed (character 2)",
        "row 6, column 姓名: control or bidirectional character \\x0a is not allowed (character 2)",
        "row 7, column 姓名: 101 characters is too long (at most 100)",
    ]
    # A formula typed as text is a name like any other: stored as written, neutralised in CSV.
    formula = '=HYPERLINK("http://evil.example","点我")'
    path = _xlsx(tmp_path / "formula.xlsx", [
        ["姓名", "手机", "项目", "房号"], [formula, 13812345678, "HY1", "1-101"],
    ], text_cells=["A2"])  # fmt: skip
    cli("owner", "import", path)
    assert cli_json("owner", "list")[0]["name"] == formula
    assert list(csv.reader(io.StringIO(cli("owner", "list", "--format", "csv").stdout)))[1][1] == (
        "'" + formula
    )


def test_a_csv_cell_past_the_reader_limit_is_one_line(cli, project, tmp_path):
    from sixplustwo.io.importing import CSV_CELL_MAX

    path = tmp_path / "huge.csv"
    with path.open("w", encoding="utf-8") as file:
        file.write("name,phone,project,unit\n王伟,13812345678,HY1,1-1\n")
        file.write('"' + "x" * (CSV_CELL_MAX + 1) + '",13812345679,HY1,1-2\n')
    result = cli("owner", "import", path, ok=False)
    assert result.exit_code == 1
    assert result.stderr == (
        f"sixplustwo: error: {path}, line 3: a cell is longer than {CSV_CELL_MAX} characters\n"
    )


# -- CSV: safe in a spreadsheet ---------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example","y")', "+cmd|' /C calc'!A0", "-2+3+cmd|x",
            "@SUM(1+1)*cmd|x", "\tx=1", "\r=1"]  # fmt: skip


def _dangerous(cell: str) -> bool:
    return cell.startswith(FORMULA_START) and safe_cell(cell) != cell


def test_every_format_csv_neutralises_formula_cells(cli, cli_json, project, db_path, tmp_path):
    owners = [
        _add_owner(cli_json, f"业主{i}", f"1-{i}", f"1381234567{i}", "--visited", "2024-06-09")
        for i in range(len(FORMULAS))
    ]
    cli("owner", "edit", owners[1], "--referred-by", str(owners[0]))
    cli("case", "open", owners[0], "--kind", "repair", "--note", "漏水", "--date", DAY)
    cli("owner", "show", owners[0], "--reveal")
    for owner, formula in zip(owners, FORMULAS, strict=True):
        sql(db_path, "UPDATE owner SET name = ?, butler = ?, unit = ? WHERE id = ?",
            (formula, formula, formula + str(owner), owner))  # fmt: skip
    sql(db_path, "UPDATE service_case SET note = ?", (FORMULAS[0],))
    sql(db_path, "UPDATE audit SET detail = ?", (FORMULAS[1],))
    sql(db_path, "UPDATE project SET name = ?", (FORMULAS[2],))
    sms = tmp_path / "sms.csv"
    cli("export", "--date", DAY, "--format", "csv", "--out", sms)
    outputs = {
        "due": cli("due", "--date", DAY, "--format", "csv").stdout,
        "owner list": cli("owner", "list", "--format", "csv").stdout,
        "case list": cli("case", "list", "--format", "csv").stdout,
        "referral list": cli("referral", "list", "--date", DAY, "--format", "csv").stdout,
        "audit": cli("audit", "--format", "csv").stdout,
        "project list": cli("project", "list", "--format", "csv").stdout,
        "export": sms.read_text("utf-8-sig"),
    }
    for name, text in outputs.items():
        cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
        assert not [c for c in cells if _dangerous(c)], name
        assert any(c.startswith("'") and c[1:] in FORMULAS for c in cells), name


def test_plain_numbers_are_no_formula_and_stay_as_they_are(cli, cli_json, project, tmp_path):
    # A phone abroad is stored +852…: the SMS platform must get it as it is.
    owner = cli_json("owner", "add", "--name", "陈大文", "--phone", "+852 9123 4567",
                     "--project", "HY1", "--unit", "-1", "--visited", DAY)["id"]  # fmt: skip
    sms = tmp_path / "sms.csv"
    cli("export", "--date", DAY, "--format", "csv", "--out", sms)
    row = next(r for r in csv.DictReader(io.StringIO(sms.read_text("utf-8-sig"))))
    assert (row["phone"], row["unit"], row["owner_id"]) == ("+85291234567", "-1", str(owner))
    assert [safe_cell(x) for x in ("+1", "-3", "-2.5", "13812345678")] == [
        "+1", "-3", "-2.5", "13812345678"
    ]  # fmt: skip
    assert [safe_cell(x) for x in ("-1+A1", "+1e3", "=1", "@x", "\t1", "\r1", "- 1")] == [
        "'-1+A1", "'+1e3", "'=1", "'@x", "'\t1", "'\r1", "'- 1"
    ]  # fmt: skip


# -- templates are data ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "said"),
    [
        ("尊敬的{name.__class__}，生日快乐", "placeholder {name.__class__} is not allowed"),
        ("尊敬的{name[0]}，生日快乐", "placeholder {name[0]} is not allowed"),
        ("尊敬的{name!r}，生日快乐", "placeholder {name!r} is not allowed"),
        ("尊敬的{name:>30000000}", "placeholder {name:>30000000} is not allowed"),
        ("尊敬的{0}", "placeholder {0} is not allowed"),
        ("尊敬的{password}", "placeholder {password} is not allowed"),
        ("尊敬的{name，生日快乐", "a lone '{' at character 4"),
        ("生日快乐}", "a lone '}' at character 5"),
        ("祝" * (MESSAGE_MAX + 1) + "{name}", f"{MESSAGE_MAX + 1} characters without"),
        ("尊敬的\x1b[2J{name}", "control or bidirectional character \\x1b"),
    ],
)
def test_a_template_that_is_code_is_refused_naming_file_line_and_placeholder(
    cli, cli_json, empty_db, tmp_path, template, said
):
    from sixplustwo.domain.playbook_writing import _toml_value

    path = tmp_path / "company.toml"
    path.write_text(
        '# company playbook\n\n[rules.birthday]\ntitle = "生日祝福"\n'
        f"template = {_toml_value(template)}\n",
        encoding="utf-8",
    )
    for args in (("--playbook", path, "due"), ("playbook", "--use", path)):
        result = cli(*args, ok=False)
        assert result.exit_code == 1, args
        assert result.stderr.startswith(
            f"sixplustwo: error: {path}, line 5: rule 'birthday': template: "
        ), result.stderr
        assert said in result.stderr and len(result.stderr.splitlines()) == 1
        assert "\x1b" not in result.stderr
    stored = [r for r in cli_json("playbook") if r["rule"] == "birthday"]
    assert stored and "{name.__class__}" not in cli("playbook", "--format", "toml").stdout


def test_a_festival_template_is_named_by_its_own_line(cli, empty_db, tmp_path):
    path = tmp_path / "company.toml"
    path.write_text('[rules.holiday-greeting.templates]\n"春节" = "拜年"\n"中秋" = "{x.y}"\n')
    result = cli("playbook", "--use", path, ok=False)
    assert result.stderr.startswith(
        f"sixplustwo: error: {path}, line 3: rule 'holiday-greeting': templates.中秋: "
        "placeholder {x.y} is not allowed"
    )


def test_a_stored_template_refused_by_this_release_can_be_reset(cli, empty_db, db_path):
    sql(
        db_path,
        "INSERT INTO setting (name, value, updated_at) VALUES ('playbook', ?, 'then')",
        ('[rules.birthday]\ntemplate = "{name.__class__}"\n',),
    )
    result = cli("due", ok=False)
    assert result.exit_code == 1 and "stored playbook, line 2" in result.stderr
    cli("playbook", "--reset")
    cli("due")


def test_messages_fill_only_placeholders_and_are_cut_to_the_sms_limit(cli, cli_json, project,
                                                                     tmp_path):  # fmt: skip
    path = tmp_path / "company.toml"
    path.write_text('[rules.visit-followup]\ntemplate = "{{name}} {name}，{project}"\n')
    cli("project", "edit", "HY1", "--name", "华" * 100)
    _add_owner(cli_json, "王" * NAME_MAX, "1-101", "13812345678", "--visited", "2024-06-09")
    cli("playbook", "--use", path)
    rows = cli_json("export", "--date", DAY, "--format", "json", "--out", "-")
    message = next(r["message"] for r in rows if r["rule"] == "visit-followup")
    assert len(message) == MESSAGE_MAX and message.endswith("…")
    assert message.startswith("{name} " + "王" * NAME_MAX + "，" + "华" * 10)


def test_rendering_never_evaluates_or_pads():
    # A template that escaped the checks (none should) is text, not code.
    values = {"name": "王伟", "due_on": "2024-06-10"}
    assert render_message("{name.__class__}{name:>30000000}{name}", values) == (
        "{name.__class__}{name:>30000000}王伟"
    )
    assert render_message("{due_on} {{x}} {amount}", values) == "2024-06-10 {x} "
    assert template_problem("尊敬的{name}，{project}祝您{title}") is None


def test_the_default_playbook_passes_its_own_checks(cli, empty_db):
    assert "error" not in cli("playbook").stderr


def test_an_xlsx_that_is_not_a_zip_of_sheets_is_one_line(cli, project, tmp_path):
    path = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "x")
    result = cli("owner", "import", path, ok=False)
    assert result.exit_code == 1 and len(result.stderr.splitlines()) == 1


def test_json_and_csv_shown_on_a_terminal_are_escaped_too(cli, planted, monkeypatch):
    import json

    first, _ = planted
    piped = {fmt: cli("due", "--date", DAY, "--format", fmt).stdout for fmt in ("json", "csv")}
    owner_piped = cli("owner", "show", str(first), "--format", "json").stdout
    assert "\x1b" in piped["csv"]  # a file or a pipe gets the text as stored
    monkeypatch.setattr("sixplustwo.cli.render.to_terminal", lambda: True)
    for args in (("due", "--date", DAY), ("owner", "list"), ("owner", "show", str(first))):
        for fmt in ("json", "csv"):
            out = cli(*args, "--format", fmt).stdout
            assert not any(raw in out for raw in RAW), (args, fmt)
    shown = cli("due", "--date", DAY, "--format", "json").stdout
    assert json.loads(shown) == json.loads(piped["json"])  # the same data, escaped as JSON
    # An indented object keeps its line breaks (JSON's own layout, not data): still JSON.
    owner_shown = cli("owner", "show", str(first), "--format", "json").stdout
    assert json.loads(owner_shown) == json.loads(owner_piped) and "\n  " in owner_shown
    assert "\\x1b]0;X" in cli("due", "--date", DAY, "--format", "csv").stdout
