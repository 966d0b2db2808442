"""One definition of an owner (domain/fields.py): a field added there, with a migration that
adds its column, flows through import (English and Chinese headers), storage, the bulk insert,
`owner list` JSON and CSV, `owner show` and `import --update` without another edit."""

from __future__ import annotations

import csv
import io

import pytest

from dbsql import sql
from sixplustwo.domain import fields
from sixplustwo.store.migrations import MIGRATIONS


@pytest.fixture
def vip_level(monkeypatch):
    """A throwaway field: 会员等级, plain text."""
    extra = fields.Field(
        "vip_level",
        "text",
        input="vip_level",
        headers=("会员等级",),
        label="会员等级",
        listed="vip_level",
        core=False,
    )
    monkeypatch.setattr(fields, "OWNER_FIELDS", (*fields.OWNER_FIELDS, extra))
    migration = ("9999_test_vip_level", "ALTER TABLE owner ADD COLUMN vip_level VARCHAR")
    MIGRATIONS.append(migration)
    yield extra
    MIGRATIONS.remove(migration)


def test_a_field_added_to_the_definition_flows_through(
    cli, cli_json, project, tmp_path, db_path, vip_level
):
    path = tmp_path / "sales.csv"
    path.write_text(
        "姓名,手机,项目,房号,签约日期,会员等级\n"
        "王伟,13812345678,HY1,1-101,2024-01-09,钻石\n"
        "李娜,13900001111,HY1,1-102,2024-01-10,\n",
        encoding="utf-8",
    )
    assert cli_json("owner", "import", path)["imported"] == 2
    stored = sql(db_path, "SELECT unit, vip_level FROM owner ORDER BY id")
    assert stored == [("1-101", "钻石"), ("1-102", None)]

    listed = cli_json("owner", "list")
    assert [row["vip_level"] for row in listed] == ["钻石", None]
    table = list(csv.DictReader(io.StringIO(cli("owner", "list", "--format", "csv").stdout)))
    assert table[0]["vip_level"] == "钻石"
    shown = cli_json("owner", "show", listed[0]["id"])
    assert shown["vip_level"] == "钻石"
    assert "会员等级 钻石" in cli("owner", "show", listed[0]["id"]).stdout

    # An update file with the English header changes that column, and only for its flat.
    update = tmp_path / "update.csv"
    update.write_text(
        "name,phone,project,unit,vip_level\n李娜,13900001111,HY1,1-102,金卡\n", encoding="utf-8"
    )
    assert cli_json("owner", "import", update, "--update")["updated"] == 1
    assert [row["vip_level"] for row in cli_json("owner", "list")] == ["钻石", "金卡"]


def test_without_the_field_nothing_knows_it(cli_json, project, cli):
    cli(
        "owner",
        "add",
        "--name",
        "王伟",
        "--phone",
        "13812345678",
        "--project",
        "HY1",
        "--unit",
        "1",
    )
    assert "vip_level" not in cli_json("owner", "list")[0]
