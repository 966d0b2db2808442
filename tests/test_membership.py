"""Membership tiers (seed 004 会员俱乐部): 铂金卡/金卡/银卡/蓝卡 from flats owned and referrals."""

from __future__ import annotations

from sixplustwo.domain.playbook import DEFAULT_TIERS, membership_tier


def test_default_tiers_best_first():
    assert membership_tier(DEFAULT_TIERS, 0, 5) is None  # not a customer with a flat yet
    assert membership_tier(DEFAULT_TIERS, 1, 0) == "蓝卡"
    assert membership_tier(DEFAULT_TIERS, 1, 1) == "银卡"
    assert membership_tier(DEFAULT_TIERS, 2, 0) == "金卡"
    assert membership_tier(DEFAULT_TIERS, 1, 2) == "金卡"
    assert membership_tier(DEFAULT_TIERS, 3, 0) == "铂金卡"
    assert membership_tier(DEFAULT_TIERS, 1, 3) == "铂金卡"


def _add(cli_json, name, unit, phone, *extra):
    added = cli_json("owner", "add", "--name", name, "--phone", phone, "--project", "HY1",
                     "--unit", unit, *extra)  # fmt: skip
    return added["id"]


def test_tier_on_owner_and_as_a_due_filter(cli, cli_json, project, tmp_path, monkeypatch):
    signed = ("--signed", "2024-01-02", "--delivered", "2024-06-30")
    two_flats = _add(cli_json, "王伟", "1-101", "13812345678", *signed)
    _add(cli_json, "王伟", "1-102", "13812345678", *signed)
    referrer = _add(cli_json, "李娜", "2-101", "13900001111", *signed)
    _add(cli_json, "张敏", "2-102", "13700002222", *signed, "--referred-by", str(referrer))
    prospect = _add(cli_json, "刘强", "3-101", "13600003333", "--visited", "2024-09-20")
    tiers = {o["id"]: o["membership"] for o in cli_json("owner", "list")}
    assert tiers[two_flats] == "金卡" and tiers[referrer] == "银卡" and tiers[prospect] is None
    monkeypatch.setenv("SIXPLUSTWO_LANG", "zh")  # the screen as a Chinese team reads it
    assert "会员: 金卡" in cli("owner", "show", str(two_flats)).stdout
    monkeypatch.setenv("SIXPLUSTWO_LANG", "en")
    day = "2024-10-01"  # the 3-month revisits are open for every delivered owner
    gold = cli_json("due", "--date", day, "--membership", "金卡")
    assert {r["owner"] for r in gold} == {"王伟"} and len(gold) >= 2
    everyone = {r["owner"] for r in cli_json("due", "--date", day)}
    assert {"王伟", "李娜", "张敏"} <= everyone
    refused = cli("due", "--membership", "钻石卡", ok=False)
    assert refused.exit_code == 1 and "tiers are 铂金卡, 金卡, 银卡, 蓝卡" in refused.stderr
    book = tmp_path / "club.toml"
    book.write_text('[membership."VIP"]\nflats = 2\n\n[membership."会员"]\nflats = 1\n', "utf-8")
    assert {r["owner"] for r in cli_json("--playbook", book, "due", "--date", day,
                                          "--membership", "VIP")} == {"王伟"}  # fmt: skip
    out = tmp_path / "gold.csv"
    cli("export", "--date", day, "--format", "csv", "--out", out, "--membership", "金卡")
    assert "李娜" not in out.read_text("utf-8-sig") and "王伟" in out.read_text("utf-8-sig")
