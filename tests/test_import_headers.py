"""The headers sales systems write are read, docs/importing.md lists them (tests/test_docs.py),
and no column is ignored in silence."""

from __future__ import annotations

import re

import pytest

from sixplustwo.domain.fields import header_aliases, input_fields


@pytest.mark.parametrize(
    "header, field",
    [
        ("客户名称", "name"),
        ("客户姓名", "name"),
        ("联系电话", "phone"),
        ("手机号码", "phone"),
        ("移动电话", "phone"),
        ("房间编号", "unit"),
        ("房号", "unit"),
        ("房间号", "unit"),
        ("认筹日期", "subscribed"),
        ("网签日期", "signed"),
        ("签约时间", "signed"),
        ("合同交房日期", "delivery_date"),
        ("合同约定交付日期", "delivery_date"),
        ("交付日期", "delivery_date"),  # as before: the contract's date
        ("实际交房日期", "delivered"),
        ("交房日期", "delivered"),  # the handover itself
        ("收楼日期", "delivered"),
        ("出生日期", "birthday"),
    ],
)
def test_sales_system_headers(header, field):
    assert header_aliases()[header] == field


def test_the_sales_consultant_is_not_a_butler():
    assert "置业顾问" not in header_aliases()


def test_no_header_names_two_fields():
    seen: dict[str, str] = {}
    for field in input_fields():
        for header in field.headers:
            assert seen.setdefault(header, field.input) == field.input, header


def test_another_sales_systems_ledger_keeps_its_delivery_columns(cli, cli_json, project, tmp_path):
    path = tmp_path / "ledger.csv"
    path.write_text(
        "客户名称,联系电话,项目名称,房间编号,网签日期,合同交房日期,实际交房日期,置业顾问,总价,面积\n"
        "王伟,13812345678,华苑一期,1-101,2023-02-01,2024-06-30,2024-07-02,赵顾问,3200000,98.5\n"
        "李娜,13900001111,华苑一期,1-102,2023-02-03,2024-06-30,,赵顾问,2800000,89\n",
        encoding="utf-8",
    )
    dry = cli("owner", "import", path, "--dry-run")
    assert "sixplustwo: warning: ignored columns: 置业顾问, 总价, 面积" in dry.stderr
    assert "new owners: 2" in dry.stdout
    result = cli("owner", "import", path)
    # The history hint counts festival greetings too: how many depends on today.
    stderr = re.sub(r"warning: \d+ actions", "warning: N actions", result.stderr)
    assert stderr.splitlines() == [
        "sixplustwo: warning: ignored columns: 置业顾问, 总价, 面积",
        "sixplustwo: warning: N actions of the new customers fell due before today and would "
        "show as overdue or missed; if that is history from before the team used the tool, set "
        "the day it started: sixplustwo playbook --go-live YYYY-MM-DD",
    ]
    owners = cli_json("owner", "list")
    assert [(o["delivery_date"], o["delivered"], o["butler"]) for o in owners] == [
        ("2024-06-30", "2024-07-02", None),
        ("2024-06-30", None, None),
    ]
    assert owners[0]["stage"] != owners[1]["stage"]  # one has the keys, one awaits them


def test_a_repeated_header_is_named_when_its_last_column_wins(cli, cli_json, project, tmp_path):
    path = tmp_path / "twice.csv"
    path.write_text(
        "姓名,手机号码,项目,房号,联系电话\n王伟,13812345678,HY1,1-101,13900001111\n", "utf-8"
    )
    result = cli("owner", "import", path)
    assert "ignored columns: 手机号码" in result.stderr
    assert cli_json("owner", "list")[0]["phone"].endswith("1111")


def test_a_missing_key_column_of_an_update_names_what_would_do(cli, project, tmp_path):
    path = tmp_path / "butlers.csv"
    path.write_text("项目,管家\nHY1,管家乙\n", "utf-8")
    result = cli("owner", "import", path, "--update", ok=False)
    assert result.exit_code == 1
    assert (
        "header lacks 房号 (accepted: 房号, 房间号, 室号, 房间编号, 房屋编号, unit); "
        "or an owner id column (id, owner_id, 编号, 业主编号)"
    ) in result.stderr
