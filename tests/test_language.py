"""The interface in the user's language (issue 16): Chinese with a Chinese locale or
SIXPLUSTWO_LANG=zh, English otherwise; every message in the catalogue translated, Typer's
own words included; placeholders that say what an option takes; kinds typed in either
language; JSON and CSV the same whatever the language."""

from __future__ import annotations

import csv
import importlib.util
import inspect
import io
import json
import re
from pathlib import Path

import pytest

from sixplustwo.cli import compat, messages

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def _catalogue_tool():
    spec = importlib.util.spec_from_file_location("catalogue", ROOT / "scripts" / "catalogue.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tool():
    pytest.importorskip("babel")
    return _catalogue_tool()


@pytest.fixture(scope="module")
def zh_catalogue(tool):
    return tool.read("zh_CN")


def _placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"\{[^{}]*\}", text))


# --- the catalogue -----------------------------------------------------------------------


def test_every_extracted_message_has_a_chinese_translation(tool, zh_catalogue):
    extracted = [message for message in tool.extract() if message.id]
    assert len(extracted) > 400  # help texts, UI strings, labels, error ids, Typer's words
    translated = {m.id: m for m in zh_catalogue if m.id}
    missing = [m.id for m in extracted if m.id not in translated]
    assert missing == [], "run python scripts/catalogue.py, then translate the new entries"
    assert tool.problems(zh_catalogue) == []  # no empty or fuzzy translation
    wrong = [
        (m.id, m.string)
        for m in zh_catalogue
        if m.id and _placeholders(m.id) != _placeholders(m.string)
    ]
    assert wrong == []  # a translation fills in the same {parameters}


def test_the_compiled_catalogue_is_the_translations(tool, zh_catalogue):
    """The committed .mo says what the .po says: each msgid and its translation, no fuzzy
    entry, the plural forms (and is where the installed package reads it: package data, so
    that `pip install .` ships it). Compared by what gettext reads, not byte for byte: the
    bytes name the Babel that compiled them."""
    committed = messages.LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "sixplustwo.mo"
    assert committed.exists(), "the installed package has no compiled catalogue"
    assert tool.stale("zh_CN", zh_catalogue) == [], (
        "the .mo is out of date with the .po: run python scripts/catalogue.py"
    )
    compiled = tool.compiled(committed)["messages"]
    assert len(compiled) > 400
    assert not any(m.fuzzy and m.id in compiled for m in zh_catalogue if m.id)


def test_the_catalogue_check_finds_a_stale_translation(tool, zh_catalogue, tmp_path, monkeypatch):
    """The comparison can fail: a .mo compiled from a changed translation, a fuzzy entry or
    another plural form is out of date."""
    message = next(m for m in zh_catalogue if m.id and isinstance(m.id, str) and m.string)
    original = message.string
    try:
        message.string = original + "！"
        monkeypatch.setattr(tool, "mo_path", lambda locale: tmp_path / "changed.mo")
        (tmp_path / "changed.mo").write_bytes(tool.mo_bytes(zh_catalogue))
    finally:
        message.string = original
    assert tool.stale("zh_CN", zh_catalogue) == [f"other translation: {message.id!r}"]
    message.flags.add("fuzzy")
    try:
        assert tool.stale("zh_CN", zh_catalogue) == [f"no longer in the .po: {message.id!r}"]
    finally:
        message.flags.discard("fuzzy")


def test_the_extractor_finds_each_kind_of_string(tool):
    ids = {message.id for message in tool.extract()}
    assert "Add one customer; prints the new id." in ids  # a command's docstring
    assert "Customer name." in ids  # an option's help=
    assert "no owner with id {id}" in ids  # an error raised in the store
    assert "phone {raw!r} is not a valid phone number" in ids  # a FieldError's second argument
    assert "date {on} is in the future" in ids  # not_in_future's message id
    assert "{source}, line {line}: setting {key!r} must be text" in ids  # marked with N_
    assert "No such option: {option}" in ids  # click's words (cli/compat.py)
    assert "complaint" in ids and "to do" in ids  # labels


def test_every_help_text_of_the_command_tree_is_in_the_catalogue(zh_catalogue):
    """Walks the commands as Typer builds them: a help text the extractor missed (a variable,
    a new command registered some other way) fails here."""
    from typer.main import get_command

    from sixplustwo.cli.app import app

    translated = {m.id for m in zh_catalogue if m.id and m.string}
    missing = []

    def walk(command):
        texts = [inspect.cleandoc(command.help)] if command.help else []
        texts += [param.help for param in command.params if getattr(param, "help", None)]
        missing.extend(text for text in texts if text not in translated)
        for sub in getattr(command, "commands", {}).values():
            walk(sub)

    messages.install("en")
    walk(get_command(app))
    assert missing == []


# --- choosing the language ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "language"),
    [
        ({}, "en"),
        ({"LANG": "zh_CN.UTF-8"}, "zh"),
        ({"LANG": "zh_TW.UTF-8"}, "zh"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LC_ALL": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
        ({"LC_MESSAGES": "zh_CN.UTF-8"}, "zh"),
        ({"LANGUAGE": "en", "LANG": "zh_CN.UTF-8"}, "en"),  # gettext reads LANGUAGE first
        ({"LANGUAGE": "fr:zh_CN", "LANG": "en_US.UTF-8"}, "zh"),  # no French: the next one
        ({"SIXPLUSTWO_LANG": "zh", "LANG": "en_US.UTF-8"}, "zh"),
        ({"SIXPLUSTWO_LANG": "en", "LANG": "zh_CN.UTF-8"}, "en"),  # SIXPLUSTWO_LANG wins
        ({"SIXPLUSTWO_LANG": "zh_CN", "LC_ALL": "C"}, "zh"),
    ],
)
def test_the_language_follows_sixplustwo_lang_then_the_locale(environ, language):
    assert messages.choose_language(environ) == language


def _locale_only(monkeypatch, **variables: str) -> None:
    monkeypatch.delenv("SIXPLUSTWO_LANG", raising=False)
    for name in LOCALES:
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)


def test_a_chinese_locale_gives_chinese(cli, monkeypatch):
    _locale_only(monkeypatch, LANG="zh_CN.UTF-8")
    result = cli("owner", "show", "999", ok=False)
    assert result.stderr.startswith("sixplustwo：错误：")
    assert cli("--help").stdout.count("命令") >= 1


def test_sixplustwo_lang_gives_chinese_whatever_the_locale(cli, project, monkeypatch):
    _locale_only(monkeypatch, LANG="en_US.UTF-8", SIXPLUSTWO_LANG="zh")
    assert "没有编号为 999 的业主" in cli("owner", "show", "999", ok=False).stderr


@pytest.mark.parametrize("locale", [None, "en_US.UTF-8", "C.UTF-8"])
def test_english_otherwise(cli, project, monkeypatch, locale):
    _locale_only(monkeypatch, **({"LANG": locale} if locale else {}))
    result = cli("owner", "show", "999", ok=False)
    assert result.stderr == "sixplustwo: error: no owner with id 999\n"
    cli("owner", "add", "--name", "王伟", "--phone", "13812345678", "--project", project,
        "--unit", "1-101", "--signed", "2024-01-09")  # fmt: skip
    screen = cli("owner", "list").stdout
    assert "Name" in screen and "Stage" in screen and "awaiting delivery" in screen
    assert not re.search(r"姓名|阶段|待交付", screen)  # English headers and labels, data aside
    help_page = cli("--help").stdout
    assert "Options" in help_page and "Commands" in help_page and "Usage:" in help_page


def test_chinese_screens_headers_and_labels(cli, project, chinese):
    cli("owner", "add", "--name", "王伟", "--phone", "13812345678", "--project", project,
        "--unit", "1-101", "--signed", "2024-01-09")  # fmt: skip
    screen = cli("owner", "list").stdout
    assert "姓名" in screen and "阶段" in screen and "待交付" in screen
    assert not re.search(r"\b(Name|Stage|awaiting)\b", screen)


# --- Typer's own words -------------------------------------------------------------------


def test_a_usage_error_in_chinese(cli, chinese):
    result = cli("owner", "add", "--nme", "王伟", ok=False)
    assert result.exit_code == 2
    assert "用法：" in result.stderr and "没有这个选项：--nme" in result.stderr
    assert "查看帮助" in result.stderr and "错误" in result.stderr
    missing = cli("case", "open", ok=False)
    assert missing.exit_code == 2 and "缺少参数 '业主'。" in missing.stderr
    bad = cli("case", "resolve", "abc", ok=False)  # an owner is named by a name too
    assert "的值无效：应为整数" in bad.stderr
    wrong = cli("due", "--format", "xml", ok=False)
    assert (
        "'--format' / '-f' 的值无效：'xml' 不在可选值 'table', 'json', 'csv' 之中" in wrong.stderr
    )
    unknown = cli("dew", ok=False)
    assert "没有命令 'dew'。您是不是要输入 'due'？" in unknown.stderr
    english_words = ("Usage:", "No such", "Missing", "Invalid", "Try ", "Error", "Did you", "Value")
    for english in english_words:
        for shown in (result, missing, bad, wrong, unknown):
            assert english not in shown.stderr


def test_a_usage_error_in_english(cli):
    result = cli("owner", "add", "--nme", "王伟", ok=False)
    assert "Usage:" in result.stderr and "No such option: --nme" in result.stderr
    assert "Missing argument 'OWNER'." in cli("case", "open", ok=False).stderr


def test_help_pages_in_chinese(cli, chinese):
    page = cli("owner", "add", "--help").stdout
    assert "用法：" in page and "选项" in page and "[必填]" in page and "[默认：table]" in page
    assert "新增一位客户，输出新编号。" in page and "显示本帮助并退出。" in page
    root = cli("--help").stdout
    assert "命令" in root and "每日待办：待办和已逾期的事项，最紧急的在前。" in root
    assert "为当前终端安装命令补全。" in root
    assert "参数" in cli("case", "open", "--help").stdout  # the Arguments panel
    for english in ("Options", "Commands", "Arguments", "[required]", "[default:", "Usage:"):
        assert english not in page + root


def _line(page: str, option: str) -> str:
    return next(line for line in page.splitlines() if f"{option} " in line)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_placeholders_say_what_an_option_takes_and_flags_take_none(cli, monkeypatch, language):
    monkeypatch.setenv("SIXPLUSTWO_LANG", language)
    pages = [cli(*command, "--help").stdout for command in (["owner", "add"], ["demo"], [])]
    for page in pages:
        assert "<str>" not in page and "<bool>" not in page and "<int>" not in page
    owner_add = pages[0]
    # In the user's language (issue 28): --signed 日期 under Chinese.
    said = {
        "en": ("DATE", "CODE", "OWNER", "PATH", "{OWNER}"),
        "zh": ("日期", "代码", "业主", "路径", "{业主}"),
    }
    date, code, owner_id, path, owner = said[language]
    assert date in _line(owner_add, "--signed")
    assert code in _line(owner_add, "--project")
    assert owner_id in _line(owner_add, "--referred-by")
    assert "table|json|csv" in _line(owner_add, "--format")
    flag = _line(owner_add, "--lunar-birthday").split("--lunar-birthday", 1)[1].split()
    help_flag = _line(pages[1], "--help").split("--help", 1)[1].split()
    assert flag[0] != "<bool>" and flag[0] not in {"BOOL", "TEXT"}
    assert help_flag[0] == "-h" and help_flag[1] not in {"<bool>", "BOOL", "TEXT"}
    assert path in _line(pages[2], "--db")
    assert owner in cli("owner", "show", "--help").stdout  # arguments by their name


def test_typer_keeps_what_the_words_patch_reaches():
    """cli/compat.py translates Typer's words where Typer 0.29 keeps them: fail loudly when
    an upgrade moves or rewords them, rather than show English under Chinese."""
    import typer.core
    from typer._click import decorators, exceptions, formatting

    compat.install_words()
    assert typer.core._ is messages.translate
    for cls in (
        exceptions.BadParameter,
        exceptions.MissingParameter,
        exceptions.NoSuchOption,
        exceptions.FileError,
    ):
        assert hasattr(cls.__dict__["format_message"], "original"), cls
    assert formatting.HelpFormatter.write_usage.__name__ == "translated_usage"
    assert decorators.help_option.__name__ == "translated_help_option"
    rich_source = Path(importlib.util.find_spec("typer.rich_utils").origin).read_text("utf-8")
    for name, msgid in compat.RICH_WORDS.items():
        assert f'{name} = _("{msgid}")' in rich_source, name
    core_source = Path(typer.core.__file__).read_text("utf-8")
    for msgid in compat.TYPER_CORE_WORDS:
        assert f'_("{msgid}")' in core_source, msgid
    click_source = "".join(
        Path(module.__file__).read_text("utf-8") for module in (decorators, formatting)
    )
    assert 'prefix = "Usage: "' in click_source
    assert 'help="Show this message and exit."' in click_source
    assert 'f"No such option: {' in Path(exceptions.__file__).read_text("utf-8")


def test_click_words_translate_parts_in_turn():
    messages.install("zh")
    try:
        said = compat.click_words("Invalid value for '--limit': Input should be a valid integer")
        assert said == "'--limit' 的值无效：应为整数"
        assert compat.click_words("something of our own") == "something of our own"
    finally:
        messages.install("en")


# --- kinds in either language, titles, data ----------------------------------------------


@pytest.fixture
def owner(cli, project) -> str:
    return cli("owner", "add", "--name", "王伟", "--phone", "13812345678", "--project", project,
               "--unit", "1-101", "--signed", "2024-01-09", "--delivered", "2024-06-30",
               ).stdout.strip()  # fmt: skip


@pytest.mark.parametrize(
    ("typed", "kind"),
    [("投诉", "complaint"), ("报修", "repair"), ("complaint", "complaint"), ("repair", "repair")],
)
def test_case_kinds_in_either_language(cli, cli_json, owner, typed, kind, chinese):
    case_id = cli("case", "open", owner, "--kind", typed, "--note", "漏水").stdout.strip()
    assert [c["kind"] for c in cli_json("case", "list") if str(c["id"]) == case_id] == [kind]


def test_an_unknown_case_kind_is_refused_in_chinese(cli, owner, chinese):
    result = cli("case", "open", owner, "--kind", "咨询", "--note", "x", ok=False)
    assert result.exit_code == 1 and "案件类型 '咨询'" in result.stderr


def test_event_kinds_in_either_language(cli, cli_json, owner, chinese):
    cli("event", "add", owner, "喜庆", "--note", "新婚", "--date", "2024-07-01")
    cli("event", "add", owner, "入住3个月居住回访", "--date", "2024-09-30")  # a rule's title
    kinds = [e["kind"] for e in cli_json("owner", "show", owner)["events"]]
    assert kinds == ["celebration", "revisit-3m"]
    screen = cli("owner", "show", owner).stdout
    assert "喜庆" in screen and "入住3个月居住回访" in screen


def test_titles_never_mix_in_a_case_kind_code(cli, cli_json, owner, monkeypatch):
    cli("case", "open", owner, "--kind", "repair", "--note", "漏水", "--date", "2024-07-01")
    for language in ("zh", "en"):
        monkeypatch.setenv("SIXPLUSTWO_LANG", language)
        titles = [row["title"] for row in cli_json("due") if row["rule"].startswith("case")]
        assert titles and all("（报修）" in title for title in titles), titles
        assert not any(re.search(r"（(repair|complaint)）", t) for t in titles)
        assert "（报修）" in cli("due").stdout


def test_json_and_csv_are_the_same_whatever_the_language(cli, owner, monkeypatch):
    cli("case", "open", owner, "--kind", "投诉", "--note", "噪音", "--date", "2024-07-01")
    commands = [
        ["due", "--date", "2024-10-01"],
        ["owner", "list"],
        ["owner", "show", owner],
        ["case", "list"],
        ["referral", "list"],
        ["report", "--from", "2024-01-01", "--to", "2024-12-31"],
        ["playbook"],
    ]
    outputs = {}
    for language in ("zh", "en"):
        monkeypatch.setenv("SIXPLUSTWO_LANG", language)
        outputs[language] = [
            (cli(*command, "--format", "json").stdout, cli(*command, "--format", "csv").stdout)
            if command[0] not in ("report", "owner") or command[1:2] == ["list"]
            else (cli(*command, "--format", "json").stdout, "")
            for command in commands
        ]
    assert outputs["zh"] == outputs["en"]
    due = json.loads(outputs["zh"][0][0])
    assert {"action_id", "rule", "status", "title", "due_on"} <= set(due[0])
    assert {row["status"] for row in due} <= {"upcoming", "open", "overdue", "done", "missed"}
    rows = list(csv.DictReader(io.StringIO(outputs["zh"][3][1])))
    assert rows[0]["kind"] == "complaint"
