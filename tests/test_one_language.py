"""One language at a time (issue 28, point 4): under a Chinese locale no English word reaches
a butler. Walks every translated message of the catalogue, every field a message names, every
audit detail, the help page of every command, the exports (iCalendar, the SMS CSV and JSON's
user text) and the report's page with ``SIXPLUSTWO_LANG=zh``, and fails on an ASCII word
that is not a code, an id, a unit, a placeholder, a command or option name or a product's
name (the allow-list below, each group with its reason), naming the message id and the word.

What counts as user text in data: JSON and the SMS CSV are read by programs, and their keys
and codes (``status: overdue``, ``rule``, ``kind``) are the same in every language
(tests/test_language.py); their ``title`` and ``message`` are the words a butler or an owner
reads, and are checked here.
"""

from __future__ import annotations

import ast
import csv
import importlib.util
import io
import json
import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import pytest

from sixplustwo.cli import messages

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src" / "sixplustwo"

# --- what an ASCII word may be in Chinese text -------------------------------------------

#: Names of products, formats and encodings, written so in Chinese too.
PRODUCTS = {
    "sixplustwo", "Excel", "PostgreSQL", "iCalendar", "TOML", "CSV", "XLSX",
    "JSON", "UTF-8", "UTF-16", "UTF-32", "GB18030", "Unicode", "zip", "httpx",
}  # fmt: skip
#: Values a command or file takes, typed as they are: --format's and --destination's
#: (export's default destinations), yes/no, the playbook file's own keys and placeholders.
CODES = {
    "table", "json", "csv", "ics", "toml", "markdown", "sms", "calendar", "feed",
    "yes", "no", "true", "false", "none",
    "rules", "settings", "membership", "templates", "flats", "referrals", "referral_reward",
    "referral_settlement", "go_live", "NAME", "TIER",
    "YYYY-MM-DD",
}  # fmt: skip
#: Keys and values of the files users write or get, typed and read as they are: the
#: playbook's settings (``quiet_hours``, ``timezone = "local"``), channels.toml's keys and
#: its ``msgtype = "text"``, a delivery report's columns and the status codes the SMS
#: platforms write in it (``OutId``, ``DELIVRD``).
SETTINGS = {
    "quiet_hours", "sent_is_done", "sms_per_owner_per_day", "timezone", "local",
    "kind", "url", "msgtype", "text", "mobile",
    "action_id", "OutId", "DELIVRD", "UNDELIV",
}  # fmt: skip
#: The units of an offset in the playbook (``+3mo+14d``).
UNITS = {"y", "mo", "d"}
#: What an administrator types (backup, erasure and roles on a server, a file's mode, an
#: extra's install), said as is.
ADMIN = {
    "pg_dump", "DBNAME", "VACUUM", "FULL", "ANALYZE", "pg_statistic", "NUL",
    "pip", "install", "umask", "chmod", "GRANT", "TO", "CREATEROLE", "BYPASSRLS",
}  # fmt: skip
#: Pinyin, not English: owner find's examples (王伟 → wangwei, ww).
PINYIN = {"wangwei", "ww"}
ALLOWED = PRODUCTS | CODES | SETTINGS | UNITS | ADMIN | PINYIN

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:-[A-Za-z0-9]+)*")
_CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")
_STRIPPED = (
    re.compile(r"\{[^{}]*\}"),  # a placeholder
    re.compile(r"\[/?[a-z ]*\]"),  # rich markup: [blue]…[/]
    re.compile(r"[a-z]+://\S*"),  # a URL: postgresql://user@host/db
    re.compile(r"\$[A-Z_]+"),  # an environment variable
    re.compile(r"\S*\.(?:md|toml|xlsx?|csv|db|json|ics|html)\b"),  # a file name or suffix
    re.compile(r"(?<!\S)/[\w.-]+(?:/[\w.-]*)+", re.ASCII),  # a directory: /srv/www/calendar/
    re.compile(r"\b(?:Africa|America|Asia|Australia|Europe|Pacific)/\w+", re.ASCII),  # a zone
    re.compile(r"(?<![\w-])--?[A-Za-z][\w-]*(?:=\S*)?"),  # an option: --signed, -f
    re.compile(r"\b[a-z]\d+:[\w:.-]+"),  # an action id: o12:revisit-3m
    re.compile(r"\b[ocp]\d+\b"),  # an owner, case or project by id: o19
    re.compile(r"\b\d{4}_\w+"),  # a schema version: 0022_owner_flat_key
    re.compile(r"\b[A-Z]{1,4}\d+\b"),  # a project code: HY1
    re.compile(r"(?<![\w-])(?:[+-]\d+(?:y|mo|d))+"),  # an offset: +3mo+14d
    re.compile(r"\bU\+[0-9A-F]{4,6}\b"),  # a character: U+FEFF
)


@cache
def _texts() -> list[tuple[Path, str]]:
    return [(path, path.read_text("utf-8")) for path in sorted(SOURCE.rglob("*.py"))]


def _source(*words: str) -> list[tuple[Path, ast.Module]]:
    """The package's modules that mention one of ``words``, parsed."""
    return [(path, ast.parse(text)) for path, text in _texts() if any(w in text for w in words)]


@cache
def _commands() -> tuple[set[str], list[str]]:
    """The command tree's names: top-level names (a word alone) and the paths of
    subcommands (``owner show``: allowed as the phrase, ``show`` alone is English). A
    top-level command named by a phrase (``export receipts``) is a path too."""
    from typer.main import get_command

    from sixplustwo.cli.app import app

    top, paths = set(), []

    def walk(command, path):
        for name, sub in getattr(command, "commands", {}).items():
            if path or " " in name:
                paths.append(" ".join([*path, name]))
            else:
                top.add(name)
            walk(sub, [*path, name])

    walk(get_command(app), [])
    return top, sorted(paths, key=len, reverse=True)


@cache
def _ids() -> set[str]:
    """Ids shown as they are: the playbook's rule names and milestone kinds' English
    spellings (typed as codes: ``done --rule revisit-3m``)."""
    from sixplustwo.domain.playbook import default_playbook
    from sixplustwo.domain.rules import MILESTONE_ALIASES

    return {rule.name for rule in default_playbook().rules} | set(MILESTONE_ALIASES)


def english_words(text: str, also: set[str] = frozenset()) -> list[str]:
    """The ASCII words of ``text`` that are not allowed in Chinese text (``also``: more
    words allowed here)."""
    for pattern in _STRIPPED:
        text = pattern.sub(" ", text)
    top, paths = _commands()
    for path in paths:
        text = re.sub(rf"(?<![\w-]){re.escape(path)}(?![\w-])", " ", text)
    allowed = ALLOWED | top | _ids() | also
    return [word for word in _WORD.findall(text) if word not in allowed]


def ascii_punctuation(text: str) -> list[str]:
    """ASCII colons, commas and semicolons in Chinese text (``投诉: 新增 0``): beside a
    Chinese character or a placeholder, and before a space and another or the end
    (``{tables}, pg_statistic`` is SQL and ``爱好:羽毛球`` a tag as typed: they stay)."""
    return re.findall(r"[\u3400-\u9fff）}\w][:,;](?=\s+[\u3400-\u9fff{]|$)", text)


def _zh(text: str) -> bool:
    return bool(_CJK.search(text))


# --- the catalogue -------------------------------------------------------------------------


def _catalogue_tool():
    spec = importlib.util.spec_from_file_location("catalogue", ROOT / "scripts" / "catalogue.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def zh_catalogue():
    pytest.importorskip("babel")
    return [m for m in _catalogue_tool().read("zh_CN") if m.id]


def _strings(message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple) else [message.string]


def test_every_translation_is_chinese(zh_catalogue):
    """Each msgid's Chinese text, its placeholders aside: no English word (fails naming the
    msgid and the words), no ASCII colon or comma between Chinese words."""
    found = []
    for message in zh_catalogue:
        for said in _strings(message):
            words = english_words(said)
            if words:
                found.append(f"msgid {message.id!r}: English {words} in {said!r}")
            marks = ascii_punctuation(said) if _zh(said) else []
            if marks:
                found.append(f"msgid {message.id!r}: ASCII {marks} in {said!r} (use ：，；)")
    assert found == [], "\n" + "\n".join(found)


def test_the_checker_finds_english_and_lets_codes_pass():
    assert english_words("签约日期 2024-03-01 早于subscribed 2024-03-05") == ["subscribed"]
    assert english_words("（day is out of range for month）") == [
        "day", "is", "out", "of", "range", "for", "month",
    ]  # fmt: skip
    assert english_words("--wait SECONDS [x>=0]") == ["SECONDS", "x"]
    assert english_words("6+2 step 6") == ["step"]
    assert english_words("待办编号（见 due），如 o12:revisit-3m；sixplustwo owner show 12") == []
    assert english_words("运行 [blue]'{command_path} {help_option}'[/] 查看帮助") == []
    assert english_words("owner show 和 show") == ["show"]  # a subcommand only as a path
    assert english_words("偏移量 +3mo+14d，--format csv，HY1，docs/playbook.md") == []
    assert ascii_punctuation("投诉: 新增 0, 未解决 1") == ["诉:", "0,"]
    assert ascii_punctuation("推荐人 {id}: 待结算 {n} 元, 已结算") == ["}:", "元,"]
    assert ascii_punctuation("VACUUM FULL {tables}, pg_statistic; ANALYZE {tables}") == []


# --- fields named in messages: the label table ---------------------------------------------


def _in_chinese(error) -> str:
    messages.install("zh")
    try:
        return messages.text(error)
    finally:
        messages.install("en")


def _field_codes() -> set[str]:
    """Every field a FieldError or a text check may name: the owner's inputs and plain
    fields, and each string constant given as the field in the source."""
    from sixplustwo.domain.fields import OWNER_FIELDS

    codes = {field.input for field in OWNER_FIELDS if field.input}
    names = ("FieldError", "check_line", "check_note", "optional_", "owner_text", "FieldName")
    for _path, tree in _source(*names):
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            first = node.args[0]
            if name in {"FieldError", "check_line", "check_note", "optional_line",
                        "optional_note", "owner_text", "FieldName"} and isinstance(
                first, ast.Constant
            ) and isinstance(first.value, str):  # fmt: skip
                codes.add(first.value)
    return codes


def test_every_field_a_message_names_has_a_chinese_name():
    from sixplustwo.domain.owner_input import FieldError

    found = []
    messages.install("zh")
    try:
        for code in sorted(_field_codes()):
            said = messages.text(FieldError(code, "is required"))
            if english_words(said):
                found.append(
                    f"field {code!r} reads {said!r}: give it a line in domain/fields.py's "
                    "FIELD_NAMES and its Chinese in the catalogue"
                )
    finally:
        messages.install("en")
    assert found == [], "\n" + "\n".join(found)
    assert str(FieldError("signed", "is required")) == "signed: is required"  # English: codes


@pytest.mark.parametrize(
    "text",
    ["[rules.birthday\n", "[rules.birthday]\ndue = \n", "[rules.birthday]\ndue = '+1d\n",
     "[rules.birthday]\nx = 1\n[rules.birthday]\n", "[rules.birthday]\ndue = [1,\n"],
)  # fmt: skip
def test_the_toml_readers_reasons_are_messages(text):
    from sixplustwo.domain.playbook_reading import PlaybookError, parse_playbook

    with pytest.raises(PlaybookError) as raised:
        parse_playbook(text, source="playbook.toml")
    said = _in_chinese(raised.value)
    assert english_words(said) == [], f"{said!r}: add the reason to TOML_REASONS"


# --- Typer's help ---------------------------------------------------------------------------


def _paths() -> list[list[str]]:
    top, paths = _commands()
    return [[], *([name] for name in sorted(top)), *(path.split() for path in paths)]


def test_every_help_page_is_chinese(cli, chinese):
    """``--help`` of every command: help texts, metavars (``--wait 秒数``), ranges
    (``[不小于 0]``), the usage line, Typer's panels."""
    found = []
    for path in _paths():
        page = cli(*path, "--help").stdout
        page = page.replace("python -m sixplustwo", "sixplustwo")
        subcommands = {name.split()[-1] for name in _commands()[1]}  # a group's listing
        words = sorted(set(english_words(page, subcommands if path else set())))
        if words:
            found.append(f"sixplustwo {' '.join(path)} --help: English {words}")
    assert found == [], (
        "\n" + "\n".join(found) + "\n(a help text: translate it in the catalogue; a metavar: "
        "add it to cli/compat.py's METAVARS and translate it)"
    )


def test_typer_keeps_the_hooks_the_placeholders_use():
    """cli/compat.py translates the range and the usage line's words where Typer 0.29 keeps
    them: fail loudly when an upgrade moves them, rather than show English under Chinese."""
    import typer.core
    from typer._display import describe_number_range

    from sixplustwo.cli import compat

    assert describe_number_range(0, None) == "x>=0"
    compat.install_words()
    for cls in (typer.core.TyperOption, typer.core.TyperArgument):
        assert cls.__dict__["_get_number_range_help_str"] is compat._range_help
    group = typer.core.TyperGroup(name="g")
    assert group.options_metavar == "[OPTIONS]"
    assert group.subcommand_metavar == "COMMAND [ARGS]..."


# --- the audit log --------------------------------------------------------------------------


def _audit_calls() -> list[str]:
    """Every ``….audit.record(command, detail, …)`` (and ``self.record`` in store/audit.py)
    whose detail is not one of AUDIT_DETAILS, as ``file:line detail``."""
    from sixplustwo.store.audit import AUDIT_DETAILS

    wrong = []
    for path, tree in _source(".record("):
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            receiver = ast.unparse(node.func.value)
            if node.func.attr != "record" or not (
                receiver.endswith("audit") or (receiver == "self" and path.name == "audit.py")
            ):
                continue
            detail = node.args[1] if len(node.args) > 1 else None
            if isinstance(detail, ast.Call) and getattr(detail.func, "id", "") == "N_":
                detail = detail.args[0]
            ok = (isinstance(detail, ast.Constant) and detail.value in AUDIT_DETAILS) or (
                isinstance(detail, ast.Subscript) and ast.unparse(detail.value) == "AUDIT_DETAILS"
            )
            if not ok:
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                wrong.append(f"{where} {ast.unparse(detail) if detail else None}")
    return wrong


def test_every_audit_detail_is_a_message():
    """An audit entry's detail is a message id of store/audit.py's AUDIT_DETAILS, filled in
    by ``record``: ``audit`` shows it in the user's language."""
    wrong = _audit_calls()
    assert wrong == [], (
        "audit.record details not in store/audit.py's AUDIT_DETAILS (pass one, N_-marked, "
        "with its parameters):\n" + "\n".join(wrong)
    )


def test_every_audit_detail_reads_back_in_chinese():
    from sixplustwo.store.audit import AUDIT_DETAILS, AUDIT_WHO

    found = []
    messages.install("zh")
    try:
        for msgid in (*AUDIT_DETAILS, AUDIT_WHO):
            names = re.findall(r"\{(\w+)\}", msgid)
            stored = msgid.format(**{name: f"7{i}" for i, name in enumerate(names)})
            said = messages.read_back(stored, (*AUDIT_DETAILS, AUDIT_WHO))
            if said == stored or english_words(said):
                found.append(f"audit detail {msgid!r} reads {said!r}")
    finally:
        messages.install("en")
    assert found == [], "\n" + "\n".join(found)


# --- screens, exports and the report in a Chinese installation -------------------------------


@pytest.fixture
def a_team(cli, chinese, tmp_path):
    """Two owners with actions due, a case, an export, a go-live, a revealed phone, an
    assignment, an erasure and an undo: an audit entry of each kind."""
    cli("project", "add", "HY1", "--name", "华苑一期", "--delivery-date", "2024-06-30")
    first = cli("owner", "add", "--name", "王伟", "--phone", "13812345678", "--project", "HY1",
                "--unit", "1-101", "--visited", "2024-01-02", "--signed", "2024-01-09",
                "--butler", "李晓").stdout.strip()  # fmt: skip
    second = cli("owner", "add", "--name", "周杰", "--phone", "13912345678", "--project", "HY1",
                 "--unit", "1-102", "--subscribed", "2024-02-01",
                 "--butler", "李晓").stdout.strip()  # fmt: skip
    cli("case", "open", first, "--kind", "投诉", "--note", "噪音", "--date", "2024-07-01")
    cli("owner", "show", first, "--reveal")
    cli("owner", "assign", "--project", "HY1", "--butler", "张敏")
    cli("undo")
    cli("export", "--format", "csv", "--out", tmp_path / "sms.csv", "--date", "2024-07-02")
    cli("playbook", "--go-live", "2024-01-01")
    cli("owner", "forget", second, "--yes")
    return first


def _the_audit_log(cli, tmp_path):
    import getpass

    screen = cli("audit").stdout
    # Who ran it and the file written are data, as they are.
    screen = screen.replace(getpass.getuser(), "").replace(str(tmp_path), "")
    assert "导出" in screen and "业主" in screen
    assert english_words(screen) == [], screen


def _the_exports(cli, tmp_path):
    day = "2024-07-02"
    ics = tmp_path / "team.ics"
    cli("export", "--format", "ics", "--out", ics, "--date", day)
    text = ics.read_text("utf-8").replace("\r\n ", "")
    shown = [
        line.split(":", 1)[1]
        for line in text.splitlines()
        if line.split(":", 1)[0].split(";")[0]
        in {"SUMMARY", "DESCRIPTION", "CATEGORIES", "X-WR-CALNAME"}
    ]
    assert any("6+2" in line for line in shown)
    found = [(line, english_words(line.replace("\\n", "\n").replace("\\", ""))) for line in shown]
    assert [f for f in found if f[1]] == []
    sms = tmp_path / "more.csv"
    cli("export", "--format", "csv", "--out", sms, "--date", "2024-12-02")
    feed = json.loads(cli("export", "--format", "json", "--out", "-", "--date", day).stdout)
    rows = list(csv.DictReader(io.StringIO(sms.read_text("utf-8-sig")))) + feed
    assert rows
    words = [(row["title"], row.get("message")) for row in rows
             if english_words(row["title"]) or english_words(row.get("message") or "")]  # fmt: skip
    assert words == []


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = False

    def handle_starttag(self, tag, attrs):
        self._skip = tag in ("style", "script")
        self.parts.extend(value for name, value in attrs if name in ("aria-label",) and value)

    def handle_endtag(self, tag):
        self._skip = False

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def _the_report_page(cli, tmp_path):
    page = tmp_path / "report.html"
    cli("report", "--from", "2024-01-01", "--to", "2024-12-31", "--html", page)
    reader = _Text()
    reader.feed(page.read_text("utf-8"))
    text = "\n".join(reader.parts)
    assert "各规则" in text
    assert english_words(text) == []
    assert ascii_punctuation(text) == []


def test_the_screens_of_the_demo_are_chinese(cli, chinese, db_path):
    """The demo's sample installation read with every listing a butler or manager uses."""
    cli("--db", db_path, "demo")
    found = []
    for command in (
        ["due"], ["due", "--date", "2026-01-05"], ["owner", "list"], ["owner", "show", "1"],
        ["owner", "show", "16"], ["owner", "find", "王"], ["case", "list"], ["referral", "list"],
        ["report"], ["playbook"], ["project", "list"], ["audit"], ["check"],
        ["action", "show", "o1:birthday:2026"],
    ):  # fmt: skip
        result = cli(*command, ok=False)
        shown = (result.stdout + result.stderr).replace(str(db_path), "")
        words = english_words(shown)
        if words:
            found.append(f"sixplustwo {' '.join(command)}: English {sorted(set(words))}")
    assert found == [], "\n" + "\n".join(found)


def test_the_audit_log_exports_and_report_in_chinese(cli, a_team, tmp_path):
    """One installation (its setup is the slow part), read three ways."""
    _the_audit_log(cli, tmp_path)
    _the_exports(cli, tmp_path)
    _the_report_page(cli, tmp_path)


# --- the refusals issue 28 quotes -----------------------------------------------------------


def test_the_refusals_issue_28_quotes_are_chinese(cli, chinese):
    cli("project", "add", "HY1", "--name", "华苑一期", "--delivery-date", "2024-06-30")
    owner = ["--name", "王伟", "--phone", "13812345678", "--project", "HY1", "--unit", "1-101"]
    said = [
        cli(
            "owner", "add", *owner, "--subscribed", "2024-03-05", "--signed", "2024-03-01", ok=False
        ).stderr,
        cli("owner", "add", *owner, "--signed", "2024-02-30", ok=False).stderr,
        cli("owner", "add", *owner, "--referred-by", "单丽", ok=False).stderr,
    ]
    first = cli("owner", "add", *owner).stdout.strip()
    said.append(cli("owner", "edit", first, "--clear", "生日日期", ok=False).stderr)
    assert "签约日期 2024-03-01 早于认购日期 2024-03-05" in said[0]
    assert "'单丽' 的业主" in said[2]  # a referrer is named as any owner is (issue 28.5)
    assert "只能清除日期、管家或推荐人" in said[3]
    for line in said:
        assert english_words(line) == [], line
        assert ascii_punctuation(line) == [], line
    cli("owner", "edit", first, "--birthday", "1980-05-01")
    cli("owner", "edit", first, "--clear", "生日")  # a field by its Chinese name
    assert cli("owner", "show", first, "--format", "json").stdout.count('"birthday": null') == 1
