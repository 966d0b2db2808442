"""Wrong results refused (issue 27, point 9), through the commands, on either backend: a
referral cycle or a forgotten referrer, a completion dated before its action opens, a name of
zero-width characters only, a phone typed in another script's digits, an SMS past three
parts."""

from __future__ import annotations

import csv
import io

import pytest


def _add(cli, name, unit, phone, *extra) -> int:
    added = cli("owner", "add", "--name", name, "--phone", phone, "--project", "HY1",
                "--unit", unit, *extra)  # fmt: skip
    return int(added.stdout)


@pytest.fixture
def three(cli, project) -> list[int]:
    return [
        _add(cli, "王伟", "1-101", "13812345678"),
        _add(cli, "李娜", "1-102", "13900001111"),
        _add(cli, "张敏", "1-103", "13700002222"),
    ]


def _referred_by(cli_json, owner: int) -> int | None:
    return cli_json("owner", "show", str(owner))["referred_by"]


# -- referrals --------------------------------------------------------------------------


def test_a_referral_cycle_is_refused_by_owner_edit(cli, cli_json, three):
    one, two, three_ = three
    cli("owner", "edit", str(one), "--referred-by", str(two))
    refused = cli("owner", "edit", str(two), "--referred-by", str(one), ok=False)
    assert refused.exit_code == 1
    assert "referral cycle" in refused.stderr and f"{two} → {one} → {two}" in refused.stderr
    assert _referred_by(cli_json, two) is None
    # A longer one: 1 ← 2 ← 3 ← 1.
    cli("owner", "edit", str(two), "--referred-by", str(three_))
    refused = cli("owner", "edit", str(three_), "--referred-by", str(one), ok=False)
    assert "referral cycle" in refused.stderr
    assert f"{three_} → {one} → {two} → {three_}" in refused.stderr
    assert _referred_by(cli_json, three_) is None
    refused = cli("owner", "edit", str(one), "--referred-by", str(one), ok=False)
    assert "cannot refer themselves" in refused.stderr


def test_a_referral_cycle_is_refused_by_the_import_update(cli, cli_json, three, tmp_path):
    one, two, _ = three
    path = tmp_path / "update.csv"
    path.write_text(f"业主编号,推荐人\n{one},o{two}\n{two},o{one}\n", encoding="utf-8")
    refused = cli("owner", "import", path, "--update", ok=False)
    assert refused.exit_code == 1 and "referral cycle" in refused.stderr
    assert "row 3" in refused.stderr
    assert [_referred_by(cli_json, one), _referred_by(cli_json, two)] == [None, None]


def test_a_referral_cycle_among_new_owners_is_refused_by_the_import(
    cli, cli_json, project, tmp_path
):
    path = tmp_path / "new.csv"
    # The file's owners get ids 1 and 2: each names the other as referrer.
    path.write_text(
        "姓名,手机,项目,房号,推荐人\n王伟,13812345678,HY1,1-101,o2\n"
        "李娜,13900001111,HY1,1-102,o1\n",
        encoding="utf-8",
    )
    refused = cli("owner", "import", path, ok=False)
    assert refused.exit_code == 1 and "referral cycle" in refused.stderr
    assert cli_json("owner", "list") == []
    path.write_text("姓名,手机,项目,房号,推荐人\n王伟,13812345678,HY1,1-101,o1\n", "utf-8")
    refused = cli("owner", "import", path, ok=False)
    assert "referral cycle" in refused.stderr or "refer themselves" in refused.stderr
    assert cli_json("owner", "list") == []


def test_a_cycle_through_an_owner_the_update_adds_is_refused(cli, cli_json, three, tmp_path):
    one = three[0]
    path = tmp_path / "update.csv"
    # Row 2 adds the owner of a new flat (id 4) referred by owner 1; row 3 has 1 referred by 4.
    path.write_text(
        "姓名,手机,项目,房号,推荐人\n"
        f"赵六,13600003333,HY1,1-104,o{one}\n王伟,13812345678,HY1,1-101,o4\n",
        encoding="utf-8",
    )
    refused = cli("owner", "import", path, "--update", ok=False)
    assert refused.exit_code == 1 and "referral cycle" in refused.stderr
    assert _referred_by(cli_json, one) is None


def test_a_forgotten_referrer_is_refused(cli, cli_json, three, tmp_path):
    one, two, three_ = three
    cli("owner", "forget", str(one), "--yes")
    refused = cli("owner", "edit", str(two), "--referred-by", str(one), ok=False)
    assert refused.exit_code == 1 and f"owner {one} was forgotten" in refused.stderr
    refused = cli("owner", "add", "--name", "赵六", "--phone", "13600003333", "--project", "HY1",
                  "--unit", "1-104", "--referred-by", str(one), ok=False)  # fmt: skip
    assert refused.exit_code == 1 and f"owner {one} was forgotten" in refused.stderr
    path = tmp_path / "new.csv"
    path.write_text(f"姓名,手机,项目,房号,推荐人\n赵六,13600003333,HY1,1-104,o{one}\n", "utf-8")
    refused = cli("owner", "import", path, ok=False)
    assert refused.exit_code == 1 and f"owner {one} was forgotten" in refused.stderr
    assert "row 2" in refused.stderr
    path.write_text(f"业主编号,推荐人\n{three_},o{one}\n", "utf-8")
    refused = cli("owner", "import", path, "--update", ok=False)
    assert refused.exit_code == 1 and f"owner {one} was forgotten" in refused.stderr
    assert [_referred_by(cli_json, two), _referred_by(cli_json, three_)] == [None, None]
    assert len(cli_json("owner", "list")) == 3


def test_a_plain_chain_of_referrals_is_still_accepted(cli, cli_json, three, tmp_path):
    one, two, three_ = three
    path = tmp_path / "update.csv"
    path.write_text(f"业主编号,推荐人\n{two},o{one}\n{three_},o{two}\n", "utf-8")
    cli("owner", "import", path, "--update")
    assert [_referred_by(cli_json, two), _referred_by(cli_json, three_)] == [one, two]


# -- a completion before its action opens ------------------------------------------------


@pytest.fixture
def delivered(cli, project) -> int:
    # Delivered 2025-09-01: the 3-month revisit opens on 2025-12-01.
    return _add(cli, "王伟", "1-101", "13812345678", "--signed", "2025-01-02",
                "--delivered", "2025-09-01")  # fmt: skip


def test_done_before_the_action_opens_is_refused(cli, cli_json, delivered):
    action = f"o{delivered}:revisit-3m"
    refused = cli("done", action, "--date", "2020-01-01", ok=False)
    assert refused.exit_code == 1
    assert "2025-12-01" in refused.stderr and "opens" in refused.stderr
    refused = cli("done", action, "--date", "2025-11-30", ok=False)
    assert "2025-12-01" in refused.stderr
    # Bulk done: nothing done, the early one named.
    both = (action, f"o{delivered}:quality-check-1y")
    refused = cli("done", *both, "--date", "2025-12-05", ok=False)
    assert refused.exit_code == 1 and "quality-check-1y" in refused.stderr
    status = {a["rule"]: a["status"] for a in cli_json("owner", "show", str(delivered))["actions"]}
    assert status["revisit-3m"] != "done"
    cli("done", action, "--date", "2025-12-01")  # the day it opens is on time


def test_an_event_named_after_a_rule_before_it_opens_is_refused(cli, cli_json, delivered):
    refused = cli("event", "add", str(delivered), "revisit-3m", "--date", "2020-01-01", ok=False)
    assert refused.exit_code == 1 and "2025-12-01" in refused.stderr
    shown = cli_json("owner", "show", str(delivered))
    assert not [e for e in shown["events"] if e["kind"] == "revisit-3m"]
    # An event of a kind no rule has is a plain record, whatever its day.
    cli("event", "add", str(delivered), "电话回访", "--date", "2020-01-01")
    cli("event", "add", str(delivered), "revisit-3m", "--date", "2025-12-03")


def test_a_project_event_before_its_action_opens_is_refused(cli, project):
    # The project's first delivery is 2024-06-30: 工地开放日 opens four months before.
    refused = cli("project", "event", project, "site-open-day", "--date", "2020-01-01", ok=False)
    assert refused.exit_code == 1 and "2024-02-29" in refused.stderr
    cli("project", "event", project, "site-open-day", "--date", "2024-03-05")


# -- names of zero-width characters only -------------------------------------------------


@pytest.mark.parametrize(
    "name", ["\u200b", "\u200b\u200c\u200d", "\ufeff\u2060", "\u200b \u200b", "\u0301\u0308"]
)
def test_a_name_of_invisible_characters_is_refused(cli, cli_json, project, name, tmp_path):
    refused = cli("owner", "add", "--name", name, "--phone", "13812345678", "--project", "HY1",
                  "--unit", "1-101", ok=False)  # fmt: skip
    assert refused.exit_code == 1 and "name: " in refused.stderr
    assert "no visible character" in refused.stderr
    owner = _add(cli, "王伟", "1-101", "13812345678")
    refused = cli("owner", "edit", str(owner), "--name", name, ok=False)
    assert "no visible character" in refused.stderr
    path = tmp_path / "new.csv"
    path.write_text(f"姓名,手机,项目,房号\n{name},13900001111,HY1,1-102\n", "utf-8")
    refused = cli("owner", "import", path, ok=False)
    # A byte-order mark inside a file is refused as such, before its row is read as a name.
    why = "byte-order mark" if "\ufeff" in name else "no visible character"
    assert "row 2" in refused.stderr and why in refused.stderr
    assert [o["name"] for o in cli_json("owner", "list")] == ["王伟"]


def test_names_of_every_kind_are_kept(cli, cli_json, project):
    names = ["王伟", "Zoë", "Zoe\u0308", "阿卜杜拉·买买提", "O'Brien", "𪨶"]
    for number, name in enumerate(names, start=1):
        _add(cli, name, f"2-{number}", f"1380000{number:04d}")
    assert [o["name"] for o in cli_json("owner", "list")] == names


# -- phones in any script's digits --------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "١٣٨١٢٣٤٥٦٧٨",  # Arabic-Indic
        "۱۳۸۱۲۳۴۵۶۷۸",  # extended Arabic-Indic (Persian)
        "१३८१२३४५६७८",  # Devanagari
        "１３８１２３４５６７８",  # full width
        "+٨٦ ١٣٨ ١٢٣٤ ٥٦٧٨",
    ],
)
def test_a_phone_in_another_scripts_digits_is_stored_as_ascii(cli, cli_json, project, typed):
    owner = _add(cli, "王伟", "1-101", typed)
    assert cli("owner", "show", str(owner), "--reveal", "--format", "json").stdout.count(
        '"13812345678"'
    )
    assert [o["id"] for o in cli_json("owner", "find", "13812345678")] == [owner]
    assert [o["id"] for o in cli_json("owner", "find", typed)] == [owner]
    assert [o["id"] for o in cli_json("owner", "find", "*٥٦٧٨")] == [owner]


# -- an SMS past three parts ----------------------------------------------------------------


def test_the_export_never_sends_more_than_three_parts(cli, project, tmp_path):
    from sixplustwo.domain.messages import sms_parts

    rare = "𪨶" * 90  # outside the BMP: two UTF-16 units each
    _add(cli, rare, "1-101", "13812345678", "--signed", "2025-01-02", "--delivered", "2025-09-01")
    out = tmp_path / "sms.csv"
    cli("export", "--date", "2025-12-02", "--format", "csv", "--out", out)
    rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8-sig"))))
    messages = [r["message"] for r in rows if r["message"]]
    assert messages
    for message in messages:
        assert sms_parts(message) <= 3
        assert len(message.encode("utf-16-le")) // 2 <= 201


def test_playbook_use_warns_of_a_template_past_three_parts(cli, empty_db, tmp_path):
    book = tmp_path / "book.toml"
    long = "尊敬的{name}，" + "您好" * 85 + "——{project}客户管家{butler}"
    book.write_text(f'[rules.revisit-3m]\ntemplate = "{long}"\n', "utf-8")
    used = cli("playbook", "--use", book)
    assert "revisit-3m" in used.stderr and "3 SMS parts" in used.stderr
    book.write_text('[rules.revisit-3m]\ntemplate = "尊敬的{name}，您好"\n', "utf-8")
    used = cli("playbook", "--use", book)
    assert used.stderr == ""
