"""A month of work, as one scenario (issue 29, point 7): two butlers, 陈静 and 李晓, at one OS
account (``SIXPLUSTWO_USER`` names each), the README's two cron lines at 07:00 and 15:00 in
both orders, the clock the company's (``context._now``: no ``--date`` anywhere a butler or
cron would not type one). Every greeting and bulletin reaches the SMS platform exactly once and
is done by being sent, on its export's day; each butler's mistake at 10:00 is undone by her
``undo``, never blocked by an export of other owners' rows nor taken from the other butler; one
delivery report re-opens a failed greeting, which is listed again; and the month's report
equals a count made here from the SMS files and the butlers' ``done``s: nothing sent is
missed, missed is what was neither sent nor done."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sixplustwo.cli import context

FIRST = date(2026, 6, 1)  # 端午节 2026-06-19: the month's one festival
LAST = date(2026, 6, 30)
SHANGHAI = ZoneInfo("Asia/Shanghai")
BUTLERS = ("陈静", "李晓")
OWNERS = 40
MILESTONE_DAY = 10  # 李晓 records HY's topping-out: the 15:00 file sends the bulletins
RECEIPTS_DAY = 12  # the platform's report on the morning's file: two greetings failed
# Each butler's mistakes: (day, butler, made at, undone at); the 07:00 and 15:00 exports lie
# between some of them, and the other butler's command always does.
MISTAKES = (
    (3, "陈静", (10, 0), (10, 5)),
    (6, "李晓", (10, 0), (15, 5)),  # after the 15:00 export
    (MILESTONE_DAY, "陈静", (10, 0), (15, 5)),  # after the 15:00 export of HY's bulletins
    (14, "李晓", (6, 50), (7, 10)),  # right after the 07:00 cron lines (SMS first)
    (21, "陈静", (6, 50), (7, 10)),  # right after the 07:00 cron lines (calendar first)
    (25, "李晓", (10, 0), (10, 5)),
)


def _sms_rows(path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text("utf-8-sig"))))


def _judge(due: date, grace: int | None, done: date | None, as_of: date) -> str:
    """The report's definition, written out (README: on time, late, missed, open)."""
    if done is not None and done <= as_of:
        return "on_time" if done <= due else "late"
    if grace is not None and as_of > due + timedelta(days=grace):
        return "missed"
    return "open"


def test_a_month_of_work(cli, cli_json, tmp_path, db_path, monkeypatch):
    def clock(day: date, hour: int, minute: int = 0) -> None:
        moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)
        monkeypatch.setattr(context, "_now", lambda: moment.astimezone(UTC))

    def person(name: str | None) -> None:
        if name is None:
            monkeypatch.delenv("SIXPLUSTWO_USER", raising=False)
        else:
            monkeypatch.setenv("SIXPLUSTWO_USER", name)

    clock(FIRST - timedelta(days=1), 9)
    person("陈静")
    cli("project", "add", "HY", "--name", "华苑一期", "--delivery-date", "2027-06-30")
    cli("project", "add", "JL", "--name", "锦澜府", "--delivery-date", "2027-12-31")
    owner_project: dict[int, str] = {}

    def add_owner(n: int) -> None:
        """Owner n signs on day n % 28 - 13 of the month (before the month: added at its
        start; in it: added that morning by the butler), visited 12 days and subscribed 5
        days before (the follow-up, first contact and signing revisit are calls); born in
        June, after the signing (every eighth owner gave no birthday); odd owners in HY, even
        ones in JL; the butlers take pairs in turn."""
        project = "HY" if n % 2 else "JL"
        signed = signs_on(n)
        birthday = signed.day + 3 + n % 7 if signed >= FIRST else n % 30 + 1
        extra = ["--birthday", f"198{n % 10}-06-{birthday:02d}"] if n % 8 != 7 else []
        butler = BUTLERS[n // 2 % 2]
        owner = cli_json(
            "owner", "add", "--name", f"业主{n}", "--phone", f"139{n:04d}{n * 37 % 10000:04d}",
            "--project", project, "--unit", f"{n // 4 + 1}-{n % 4 + 1}01",
            "--visited", (signed - timedelta(days=12)).isoformat(),
            "--subscribed", (signed - timedelta(days=5)).isoformat(),
            "--signed", signed.isoformat(), "--butler", butler, *extra,
        )["id"]  # fmt: skip
        owner_project[owner] = project

    def signs_on(n: int) -> date:
        return FIRST + timedelta(days=n % 28 - 14)

    for n in range(OWNERS):
        if signs_on(n) < FIRST:
            add_owner(n)
    playbook = {row["rule"]: row for row in cli_json("playbook")}
    sent_is_done = {rule for rule, row in playbook.items() if row["sent_is_done"]}

    db = str(db_path)
    calendar = tmp_path / "butlers.ics"
    sms_files: list[tuple[date, Path]] = []
    listed: dict[str, tuple[str, date]] = {}  # every action a morning list showed: rule, due
    done_by: dict[str, date] = {}  # the butlers' done (and not undone), by action
    reopened: set[str] = set()

    def cron(day: date, hour: int) -> list[dict]:
        """The README's two cron lines, as cron runs them (the account itself, no --date):
        the SMS file named by the hour, then the calendar whole; on odd days the calendar's
        line runs first (the docs: whichever runs first)."""
        person(None)
        sms = tmp_path / f"reminders-{day.isoformat()}-{hour:02d}00.csv"
        lines = [
            ("--db", db, "export", "--format", "csv", "--new-only", "--out", sms),
            ("--db", db, "export", "--format", "ics", "--out", calendar),
        ]
        for minute, line in enumerate(reversed(lines) if day.day % 2 else lines):
            clock(day, hour, minute * 5)
            cli(*line)
        sms_files.append((day, sms))
        return _sms_rows(sms)

    def morning_list(day: date) -> list[dict]:
        rows = cli_json("due")
        for row in rows:
            listed.setdefault(row["action_id"], (row["rule"], date.fromisoformat(row["due_on"])))
        return rows

    def calls(rows: list[dict], butler: str) -> list[dict]:
        return [
            r for r in rows
            if r["butler"] == butler and r["rule"] not in sent_is_done
            and r["action_id"] not in done_by
        ]  # fmt: skip

    def mistake(day: date, butler: str, rows: list[dict], quiet: bool) -> str:
        """The butler marks done a call she did not make; the other butler then does one of
        hers. ``quiet``: an owner none of whose actions falls due today (the next cron lines
        then send nothing of theirs, so no export touches the mistake's rows)."""
        new_today = {r["owner_id"] for r in rows if r["due_on"] == day.isoformat()}
        mine = [
            r for r in calls(rows, butler)
            if owner_project[r["owner_id"]] == "JL" and not (quiet and r["owner_id"] in new_today)
        ]  # fmt: skip
        wrong = mine[-1]["action_id"]
        person(butler)
        cli("done", wrong, "--channel", "电话")
        other = BUTLERS[butler == BUTLERS[0]]
        theirs = calls(rows, other)[0]["action_id"]
        person(other)
        cli("done", theirs, "--channel", "电话")
        done_by[theirs] = day
        return wrong

    def undo(butler: str, wrong: str, at: tuple[int, int], day: date) -> None:
        clock(day, *at)
        person(butler)
        dry = cli("undo", "--dry-run").stdout
        assert dry.startswith(f"would undo: done {wrong} --channel 电话 ({butler}, "), dry
        assert cli("undo").stdout.startswith(f"undone: done {wrong}")
        owner = int(wrong[1:].split(":")[0])
        status = {a["action_id"]: a["status"] for a in cli_json("owner", "show", owner)["actions"]}
        assert status[wrong] != "done"

    failed: list[str] = []
    for offset in range((LAST - FIRST).days + 1):
        day = FIRST + timedelta(days=offset)
        planned = [m for m in MISTAKES if m[0] == day.day]
        early = [m for m in planned if m[2] < (7, 0)]
        late = [m for m in planned if m[2] >= (7, 0)]

        clock(day, 6, 45)
        rows = morning_list(day)
        pending = {}
        for _, butler, made, _undone in early:
            clock(day, *made)
            pending[butler] = mistake(day, butler, rows, quiet=True)
        morning = cron(day, 7)
        for _, butler, _made, undone_at in early:  # right after the cron lines
            assert morning  # they sent other owners' greetings
            undo(butler, pending.pop(butler), undone_at, day)

        # 09:00: each butler makes one of her calls (the greetings went out at 07:00).
        clock(day, 9)
        rows = morning_list(day)
        sent_now = {r["action_id"] for r in morning if r["rule"] in sent_is_done}
        assert not sent_now & {r["action_id"] for r in rows}  # done by sending: off the list
        for butler in BUTLERS:
            person(butler)
            for row in calls(rows, butler)[:1]:
                cli("done", row["action_id"], "--channel", "电话")
                done_by[row["action_id"]] = day
        clock(day, 9, 5)
        for n in range(OWNERS):  # the day's new owners, added by their butler
            if signs_on(n) == day:
                person(BUTLERS[n // 2 % 2])
                add_owner(n)
        if day.day == MILESTONE_DAY:
            clock(day, 9, 30)
            person("李晓")
            cli("project", "milestone", "HY", "封顶", "--date", day)
        if day.day == RECEIPTS_DAY:
            greetings = [r for r in morning if r["rule"] == "birthday"]
            assert len(greetings) >= 2
            failed = [r["action_id"] for r in greetings[:2]]
            delivered = [r["action_id"] for r in morning if r["action_id"] not in failed]
            report = tmp_path / f"回执-{day.isoformat()}.csv"
            report.write_text(
                "外部流水号,发送状态\n"
                + "".join(f"{action},发送失败\n" for action in failed)
                + "".join(f"{action},发送成功\n" for action in delivered),
                "utf-8",
            )
            clock(day, 9, 40)
            person("陈静")
            result = cli_json("export", "receipts", report)
            assert sorted(result["reopened"]) == sorted(failed)
            reopened.update(failed)
            assert set(failed) <= {r["action_id"] for r in cli_json("due")}  # listed again
            # The first one's butler calls instead; nobody sees to the second, which is
            # missed by the evening (a birthday has no grace days).
            clock(day, 9, 45)
            person(next(r["butler"] for r in greetings if r["action_id"] == failed[0]))
            cli("done", failed[0], "--channel", "电话")
            done_by[failed[0]] = day

        for _, butler, made, _undone in late:
            clock(day, *made)
            pending[butler] = mistake(day, butler, rows, quiet=False)
        for _, butler, _made, undone_at in late:
            if undone_at < (15, 0):
                undo(butler, pending.pop(butler), undone_at, day)
        afternoon = cron(day, 15)
        if day.day == MILESTONE_DAY:  # the bulletins of HY's owners so far, all of them new
            bulletins = {r["owner_id"] for r in afternoon if r["rule"] == "milestone-bulletin"}
            assert bulletins == {str(o) for o, p in owner_project.items() if p == "HY"}
        for butler, wrong in list(pending.items()):  # right after the 15:00 export
            assert afternoon  # it sent other owners' reminders
            undone_at = next(m[3] for m in late if m[1] == butler)
            undo(butler, wrong, undone_at, day)
            pending.pop(butler)
        assert not pending

    # -- the month's end -------------------------------------------------------------------
    clock(LAST + timedelta(days=1), 8)
    person("陈静")
    sent_on: dict[str, date] = {}
    sent = Counter()
    for day, path in sms_files:
        for row in _sms_rows(path):
            sent[row["action_id"]] += 1
            sent_on.setdefault(row["action_id"], day)
            listed.setdefault(row["action_id"], (row["rule"], date.fromisoformat(row["due_on"])))
    # Each SMS exactly once, the re-opened greetings too (sent once: a butler sees to them).
    assert sent and max(sent.values()) == 1, sent.most_common(3)
    greetings = {
        a for a, (rule, due) in listed.items() if rule in sent_is_done and FIRST <= due <= LAST
    }
    assert {"birthday", "holiday-greeting", "milestone-bulletin"} <= {
        listed[a][0] for a in greetings
    }
    assert greetings <= set(sent)  # every greeting and bulletin went out
    # Done by sending, dated the day its file was written.
    done_on = {}
    for owner in owner_project:
        for action in cli_json("owner", "show", owner)["actions"]:
            done_on[action["action_id"]] = action["done_on"]
            # Every owner's action, whether a morning list showed it or not.
            listed.setdefault(
                action["action_id"], (action["rule"], date.fromisoformat(action["due_on"]))
            )
    for action in greetings - reopened:
        assert done_on[action] == sent_on[action].isoformat(), action
    for action in reopened:  # the one called: on the call's day; the other: not done
        assert done_on[action] == (done_by[action].isoformat() if action in done_by else None)
    for action, day in done_by.items():
        assert done_on[action] == day.isoformat(), action

    # The report against a count made here: an action is done on the day its SMS went out
    # (a greeting, not re-opened) or on the day a butler said so (and did not undo).
    expected: dict[str, Counter] = {}
    for action, (rule, due) in listed.items():
        if not FIRST <= due <= LAST:
            continue
        day = done_by.get(action)
        if day is None and rule in sent_is_done and action not in reopened:
            day = sent_on.get(action)
        grace = playbook[rule]["grace"]
        outcome = _judge(due, None if grace == "none" else grace, day, LAST)
        expected.setdefault(rule, Counter())[outcome] += 1
        if outcome == "missed":  # nothing the platform delivered, nothing a butler did
            assert action in reopened - set(done_by) or action not in sent, action
    report = cli_json("report", "--from", FIRST, "--to", LAST)
    for row in report["rules"]:
        counts = {k: row[k] for k in ("on_time", "late", "missed", "open")}
        want = expected.pop(row["rule"], Counter())
        assert counts == {k: want[k] for k in counts}, (row["rule"], counts, want)
    assert not expected
    birthdays = next(r for r in report["rules"] if r["rule"] == "birthday")
    # Missed: only the greeting neither delivered nor done.
    assert birthdays["missed"] == 1 and birthdays["on_time"] >= 30
    assert sum(row["missed"] for row in report["rules"]) == 1
    assert done_on[failed[1]] is None
