"""Every figure the README's "The manager's report" defines, on a quarter worked out by hand
(Q2 2025, project DF1, no delivery date: no project actions), across each status boundary:
done on the due day, the day after, on the last day of grace, the day after grace, after the
period, never. And the quarter's JSON does not move when work is recorded after it, asked
the next day, the next month or the next year.

visit-followup is due 3 days after the visit, with 30 days' grace:

owner butler visited due    grace to  done              Q2 (as of 06-30)  April (04-30)
O1    甲     04-01   04-04  05-04     04-04 (due day)   on time           on time
O2    甲     04-01   04-04  05-04     04-05 (day after) late              late
O3    甲     04-01   04-04  05-04     05-04 (grace end) late              open
O4    甲     04-01   04-04  05-04     05-05 (after it)  late              open
O5    甲     04-01   04-04  05-04     07-02 (after Q2)  missed            open
O6    甲     06-20   06-23  07-23     never             open              -
O7    乙     06-20   06-23  07-23     07-01 (after Q2)  open, not late    -
O8    乙     04-01   04-04  05-04     never             missed            open
O9    乙     05-28   05-31  06-30     never             open (grace end)  -
O10   乙     05-27   05-30  06-29     never             missed (day after grace)
O11   乙     06-28   07-01  07-31     never             not counted (due after Q2)
O12   乙     03-29   04-01  05-01     04-01             on time (due on Q2's first day)
"""

from __future__ import annotations

from datetime import date

import pytest

Q2 = ("--project", "DF1", "--from", "2025-04-01", "--to", "2025-06-30")
APRIL = ("--project", "DF1", "--from", "2025-04-01", "--to", "2025-04-30")


@pytest.fixture
def ask(monkeypatch, cli):
    """Run ``report``/``referral list`` as if asked on a given day."""

    def run(on: date, *args):
        monkeypatch.setattr("sixplustwo.cli.report.today", lambda: on)
        monkeypatch.setattr("sixplustwo.cli.referrals.today", lambda: on)
        return cli(*args).stdout

    return run


class Scenario:
    def __init__(self, cli, cli_json):
        self.cli, self.cli_json = cli, cli_json
        self.ids: dict[str, int] = {}

    def add(self, key, butler, *journey, referred=None, greetings=True):
        extra = ["--referred-by", str(self.ids[referred])] if referred else []
        phone = f"138{len(self.ids) + 1:08d}"
        who = ["--name", f"客户{key}", "--phone", phone, "--unit", key, "--butler", butler]
        self.ids[key] = self.cli_json("owner", "add", *who, "--project", "DF1", *journey,
                                      *extra)["id"]  # fmt: skip
        if not greetings:  # signed customers are greeted on festivals: not in this scenario
            self.cli("owner", "edit", self.ids[key], "--no-greetings")

    def done(self, key, rule, on, *extra):
        self.cli("done", f"o{self.ids[key]}:{rule}", "--date", on, *extra)

    def in_period(self):
        """Everything recorded with dates up to the quarter's last day."""
        cli = self.cli
        cli("project", "add", "DF1", "--name", "定义一期")
        for key, butler, visited in [
            ("O1", "甲", "2025-04-01"), ("O2", "甲", "2025-04-01"), ("O3", "甲", "2025-04-01"),
            ("O4", "甲", "2025-04-01"), ("O5", "甲", "2025-04-01"), ("O6", "甲", "2025-06-20"),
            ("O7", "乙", "2025-06-20"), ("O8", "乙", "2025-04-01"), ("O9", "乙", "2025-05-28"),
            ("O10", "乙", "2025-05-27"), ("O11", "乙", "2025-06-28"), ("O12", "乙", "2025-03-29"),
            ("O13", "丙", "2025-01-01"),
        ]:  # fmt: skip
            self.add(key, butler, "--visited", visited)
        self.done("O1", "visit-followup", "2025-04-04", "--score", "5")
        self.done("O2", "visit-followup", "2025-04-05", "--score", "4")
        self.done("O3", "visit-followup", "2025-05-04")
        self.done("O4", "visit-followup", "2025-05-05")
        self.done("O12", "visit-followup", "2025-04-01")
        cli("event", "add", self.ids["O6"], "survey", "--date", "2025-06-30", "--score", "3")
        # Cases of O13 (丙): C1 complaint 04-10 (due 04-17) resolved 04-17, revisit due 04-20
        # done 04-21; C2 repair 06-20 (due 06-23) resolved only on 07-03; C3 repair 05-01
        # (due 05-04) resolved 05-10, revisit due 05-13 never done.
        o13 = self.ids["O13"]
        self.c1 = self.cli_json("case", "open", o13, "--kind", "complaint", "--note", "噪音",
                                "--date", "2025-04-10")["id"]  # fmt: skip
        cli("case", "resolve", self.c1, "--date", "2025-04-17")
        cli("done", f"c{self.c1}:case-revisit", "--date", "2025-04-21")
        self.c2 = self.cli_json("case", "open", o13, "--kind", "repair", "--note", "漏水",
                                "--date", "2025-06-20")["id"]  # fmt: skip
        self.c3 = self.cli_json("case", "open", o13, "--kind", "repair", "--note", "门锁",
                                "--date", "2025-05-01")["id"]  # fmt: skip
        cli("case", "resolve", self.c3, "--date", "2025-05-10")
        # Referrals of O1 (甲), the referred customers with 丁:
        # P1 signed 05-10 (in the period): owed; its signing-revisit (due 05-17) is missed.
        # P2 signed 01-10, delivered 03-20: O1's reward due 04-19, settled 04-25 (late).
        # P3 visited only: pending. P4 signed 02-01: owed. P5 delivered 2024-11-01, its
        # reward settled 2024-12-15 (before the period).
        self.add("P1", "丁", "--signed", "2025-05-10", referred="O1", greetings=False)
        self.add("P2", "丁", "--signed", "2025-01-10", "--delivered", "2025-03-20",
                 referred="O1", greetings=False)  # fmt: skip
        self.add("P3", "丁", "--visited", "2025-01-05", referred="O1")
        self.add("P4", "丁", "--signed", "2025-02-01", referred="O1", greetings=False)
        self.add("P5", "丁", "--signed", "2024-01-10", "--delivered", "2024-11-01",
                 referred="O1", greetings=False)  # fmt: skip
        o1 = self.ids["O1"]
        cli("done", f"o{o1}:referral-reward:o{self.ids['P5']}", "--date", "2024-12-15")
        cli("done", f"o{o1}:referral-reward:o{self.ids['P2']}", "--date", "2025-04-25")

    def after_period(self):
        """Work recorded after the quarter, with dates after it."""
        cli = self.cli
        self.done("O5", "visit-followup", "2025-07-02", "--score", "1")
        self.done("O7", "visit-followup", "2025-07-01", "--score", "2")
        cli("case", "resolve", self.c2, "--date", "2025-07-03")
        cli("done", f"c{self.c3}:case-revisit", "--date", "2025-07-04")
        cli("event", "add", self.ids["O9"], "visit-followup", "--date", "2025-07-05")
        cli("owner", "edit", self.ids["P3"], "--signed", "2025-07-15")  # pending → owed
        cli("owner", "edit", self.ids["P4"], "--delivered", "2025-07-20")

    def next_year(self):
        cli = self.cli
        o1 = self.ids["O1"]
        cli("done", f"o{o1}:referral-reward:o{self.ids['P4']}", "--date", "2025-08-10")
        cli("event", "add", self.ids["O8"], "visit-followup", "--date", "2025-09-01")
        cli("case", "open", self.ids["O13"], "--kind", "complaint", "--note", "电梯",
            "--date", "2025-10-01")  # fmt: skip
        cli("owner", "forget", self.ids["O10"], "--yes")


@pytest.fixture
def scenario(cli, cli_json):
    found = Scenario(cli, cli_json)
    found.in_period()
    return found


def _row(rows, key, value):
    return next(r for r in rows if r[key] == value)


def _outcomes(row):
    return (row["on_time"], row["late"], row["missed"], row["open"], row["on_time_rate"])


def test_every_defined_figure_worked_out_by_hand(scenario, cli_json):
    scenario.after_period()  # recorded later: changes nothing below
    report = cli_json("report", *Q2)
    assert report["period"] == {"from": "2025-04-01", "to": "2025-06-30", "as_of": "2025-06-30"}
    rules = report["rules"]
    # on time O1, O12; late O2, O3, O4; missed O5, O8, O10; open O6, O7, O9: 2 ÷ 8
    assert _outcomes(_row(rules, "rule", "visit-followup")) == (2, 3, 3, 3, 0.25)
    assert _outcomes(_row(rules, "rule", "signing-revisit")) == (0, 0, 1, 0, 0.0)  # P1
    assert _outcomes(_row(rules, "rule", "case-resolve")) == (1, 1, 0, 1, 0.5)  # C1, C3, C2
    assert _outcomes(_row(rules, "rule", "case-revisit")) == (0, 1, 0, 1, 0.0)  # C1, C3
    assert _outcomes(_row(rules, "rule", "referral-reward")) == (0, 1, 0, 0, 0.0)  # P2
    counted = {"visit-followup", "signing-revisit", "case-resolve", "case-revisit",
               "referral-reward"}  # fmt: skip
    assert all(_outcomes(r)[:4] == (0, 0, 0, 0) for r in rules if r["rule"] not in counted)
    steps = report["steps"]
    assert _outcomes(_row(steps, "step", "1")) == (2, 3, 3, 3, 0.25)
    assert _outcomes(_row(steps, "step", "2")) == (0, 0, 1, 0, 0.0)
    assert _outcomes(_row(steps, "step", "+1")) == (1, 3, 0, 2, 0.25)
    assert all(_outcomes(_row(steps, "step", s))[:4] == (0, 0, 0, 0)
               for s in ("3", "4", "5", "6", "+2"))  # fmt: skip
    butlers = report["butlers"]
    # 甲: O1 on time; O2, O3, O4 and O1's reward for P2 late; O5 missed; O6 open: 1 ÷ 6
    assert _outcomes(_row(butlers, "butler", "甲")) == (1, 4, 1, 1, 0.167)
    assert _row(butlers, "butler", "甲")["workload"] == 7
    # 乙: O12 on time; O8, O10 missed; O7, O9 open (O11 not counted): 1 ÷ 3
    assert _outcomes(_row(butlers, "butler", "乙")) == (1, 0, 2, 2, 0.333)
    assert _row(butlers, "butler", "乙")["workload"] == 5
    # 丙: the cases: C1 resolved on time; C3 resolved late, C1 revisited late; C2, C3 open
    assert _outcomes(_row(butlers, "butler", "丙")) == (1, 2, 0, 2, 0.333)
    assert _outcomes(_row(butlers, "butler", "丁")) == (0, 0, 1, 0, 0.0)
    assert len(butlers) == 4
    # Scores in the period: 5 (O1), 4 (O2), 3 (O6's survey on the last day); O5's 1 and
    # O7's 2 came after it.
    assert report["satisfaction"] == {
        "answers": 3, "average": 4.0, "distribution": {"1": 0, "2": 0, "3": 1, "4": 1, "5": 1},
    }  # fmt: skip
    assert report["cases"] == {
        # C1: 7 days, revisited by 06-30
        "complaint": {"opened": 1, "open_now": 0, "resolved": 1,
                      "median_days_to_resolve": 7, "revisit_rate": 1.0},
        # C2 still open on 06-30; C3: 9 days, revisited only on 07-04
        "repair": {"opened": 2, "open_now": 1, "resolved": 1,
                   "median_days_to_resolve": 9, "revisit_rate": 0.0},
    }  # fmt: skip
    assert report["checklist_problems"] == []
    assert report["referrals"] == {
        "referred_signed": 1,  # P1 signed in the period
        "rewards_due": 2,  # P1 and P4 confirmed, not settled, on 06-30
        "reward_amount": 6000,
        "rewards_settled": 1,  # P2, on 04-25
        "settled_amount": 3000,
        "pending": 1,  # P3 had not signed by 06-30
        "settled_to_date": 2,  # P5 (2024-12-15) and P2
        "settled_amount_to_date": 6000,
    }


def test_april_alone_judges_as_of_april_30(scenario, cli_json):
    scenario.after_period()
    report = cli_json("report", *APRIL)
    assert report["period"]["as_of"] == "2025-04-30"
    # on time O1, O12; late O2; open O3, O4, O5, O8 (within grace on 04-30, done later or never)
    assert _outcomes(_row(report["rules"], "rule", "visit-followup")) == (2, 1, 0, 4, 0.667)
    # C1 resolved on its due day; its revisit, due 04-20, done 04-21
    assert _outcomes(_row(report["rules"], "rule", "case-resolve")) == (1, 0, 0, 0, 1.0)
    assert _outcomes(_row(report["rules"], "rule", "case-revisit")) == (0, 1, 0, 0, 0.0)
    assert report["cases"]["repair"]["opened"] == 0


def test_a_closed_quarter_never_moves(scenario, ask):
    """Asked the day after, a month later and a year later, with work recorded in between
    (late completions, a case resolved and revisited, scores, a signing, a delivery, a
    reward settled, a forgotten owner): byte-identical JSON, terminal text and page."""

    def every_form(on):
        return (
            ask(on, "report", *Q2, "--format", "json"),
            ask(on, "report", *Q2),
            ask(on, "referral", "list", "--as-of", "2025-06-30", "--format", "json"),
        )

    first = every_form(date(2025, 7, 1))
    import json

    report = json.loads(first[0])
    # The figures that could move are not all zero: the test would see them move.
    assert report["cases"]["repair"]["open_now"] == 1 and report["satisfaction"]["answers"] == 3
    assert report["referrals"]["pending"] == 1 and report["referrals"]["rewards_due"] == 2
    scenario.after_period()
    assert every_form(date(2025, 8, 1)) == first
    scenario.next_year()
    assert every_form(date(2026, 7, 1)) == first
    # ... while the later quarter sees the work: O5 and O7 done after Q2.
    q3 = json.loads(ask(date(2026, 7, 1), "report", "--project", "DF1", "--from", "2025-07-01",
                        "--to", "2025-09-30", "--format", "json"))  # fmt: skip
    assert q3["satisfaction"]["answers"] == 2 and q3["referrals"]["settled_amount"] == 3000


def test_report_and_ledger_agree_on_the_same_day(scenario, ask):
    import json

    scenario.after_period()
    for day in ("2025-04-30", "2025-06-30", "2025-07-31", "2025-12-31"):
        on = date.fromisoformat(day)
        report = json.loads(ask(date(2026, 1, 5), "report", *Q2[:2], "--from", "2025-01-01",
                                "--to", day, "--format", "json"))["referrals"]  # fmt: skip
        ledger = json.loads(ask(date(2026, 1, 5), "referral", "list", "--as-of", day,
                                "--format", "json"))  # fmt: skip
        owed = [r for r in ledger if r["status"] == "confirmed"]
        settled = [r for r in ledger if r["status"] == "settled"]
        assert report["rewards_due"] == len(owed), day
        assert report["reward_amount"] == sum(r["amount"] for r in owed), day
        assert report["pending"] == sum(1 for r in ledger if r["status"] == "pending"), day
        assert report["settled_to_date"] == len(settled), day
        assert report["settled_amount_to_date"] == sum(r["amount"] for r in settled), day
        in_period = [r for r in settled if "2025-01-01" <= r["settled_on"] <= day]
        assert report["rewards_settled"] == len(in_period), day
        assert all(r["signed"] is None or r["signed"] <= day for r in ledger)
        text = ask(on, "referral", "list", "--as-of", day)
        total = sum(r["amount"] for r in owed)
        assert f"{len(owed)} owed ({total} yuan)" in text, day
        # ... and the terminal report and the page say the same as the ledger (16.6).
        shown = ask(date(2026, 1, 5), "report", *Q2[:2], "--from", "2025-01-01", "--to", day)
        assert (
            f"Referrals as of {day}: {report['pending']} awaiting signing, "
            f"{len(owed)} rewards to settle ({total} yuan)"
        ) in shown, day


def test_a_notice_never_sent_before_a_late_handover_is_missed(cli, cli_json, ask):
    """docs/report.md, "the delivery notice and the handover": project DN2 delivers 04-25, so
    each owner's delivery notice is due 04-15 (30 days' grace). Never sent:

    owner  handover  Q2 (as of 06-30)        April (as of 04-30)
    N1     04-10     not counted (cancelled)  not counted
    N2     04-15     not counted (due day)    not counted
    N3     04-16     missed (within grace)    missed
    N4     05-10     missed                   open (the handover not known yet)
    N5     none      missed (past grace)      open
    N6     05-10, the notice sent 04-14: on time
    """
    import json

    cli("project", "add", "DN2", "--name", "交付二期", "--delivery-date", "2025-04-25")
    ids = {}
    for number, handover in enumerate(
        ["2025-04-10", "2025-04-15", "2025-04-16", "2025-05-10", None, "2025-05-10"], start=1
    ):
        journey = ["--signed", "2024-01-01"] + (["--delivered", handover] if handover else [])
        ids[number] = cli_json("owner", "add", "--name", f"客户N{number}", "--phone",
                               f"1370000000{number}", "--project", "DN2", "--unit", f"N{number}",
                               "--butler", "戊",
                               *journey)["id"]  # fmt: skip
    cli("event", "add", ids[6], "delivery-notice", "--date", "2025-04-14")

    def notice(on, start, end):
        report = json.loads(ask(on, "report", "--project", "DN2", "--from", start, "--to", end,
                                "--format", "json"))  # fmt: skip
        row = _row(report["rules"], "rule", "delivery-notice")
        return row["on_time"], row["late"], row["missed"], row["open"]

    assert notice(date(2025, 7, 1), "2025-04-01", "2025-06-30") == (1, 0, 3, 0)
    assert notice(date(2025, 7, 1), "2025-04-01", "2025-04-30") == (1, 0, 1, 2)
    # The morning list: none of them after the handovers; N5 (no handover) until its grace ends.
    listed = {row["action_id"] for row in cli_json("due", "--date", "2025-05-11")}
    assert {f"o{ids[n]}:delivery-notice" for n in ids} & listed == {f"o{ids[5]}:delivery-notice"}
