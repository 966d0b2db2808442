"""滚雪球计划: the referral ledger, the reward and its settlement, the first referrer wins."""

from __future__ import annotations

import csv
import io


def _add(cli_json, name, unit, phone, *extra):
    added = cli_json("owner", "add", "--name", name, "--phone", phone, "--project", "HY1",
                     "--unit", unit, *extra)  # fmt: skip
    return added["id"]


def test_ledger_pending_confirmed_settled(cli, cli_json, project, chinese):
    referrer = _add(cli_json, "王伟", "1-101", "13812345678", "--signed", "2023-01-02")
    signed = _add(cli_json, "李娜", "1-102", "13900001111", "--signed", "2024-01-02",
                  "--delivered", "2024-06-30", "--referred-by", str(referrer))  # fmt: skip
    waiting = _add(cli_json, "张敏", "1-103", "13700002222", "--referred-by", str(referrer))
    ledger = {r["referred_id"]: r for r in cli_json("referral", "list", "--date", "2024-07-01")}
    assert (ledger[signed]["status"], ledger[signed]["amount"]) == ("confirmed", 3000)
    assert ledger[signed]["settlement"] == "抵扣物业费"
    assert (ledger[waiting]["status"], ledger[waiting]["amount"]) == ("pending", 0)
    assert ledger[signed]["referrer_phone"] == "138****5678"
    cli("done", f"o{referrer}:referral-reward:o{signed}", "--date", "2024-07-10",
        "--channel", "抵扣契税")  # fmt: skip
    ledger = {r["referred_id"]: r for r in cli_json("referral", "list", "--date", "2024-07-11")}
    assert ledger[signed]["status"] == "settled"
    assert (ledger[signed]["settlement"], ledger[signed]["settled_on"]) == (
        "抵扣契税",
        "2024-07-10",
    )
    table = cli("referral", "list", "--date", "2024-07-11").stdout
    assert f"推荐人 {referrer}：待结算 0 元，已结算 3000 元" in table
    assert cli("referral", "list", "--referrer", "99", ok=False).exit_code == 1


def test_first_referrer_wins(cli, cli_json, project, tmp_path):
    first = _add(cli_json, "王伟", "1-101", "13812345678")
    second = _add(cli_json, "刘强", "1-104", "13600003333")
    referred = _add(cli_json, "李娜", "1-102", "13900001111", "--referred-by", str(first))
    refused = cli("owner", "edit", str(referred), "--referred-by", str(second), ok=False)
    assert refused.exit_code == 1 and "first referrer wins" in refused.stderr
    path = tmp_path / "update.csv"
    path.write_text(
        f"姓名,手机,项目,房号,推荐人\n李娜,13900001111,HY1,1-102,o{second}\n", encoding="utf-8"
    )
    cli("owner", "import", path, "--update")
    assert cli_json("owner", "show", str(referred))["referred_by"] == first


def test_reward_amount_and_settlement_come_from_the_playbook(cli, cli_json, project, tmp_path):
    referrer = _add(cli_json, "王伟", "1-101", "13812345678", "--signed", "2023-01-02")
    _add(cli_json, "李娜", "1-102", "13900001111", "--signed", "2024-01-02",
         "--delivered", "2024-06-30", "--referred-by", str(referrer))  # fmt: skip
    book = tmp_path / "book.toml"
    book.write_text(
        '[settings]\nreferral_reward = 5000\nreferral_settlement = "抵扣契税"\n', "utf-8"
    )
    ledger = cli_json("--playbook", book, "referral", "list", "--date", "2024-07-01")
    assert (ledger[0]["amount"], ledger[0]["settlement"]) == (5000, "抵扣契税")
    out = tmp_path / "sms.csv"
    cli("--playbook", book, "export", "--date", "2024-07-01", "--format", "csv", "--out", out)
    rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8-sig"))))
    message = next(r["message"] for r in rows if r["rule"] == "referral-reward")
    assert "老带新奖励5000元已可结算（抵扣契税）" in message
    book.write_text('[settings]\nreferral_settlement = "现金"\n', "utf-8")
    refused = cli("--playbook", book, "referral", "list", ok=False)
    assert "line 2: referral_settlement is one of 抵扣物业费, 抵扣契税" in refused.stderr
