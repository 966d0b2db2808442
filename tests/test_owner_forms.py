"""Owners named alike everywhere (issue 28, point 5): every command that takes an owner takes
an id, a phone, its last four digits, a flat (any spelling, with or without its project) or a
name, through one resolver (store/search.py's ``resolve_owner``), also as an action id's
owner (``单丽:signing-revisit``); a form naming several
customers is refused in one line listing them (masked phones, flats), exit 1, nothing
written; a form naming none is "no owner"."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from typer.testing import CliRunner

from dbsql import sql
from sixplustwo.cli.app import app

# The customers every test starts from (ids 1–5, in this order). 单丽 (2) is the one each
# form names; the others make the ambiguous forms: 王伟 twice, *5678 twice, 5-1-1201 in two
# projects.
OWNERS = [
    ("周杰", "13812344321", "HY1", "5-1-1201"),
    ("单丽", "13900001111", "HY1", "2栋1单元1801"),
    ("王伟", "13700005678", "YQ", "5-1-1201"),
    ("王伟", "13600005678", "YQ", "3-1-101"),
    ("周杰伦", "13500002222", "YQ", "7-1-701"),
]
TARGET = 2

FORMS = [
    "2",  # an id, as today
    "o2",
    "13900001111",  # a phone, however written
    "139-0000-1111",
    "+86 139 0000 1111",
    "*1111",  # its last four digits
    "尾号1111",
    "2-1-1801",  # the flat, in any spelling, with or without the project
    "2幢1单元1801室",
    "２－１－１８０１",
    "2号楼1单元1801",
    "HY1 2-1-1801",
    "华苑一期 2栋1单元1801",
    "单丽",  # the name
    "shanli",
]
AMBIGUOUS = {
    "王伟": ("3 王伟 137****5678 YQ 5-1-1201", "4 王伟 136****5678 YQ 3-1-101"),
    "*5678": ("137****5678", "136****5678"),
    "5栋1单元1201": ("1 周杰 138****4321 HY1 5-1-1201", "3 王伟 137****5678 YQ 5-1-1201"),
}
NOT_FOUND = ["王五", "9-9-999", "*0000", "HY1 5-1-999"]


def _run(*args: str, ok: bool = True):
    result = CliRunner().invoke(app, [str(a) for a in args])
    if ok and result.exit_code != 0:
        raise AssertionError(f"{args} exited {result.exit_code}: {result.stderr}")
    return result


@pytest.fixture(scope="module")
def template(tmp_path_factory, monkeypatch_module):
    """The customers above, made once; each test copies the file."""
    path = tmp_path_factory.mktemp("forms") / "template.db"
    monkeypatch_module.setenv("SIXPLUSTWO_DB", str(path))
    _run("project", "add", "HY1", "--name", "华苑一期")
    _run("project", "add", "YQ", "--name", "云栖府")
    for name, phone, project, unit in OWNERS:
        _run("owner", "add", "--name", name, "--phone", phone, "--project", project, "--unit", unit)
    _run("owner", "edit", "5", "--referred-by", "2")  # 单丽 referred 周杰伦
    signed = (date.today() - timedelta(days=3)).isoformat()  # an action to name: her revisit
    _run("owner", "edit", "2", "--signed", signed)
    return path


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture
def db(template, tmp_path, monkeypatch):
    path = tmp_path / "test.db"
    for suffix in ("", "-wal", "-shm"):
        source = template.with_name(template.name + suffix)
        if source.exists():
            shutil.copy(source, path.with_name(path.name + suffix))
    monkeypatch.setenv("SIXPLUSTWO_DB", str(path))
    monkeypatch.setenv("COLUMNS", "220")
    return path


def _import_with_referrer(db, tmp_path, form: str) -> list[str]:
    path = tmp_path / "ledger.csv"
    path.write_text(
        f"姓名,手机,项目,房号,介绍人\n赵敏,13300003333,HY1,9-1-901,{form}\n", encoding="utf-8"
    )
    return ["owner", "import", path]


NEW_OWNER = ["owner", "add", "--name", "赵敏", "--phone", "13300003333", "--project", "HY1",
             "--unit", "9-1-901"]  # fmt: skip

# Each owner-taking command: how to run it with a form, and the customer it then acted on.
COMMANDS: dict[str, tuple[Callable, Callable]] = {
    "owner show": (
        lambda db, tmp, form: ["owner", "show", form, "--format", "json"],
        lambda db, result: json.loads(result.stdout)["id"],
    ),
    "owner edit": (
        lambda db, tmp, form: ["owner", "edit", form, "--butler", "李晓"],
        lambda db, result: sql(db, "SELECT id FROM owner WHERE butler = '李晓'")[0][0],
    ),
    "owner forget": (
        lambda db, tmp, form: ["owner", "forget", form, "--yes"],
        lambda db, result: sql(db, "SELECT id FROM owner WHERE forgotten_on IS NOT NULL")[0][0],
    ),
    "owner add --referred-by": (
        lambda db, tmp, form: [*NEW_OWNER, "--referred-by", form],
        lambda db, result: sql(db, "SELECT referred_by FROM owner WHERE id = 6")[0][0],
    ),
    "owner edit --referred-by": (
        lambda db, tmp, form: ["owner", "edit", "1", "--referred-by", form],
        lambda db, result: sql(db, "SELECT referred_by FROM owner WHERE id = 1")[0][0],
    ),
    "owner import 介绍人": (
        _import_with_referrer,
        lambda db, result: sql(db, "SELECT referred_by FROM owner WHERE id = 6")[0][0],
    ),
    "event add": (
        lambda db, tmp, form: ["event", "add", form, "call", "--date", "2024-01-05"],
        lambda db, result: sql(db, "SELECT owner_id FROM event")[0][0],
    ),
    "case open": (
        lambda db, tmp, form: ["case", "open", form, "--kind", "repair", "--note", "漏水"],
        lambda db, result: sql(db, "SELECT owner_id FROM service_case")[0][0],
    ),
    "done OWNER:RULE": (
        lambda db, tmp, form: ["done", f"{form}:signing-revisit"],
        lambda db, result: sql(db, "SELECT owner_id FROM event WHERE action_id IS NOT NULL")[0][0],
    ),
    "action show OWNER:RULE": (
        lambda db, tmp, form: ["action", "show", f"{form}:signing-revisit", "--format", "json"],
        lambda db, result: json.loads(result.stdout)["owner"]["id"],
    ),
    "referral list --referrer": (
        lambda db, tmp, form: ["referral", "list", "--referrer", form, "--format", "json"],
        lambda db, result: json.loads(result.stdout)[0]["referrer_id"],
    ),
}


def _written(db) -> list:
    return [
        sql(db, f"SELECT * FROM {table} ORDER BY 1")
        for table in ("owner", "event", "service_case", "journal")
    ]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("command", COMMANDS)
def test_every_owner_taking_command_takes_every_form(db, tmp_path, command, form):
    args, acted_on = COMMANDS[command]
    result = _run(*args(db, tmp_path, form))
    assert acted_on(db, result) == TARGET


@pytest.mark.parametrize("form", AMBIGUOUS)
@pytest.mark.parametrize("command", COMMANDS)
def test_a_form_naming_several_is_refused_listing_them(db, tmp_path, command, form):
    before = _written(db)
    result = _run(*args_of(command)(db, tmp_path, form), ok=False)
    assert result.exit_code == 1
    line = result.stderr.strip()
    if command == "owner import 介绍人":  # the row's line, then the import's own summary
        line, summary = line.splitlines()
        assert line.startswith("row 2, column 介绍人: ") and "nothing imported" in summary
    assert len(line.splitlines()) == 1 and "Traceback" not in line, line
    assert "matches 2 customers" in line
    for candidate in AMBIGUOUS[form]:
        assert candidate in line
    assert "13700005678" not in line and "13600005678" not in line  # phones masked
    assert _written(db) == before


@pytest.mark.parametrize("form", NOT_FOUND)
@pytest.mark.parametrize("command", COMMANDS)
def test_a_form_naming_none_is_not_found(db, tmp_path, command, form):
    before = _written(db)
    result = _run(*args_of(command)(db, tmp_path, form), ok=False)
    assert result.exit_code == 1
    assert f"no owner with id, phone, flat or name '{form}'" in result.stderr
    assert _written(db) == before


def args_of(command: str) -> Callable:
    return COMMANDS[command][0]


def test_a_whole_name_names_those_so_called(db):
    """周杰 is 周杰, not 周杰伦 too; 周 alone names both (and is refused)."""
    assert _run("owner", "show", "周杰", "--format", "json").stdout.count('"id": 1,') == 1
    result = _run("owner", "show", "周", ok=False)
    assert "1 周杰 " in result.stderr and "5 周杰伦 " in result.stderr


def test_an_unknown_id_is_the_store_s_not_found(db):
    result = _run("owner", "edit", "99", "--butler", "李晓", ok=False)
    assert result.exit_code == 1 and "no owner with id 99" in result.stderr


def test_a_forgotten_customer_is_named_only_by_id(db):
    _run("owner", "forget", "单丽", "--yes")
    result = _run("owner", "show", "2-1-1801", ok=False)
    assert "no owner with id, phone, flat or name" in result.stderr
    assert _run("owner", "show", "2", "--format", "json").exit_code == 0


def test_the_refusal_is_chinese_under_a_chinese_locale(db, monkeypatch):
    monkeypatch.setenv("SIXPLUSTWO_LANG", "zh")
    result = _run("owner", "edit", "王伟", "--butler", "李晓", ok=False)
    assert "符合 2 位客户" in result.stderr and "136****5678" in result.stderr
    assert "matches" not in result.stderr
