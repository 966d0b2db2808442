"""The manager's report on a fixed dataset whose counts are worked out by hand, its JSON, and
the HTML page rendered in headless Chromium."""

from __future__ import annotations

import shutil
import subprocess

import pytest

PERIOD = ("--project", "XQ1", "--from", "2024-07-01", "--to", "2024-09-30")


@pytest.fixture
def quarter(cli, cli_json):
    """Q3 2024 in project XQ1 (no delivery date, so no project actions):

    A (李晓) visited 07-01 → visit-followup due 07-04, done 07-03: on time (score 5).
    B (李晓) subscribed 07-10 → first-contact due 07-17, done 07-20: late (score 3).
    C (王磊) signed 08-01, referred by A → signing-revisit due 08-08, never done: missed;
      中秋 greeting 09-17 (window to 09-19), not sent: missed. Repair opened 08-10, due 08-13,
      resolved 08-15: case-resolve late; case-revisit due 08-18, done 08-16: on time.
    D (王磊) subscribed 09-20 → first-contact due 09-27, within grace on 09-30: open.
      Complaint opened 09-01, due 09-08, unresolved: open (case actions are never missed).
    A survey scored 1 on 10-05 falls outside the period.
    """
    cli("project", "add", "XQ1", "--name", "香樟一期")

    def add(name, phone, butler, *journey, referred=None):
        extra = ["--referred-by", str(referred)] if referred else []
        who = ["--name", name, "--phone", phone, "--unit", phone[-4:], "--butler", butler]
        return cli_json("owner", "add", *who, "--project", "XQ1", *journey, *extra)["id"]

    a = add("王伟", "13800000001", "李晓", "--visited", "2024-07-01")
    b = add("李娜", "13800000002", "李晓", "--subscribed", "2024-07-10")
    c = add("张敏", "13800000003", "王磊", "--signed", "2024-08-01", referred=a)
    d = add("刘强", "13800000004", "王磊", "--subscribed", "2024-09-20")
    cli("done", f"o{a}:visit-followup", "--date", "2024-07-03", "--score", "5")
    cli("done", f"o{b}:first-contact", "--date", "2024-07-20", "--score", "3")
    cli("event", "add", str(a), "survey", "--date", "2024-10-05", "--score", "1")
    repair = cli_json("case", "open", str(c), "--kind", "repair", "--note", "地漏返味",
                      "--date", "2024-08-10")["id"]  # fmt: skip
    cli("case", "resolve", str(repair), "--date", "2024-08-15")
    cli("event", "add", str(c), "case-revisit", "--date", "2024-08-16")
    cli("case", "open", str(d), "--kind", "complaint", "--note", "噪音", "--date", "2024-09-01")


def _row(rows, key, value):
    return next(r for r in rows if r[key] == value)


def test_report_numbers_worked_out_by_hand(cli_json, quarter):
    report = cli_json("report", *PERIOD)
    assert report["period"] == {"from": "2024-07-01", "to": "2024-09-30", "as_of": "2024-09-30"}

    def outcomes(row):
        return (row["on_time"], row["late"], row["missed"], row["open"], row["on_time_rate"])

    rules = report["rules"]
    assert outcomes(_row(rules, "rule", "visit-followup")) == (1, 0, 0, 0, 1.0)
    assert outcomes(_row(rules, "rule", "first-contact")) == (0, 1, 0, 1, 0.0)
    assert outcomes(_row(rules, "rule", "signing-revisit")) == (0, 0, 1, 0, 0.0)
    assert outcomes(_row(rules, "rule", "holiday-greeting")) == (0, 0, 1, 0, 0.0)
    assert outcomes(_row(rules, "rule", "case-resolve")) == (0, 1, 0, 1, 0.0)
    assert outcomes(_row(rules, "rule", "case-revisit")) == (1, 0, 0, 0, 1.0)
    others = [r for r in rules if r["rule"] not in {
        "visit-followup", "first-contact", "signing-revisit", "holiday-greeting",
        "case-resolve", "case-revisit"}]  # fmt: skip
    assert all(outcomes(r)[:4] == (0, 0, 0, 0) for r in others)
    steps = report["steps"]
    assert outcomes(_row(steps, "step", "1")) == (1, 0, 0, 0, 1.0)
    assert outcomes(_row(steps, "step", "2")) == (0, 1, 1, 1, 0.0)
    assert outcomes(_row(steps, "step", "5")) == (0, 0, 1, 0, 0.0)
    assert outcomes(_row(steps, "step", "+1")) == (1, 1, 0, 1, 0.5)
    butlers = report["butlers"]
    assert outcomes(_row(butlers, "butler", "李晓")) == (1, 1, 0, 0, 0.5)
    assert outcomes(_row(butlers, "butler", "王磊")) == (1, 1, 2, 2, 0.25)
    assert _row(butlers, "butler", "王磊")["workload"] == 6
    assert report["satisfaction"] == {
        "answers": 2,
        "average": 4.0,
        "distribution": {"1": 0, "2": 0, "3": 1, "4": 0, "5": 1},
    }
    assert report["cases"] == {
        "complaint": {"opened": 1, "open_now": 1, "resolved": 0,
                      "median_days_to_resolve": None, "revisit_rate": None},
        "repair": {"opened": 1, "open_now": 0, "resolved": 1,
                   "median_days_to_resolve": 5, "revisit_rate": 1.0},
    }  # fmt: skip
    assert report["referrals"]["referred_signed"] == 1
    assert report["referrals"]["reward_amount"] == 3000


def test_terminal_report_has_tables_and_bars(cli, quarter, chinese):
    out = cli("report", *PERIOD).stdout
    assert "6+2 各步骤" in out and "管家工作量与按时率" in out
    assert "50%  ██████████░░░░░░░░░░" in out  # 李晓: 1 on time of 2 judged (piped: uncut)
    assert "报修：新增 1，未解决 0，解决 1，用时中位数 5 天，回访率 100%" in out


def test_html_page_is_self_contained(cli, quarter, tmp_path):
    page = tmp_path / "report.html"
    cli("report", *PERIOD, "--html", page)
    html = page.read_text("utf-8")
    assert html.startswith("<!doctype html>") and "<svg" in html
    assert 'name="viewport"' in html  # readable on a phone
    for remote in ("http://", "https://", "src=", "@import", "url("):
        assert remote not in html  # no network requests, nothing outside the file
    assert "李晓" in html and "满意度" in html


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(_chromium() is None, reason="Chromium is not installed (.ci/run installs it)")
def test_html_page_renders_in_headless_chromium(cli, quarter, tmp_path):
    from PIL import Image, ImageStat

    page = tmp_path / "report.html"
    cli("report", *PERIOD, "--html", page)
    shot = tmp_path / "report.png"
    subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", "--hide-scrollbars",
         "--window-size=390,1400", f"--screenshot={shot}", page.as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    image = Image.open(shot).convert("L")
    assert image.size == (390, 1400)
    spread = ImageStat.Stat(image).stddev[0]
    dark = sum(image.histogram()[:128]) / (image.size[0] * image.size[1])
    assert spread > 10 and 0.005 < dark < 0.5, (spread, dark)  # text and bars, not blank


# The page in a frame 390 px wide (headless Chromium's window is never narrower than 500 px
# when it dumps the DOM): once it has loaded, what reaches past the frame's right edge.
_PHONE_PROBE = """<!doctype html><html><body style="margin:0">
<iframe id="phone" style="width:390px;height:3000px;border:0" srcdoc="{page}"></iframe>
<pre id="fit"></pre>
<script>
document.getElementById("phone").addEventListener("load", (event) => {{
  const frame = event.target.contentWindow;
  const inside = frame.document;
  const width = frame.innerWidth;
  const wide = [...inside.querySelectorAll("body *")]
    .filter((e) => e.getBoundingClientRect().right > width + 0.5)
    .map((e) => e.tagName + " " + (e.textContent || "").slice(0, 30));
  const numbers = inside.querySelectorAll("td[data-label]").length;
  document.getElementById("fit").textContent = JSON.stringify(
    {{width, scroll: inside.documentElement.scrollWidth, wide, numbers}});
}});
</script></body></html>"""


@pytest.mark.skipif(_chromium() is None, reason="Chromium is not installed (.ci/run installs it)")
def test_html_page_reads_on_a_phone_without_scrolling_sideways(cli, db_path, tmp_path):
    """At 390 px (a phone) every table's numbers are on the screen: no element reaches past
    the right edge, and the page is no wider than the screen. A butler's name typed as HTML
    is shown as text."""
    import json
    import re

    cli("--db", db_path, "demo", "--format", "json")
    cli("owner", "add", "--name", "王伟", "--phone", "13812345678", "--project", "HY1",
        "--unit", "99-1-101", "--butler", "<b>管家</b>", "--visited", "2024-03-01")  # fmt: skip
    page = tmp_path / "report.html"
    cli("report", "--from", "2024-01-01", "--html", page)
    html = page.read_text("utf-8")
    assert "&lt;b&gt;管家&lt;/b&gt;" in html and "<b>管家" not in html
    from html import escape, unescape

    probe = tmp_path / "probe.html"
    probe.write_text(_PHONE_PROBE.format(page=escape(html)), "utf-8")
    flags = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", "--hide-scrollbars",
             "--window-size=390,3000"]  # fmt: skip
    dom = subprocess.run(
        [*flags, "--virtual-time-budget=10000", "--dump-dom", probe.as_uri()], check=True,
        capture_output=True, text=True, timeout=120,
    ).stdout  # fmt: skip
    found = re.search(r'<pre id="fit">(.+?)</pre>', dom, re.S)
    assert found, dom[-500:]
    fit = json.loads(unescape(found.group(1)))
    assert fit["width"] == 390 and fit["numbers"] > 50, fit
    assert fit["scroll"] <= 390 and not fit["wide"], fit
    shot = tmp_path / "phone.png"  # to look at: the same page as a phone shows it
    subprocess.run([*flags, f"--screenshot={shot}", page.as_uri()], check=True,
                   capture_output=True, timeout=120)  # fmt: skip
    assert shot.stat().st_size > 10_000
