"""The butlers' page (`sixplustwo serve`, issue 31) through Starlette's in-process client: log
in, the day's list, an action completed with its checklist, a case opened, each butler seeing
only their own owners (every route walked with the other butler's ids), CSRF and cookie
forgery, the login throttle, the security headers, escaping, the language, the proxy."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="the serve extra is not installed")

from starlette.testclient import TestClient

from serve_helpers import (
    BUTLER_A,
    BUTLER_B,
    PASSWORD,
    cli,
    copy_database,
    due,
    login,
    make_site_database,
    post,
    token,
)
from sixplustwo.web.app import create_app
from sixplustwo.web.auth import SESSION_COOKIE, Signer, Throttle


@pytest.fixture(scope="module")
def template_db(tmp_path_factory) -> str:
    return make_site_database(str(tmp_path_factory.mktemp("site") / "site.db"))


@pytest.fixture()
def db(template_db, tmp_path) -> str:
    return copy_database(template_db, str(tmp_path / "site.db"))


def client(db: str, **kwargs) -> TestClient:
    return TestClient(create_app(db, secret="test secret", **kwargs))


def butler_client(db: str, name: str = "lixiao") -> TestClient:
    c = client(db)
    assert login(c, name).status_code == 303
    return c


def audit(db: str) -> list[dict]:
    result = cli(db, "audit", "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _repair_action(db: str, butler: str) -> str:
    """An action of ``butler``'s whose checklist problem opens a repair case."""
    for row in due(db, butler):
        if row["rule"] in ("revisit-3m", "quality-check-1y"):
            return row["action_id"]
    raise AssertionError(f"no revisit or quality check due for {butler}")


# -- the core: log in, the list, an action done, a case opened -----------------------------


def test_a_butler_logs_in_sees_their_list_and_completes_an_action_the_cli_then_sees(db):
    c = client(db)
    assert c.get("/", follow_redirects=False).headers["location"] == "/login"
    assert login(c, "lixiao").status_code == 303
    page = c.get("/")
    assert page.status_code == 200
    mine = due(db, BUTLER_A)
    listed = re.findall(r'href="/action/([^"]+)"', page.text)
    assert listed == [row["action_id"] for row in mine]
    assert not {row["action_id"] for row in due(db, BUTLER_B)} & set(listed)
    assert "138****" in page.text or "****" in page.text  # phones masked
    assert not re.search(r"1[3-9]\d{9}", page.text)

    action_id = _repair_action(db, BUTLER_A)
    shown = c.get(f"/action/{action_id}")
    assert shown.status_code == 200 and 'name="item1"' in shown.text
    done = post(c, f"/action/{action_id}/done", {
        "item1": "ok", "item2": "problem", "problem2": "地漏返味", "channel": "上门",
        "score": "4", "note": "业主满意",
    })  # fmt: skip
    assert done.status_code == 200, done.text
    case_id = re.search(r"#(\d+)", done.text.split("<main>")[1]).group(1)
    assert action_id not in {row["action_id"] for row in due(db, BUTLER_A)}
    shown = cli(db, "action", "show", action_id, "--format", "json")
    recorded = json.loads(shown.output)["recorded"]
    assert [(r["ok"], r["case_id"]) for r in recorded][:2] == [(True, None), (False, int(case_id))]
    entries = audit(db)
    said = " ".join(json.dumps(e, ensure_ascii=False) for e in entries)
    assert "serve login" in said and "serve done" in said and "lixiao" in said


def test_a_case_opened_on_the_owner_page_is_the_clis(db):
    c = butler_client(db)
    owner_id = next(row["owner_id"] for row in due(db, BUTLER_A) if row["owner_id"])
    page = c.get(f"/owner/{owner_id}")
    assert page.status_code == 200
    opened = post(c, f"/owner/{owner_id}/case", {"kind": "repair", "note": "阳台渗水"},
                  follow_redirects=False)  # fmt: skip
    assert opened.status_code == 303
    case_id = int(opened.headers["location"].rsplit("=", 1)[1])
    assert "阳台渗水" in c.get(opened.headers["location"]).text
    listed = cli(db, "case", "list", "--format", "json").output
    assert f'"id": {case_id}' in listed or f'"id":{case_id}' in listed


def test_the_call_button_reveals_the_number_and_audits_it(db):
    c = butler_client(db)
    row = next(r for r in due(db, BUTLER_A) if r["owner_id"] and r["phone"])
    page = c.post(f"/action/{row['action_id']}/call", data={"csrftoken": token(c.get("/").text)})
    assert page.status_code == 200
    tel = re.search(r'href="tel:(\d+)"', page.text).group(1)
    assert tel[:3] == row["phone"][:3] and tel[-4:] == row["phone"][-4:]
    assert any("serve reveal" in json.dumps(e) for e in audit(db))


def test_a_manager_sees_every_butlers_list_and_the_report(db):
    c = butler_client(db, "boss")
    listed = set(re.findall(r'href="/action/([^"]+)"', c.get("/").text))
    assert {row["action_id"] for row in due(db)} == listed
    one = set(re.findall(r'href="/action/([^"]+)"', c.get("/", params={"butler": BUTLER_B}).text))
    assert one == {row["action_id"] for row in due(db, BUTLER_B)}
    report = c.get("/report")
    assert report.status_code == 200 and "6+2" in report.text
    assert "script" not in report.headers["content-security-policy"].replace("'none'", "")


# -- scope: another butler's ids are not found, exactly as missing ones ----------------------


def _routes(action_id: str, owner_id: int) -> list[tuple[str, str, dict]]:
    return [
        ("GET", f"/action/{action_id}", {}),
        ("POST", f"/action/{action_id}/call", {}),
        ("POST", f"/action/{action_id}/done", {"item1": "ok", "note": "x"}),
        ("GET", f"/owner/{owner_id}", {}),
        ("POST", f"/owner/{owner_id}/case", {"kind": "repair", "note": "x"}),
    ]


def test_every_route_as_a_butler_with_the_other_butlers_ids_is_not_found(db):
    c = butler_client(db, "lixiao")
    theirs = due(db, BUTLER_B)
    assert theirs
    csrf = token(c.get("/").text)

    def answer(method: str, path: str, data: dict):
        if method == "GET":
            return c.get(path)
        return c.post(path, data={"csrftoken": csrf, **data})

    before_events = cli(db, "audit", "--format", "json").output
    cases = {row["case_id"] for row in theirs if row["case_id"]}
    missing = answer("GET", "/action/o999999:revisit-3m", {})
    assert missing.status_code == 404
    for row in theirs:
        owner_id = row["owner_id"] or 999999
        for (method, path, data), (_, gone_path, _) in zip(
            _routes(row["action_id"], owner_id),
            _routes(re.sub(r"\d+", "999999", row["action_id"], count=1), 999999),
            strict=True,
        ):
            got, gone = answer(method, path, data), answer(method, gone_path, data)
            assert (got.status_code, got.text) == (404, gone.text), path
    for case_id in cases:
        got = answer("GET", f"/action/c{case_id}:case-revisit", {})
        assert got.status_code == 404 and got.text == missing.text
    # A project's action is a manager's: not found for a butler.
    project_action = next((r["action_id"] for r in due(db) if r["subject"] == "project"), None)
    if project_action:
        assert answer("GET", f"/action/{project_action}", {}).text == missing.text
    assert c.get("/report").status_code == 404
    asked = c.get("/", params={"butler": BUTLER_B}).text  # a butler's own list, whatever asked
    assert set(re.findall(r'href="/action/([^"]+)"', asked)) == {
        row["action_id"] for row in due(db, BUTLER_A)
    }
    # Nothing was written: the other butler's list is as it was, no reveal audited.
    assert {r["action_id"] for r in due(db, BUTLER_B)} == {r["action_id"] for r in theirs}
    assert cli(db, "audit", "--format", "json").output == before_events


# -- forgery and brute force ----------------------------------------------------------------


def test_a_form_without_the_sites_token_is_refused_and_writes_nothing(db):
    c = butler_client(db)
    action_id = due(db, BUTLER_A)[0]["action_id"]
    other = client(db)
    foreign = token(other.get("/login").text)
    for data, headers in [
        ({}, {}),
        ({"csrftoken": "forged"}, {}),
        ({"csrftoken": foreign}, {}),
        ({"csrftoken": token(c.get("/").text)}, {"sec-fetch-site": "cross-site"}),
    ]:
        refused = c.post(f"/action/{action_id}/done", data=data, headers=headers)
        assert refused.status_code == 403
    assert action_id in {row["action_id"] for row in due(db, BUTLER_A)}
    fresh = client(db)
    refused = fresh.post("/login", data={"name": "lixiao", "password": PASSWORD})
    assert refused.status_code == 403 and SESSION_COOKIE not in fresh.cookies


def test_a_forged_or_stale_session_cookie_is_no_session(db, monkeypatch):
    c = client(db)
    for forged in [
        Signer("another secret").session(1, "x"),
        "eyJ1IjoxfQ.forged.signature",
        "",
    ]:
        c.cookies.set(SESSION_COOKIE, forged)
        assert c.get("/", follow_redirects=False).headers["location"] == "/login"
    c = butler_client(db)
    assert c.get("/", follow_redirects=False).status_code == 200
    # A new password ends the sessions made before it …
    assert cli(db, "user", "password", "lixiao", "--password-stdin",
               input="a new password\n").exit_code == 0  # fmt: skip
    assert c.get("/", follow_redirects=False).status_code == 303
    # … so does disabling the user …
    c = client(db)
    assert login(c, "lixiao", "a new password").status_code == 303
    assert cli(db, "user", "disable", "lixiao").exit_code == 0
    assert c.get("/", follow_redirects=False).status_code == 303
    assert login(client(db), "lixiao", "a new password").status_code == 401
    # … and idle time.
    c = butler_client(db, "wanglei")
    monkeypatch.setattr("sixplustwo.web.auth.IDLE_SECONDS", -1)
    assert c.get("/", follow_redirects=False).status_code == 303


def test_logins_are_throttled_per_user_and_per_address(db):
    c = client(db, throttle=Throttle(per_user=5, per_address=8, window=900))
    for _ in range(5):
        assert login(c, "lixiao", "wrong password").status_code == 401
    blocked = login(c, "lixiao")  # the right password, too late
    assert blocked.status_code == 429 and SESSION_COOKIE not in c.cookies
    assert login(c, "wanglei").status_code == 303  # another user from the same address
    for _ in range(3):
        login(c, "boss", "wrong password")
    assert login(c, "boss").status_code == 429  # the address's failures: 8
    said = json.dumps(audit(db), ensure_ascii=False)
    assert said.count("serve login failed") == 8 and "serve login refused" in said


def test_logins_and_failures_are_audited_with_the_name(db):
    c = client(db)
    assert login(c, "nobody", "whatever it is").status_code == 401
    assert login(c, "lixiao").status_code == 303
    said = json.dumps(audit(db), ensure_ascii=False)
    assert "user nobody" in said and "user lixiao" in said


# -- headers, escaping, language, proxy --------------------------------------------------------


def test_security_headers_on_every_page(db):
    c = butler_client(db)
    for path in ["/login", "/", "/owner/999999", "/nowhere"]:
        headers = c.get(path).headers
        policy = headers["content-security-policy"]
        assert "script-src" not in policy and "default-src 'none'" in policy
        assert "frame-ancestors 'none'" in policy
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
    cookie = [v for k, v in c.get("/").headers.multi_items() if k == "set-cookie"]
    session = next(v for v in cookie if v.startswith(SESSION_COOKIE))
    assert "HttpOnly" in session and "SameSite=lax" in session.replace("Lax", "lax")
    assert "Secure" not in session  # plain HTTP, no proxy: the cookie could not come back


HOSTILE = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "{{7*7}}",
           "' onmouseover='alert(1)", "javascript:alert(1)"]  # fmt: skip


def test_every_user_text_is_escaped(db):
    owner_id = next(row["owner_id"] for row in due(db, BUTLER_A) if row["owner_id"])
    for text in HOSTILE:
        assert (
            cli(db, "case", "open", str(owner_id), "--kind", "repair", "--note", text).exit_code
            == 0
        )
    assert cli(db, "owner", "edit", str(owner_id), "--name", HOSTILE[0]).exit_code == 0
    c = butler_client(db)
    for path in ["/", f"/owner/{owner_id}"]:
        html = c.get(path).text
        assert "<script>" not in html and "<img" not in html and "onmouseover='" not in html
        assert "&lt;script&gt;" in html
    assert "{{7*7}}" in c.get(f"/owner/{owner_id}").text  # a template is never run twice


def test_chinese_by_default_english_when_the_browser_prefers_it(db):
    c = client(db)
    zh = c.get("/login").text
    en = c.get("/login", headers={"accept-language": "en-US,en;q=0.9,zh;q=0.5"}).text
    assert 'lang="zh-CN"' in zh and "登录" in zh
    assert 'lang="en"' in en and "Log in" in en
    assert 'lang="zh-CN"' in c.get("/login", headers={"accept-language": "fr, zh;q=0.1"}).text


def test_forwarded_headers_only_from_a_trusted_proxy(db):
    throttle = Throttle(per_user=100, per_address=2, window=900)
    untrusted = client(db, throttle=throttle)
    for n in range(2):  # each "from" another address: all the same peer
        login(untrusted, f"u{n}", "wrong password", **{"x-forwarded-for": f"10.0.0.{n}"})
    assert login(untrusted, "lixiao", **{"x-forwarded-for": "10.0.0.9"}).status_code == 429


def test_a_trusted_proxy_names_the_client_and_makes_cookies_secure():
    from sixplustwo.web.auth import Proxies

    proxies = Proxies(["127.0.0.1", "10.1.0.0/16"])
    assert proxies.client("127.0.0.1", "203.0.113.7, 10.1.2.3") == "203.0.113.7"
    assert proxies.client("192.0.2.1", "203.0.113.7") == "192.0.2.1"  # not a proxy: ignored
    assert proxies.client("127.0.0.1", None) == "127.0.0.1"
    assert not Proxies([]).trusts("127.0.0.1")


def test_a_trusted_proxys_https_makes_the_cookie_secure(db):
    from starlette.testclient import TestClient as Client

    app = create_app(db, secret="s", trust_proxy=["127.0.0.1"])
    c = Client(app, base_url="http://127.0.0.1", client=("127.0.0.1", 5000))
    page = c.get("/login", headers={"x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.7"})
    cookies = [v for k, v in page.headers.multi_items() if k == "set-cookie"]
    assert cookies and all("Secure" in v for v in cookies)


# -- the CLI's users ---------------------------------------------------------------------------


def test_user_commands(tmp_path):
    db = str(tmp_path / "u.db")
    assert cli(db, "demo", "--format", "json").exit_code == 0
    assert cli(db, "user", "add", "zhao", "--role", "butler").exit_code == 0
    again = cli(db, "user", "add", "zhao", "--role", "butler")
    assert again.exit_code == 1 and "zhao" in again.output
    assert cli(db, "user", "add", "x", "--role", "admin").exit_code == 1
    assert cli(db, "user", "add", "y", "--role", "manager", "--butler", "李晓").exit_code == 1
    short = cli(db, "user", "password", "zhao", "--password-stdin", input="short\n")
    assert short.exit_code == 1 and short.output[-1] == "\n" and short.output.count("\n") == 1
    assert cli(db, "user", "password", "nobody", "--password-stdin",
               input="long enough\n").exit_code == 1  # fmt: skip
    no_terminal = cli(db, "user", "password", "zhao")
    assert no_terminal.exit_code == 1 and "--password-stdin" in no_terminal.output
    assert cli(db, "user", "password", "zhao", "--password-stdin",
               input="long enough\n").exit_code == 0  # fmt: skip
    listed = json.loads(cli(db, "user", "list", "-f", "json").output)
    assert listed == [{"name": "zhao", "role": "butler", "butler": "zhao", "password": True,
                       "disabled": False}]  # fmt: skip
    assert b"long enough" not in Path(db).read_bytes()
    assert cli(db, "user", "disable", "zhao").exit_code == 0
    assert cli(db, "user", "disable", "zhao").exit_code == 1


def test_passwords_are_argon2id_hashes_with_the_libraries_parameters(monkeypatch):
    from sixplustwo.store import users

    monkeypatch.setattr(users, "HASHING", {})
    stored = users.hash_password("a good long password")
    assert stored.startswith("$argon2id$") and "m=65536,t=3" in stored


def test_the_page_on_a_postgresql_server(pg_database):
    """The same page over a server database: log in, the list, an action done with a problem
    (a repair case), another butler's owner not found."""
    db = make_site_database(pg_database)
    c = butler_client(db)
    listed = re.findall(r'href="/action/([^"]+)"', c.get("/").text)
    assert listed == [row["action_id"] for row in due(db, BUTLER_A)]
    action_id = _repair_action(db, BUTLER_A)
    done = post(c, f"/action/{action_id}/done", {"item1": "problem", "problem1": "门锁松动"})
    assert done.status_code == 200 and "#" in done.text.split("<main>")[1]
    assert action_id not in {row["action_id"] for row in due(db, BUTLER_A)}
    theirs = next(row["owner_id"] for row in due(db, BUTLER_B) if row["owner_id"])
    assert c.get(f"/owner/{theirs}").text == c.get("/owner/999999").text
    assert "serve done" in json.dumps(audit(db))


def test_a_butler_at_the_shell_takes_the_same_scope(db):
    """$SIXPLUSTWO_USER (or --as) naming a butler user: the CLI's due, done, action show,
    owner show and case open see only their owners, another butler's id is not found in the
    words a missing one is, and every other command is refused."""
    from typer.testing import CliRunner

    from sixplustwo.cli.app import app

    def as_butler(*args: str):
        return CliRunner().invoke(app, ["--db", db, *args], env={"SIXPLUSTWO_USER": "lixiao"})

    mine, theirs = due(db, BUTLER_A), due(db, BUTLER_B)
    listed = json.loads(as_butler("due", "--butler", BUTLER_B, "--format", "json").output)
    assert [r["action_id"] for r in listed] == [r["action_id"] for r in mine]
    owner = next(r["owner_id"] for r in theirs if r["owner_id"])
    action = next(r["action_id"] for r in theirs if r["owner_id"])
    gone = re.sub(r"\d+", "999999", action, count=1)
    for args, missing in [
        (["owner", "show", str(owner)], ["owner", "show", "999999"]),
        (["action", "show", action], ["action", "show", gone]),
        (["done", action, "--ok", "1"], ["done", gone, "--ok", "1"]),
        (["case", "open", str(owner), "--kind", "repair", "--note", "x"],
         ["case", "open", "999999", "--kind", "repair", "--note", "x"]),
    ]:  # fmt: skip
        got, expected = as_butler(*args), as_butler(*missing)
        assert (
            got.exit_code == 1
            and got.output.replace(str(owner), "999999").replace(action, gone) == expected.output
        ), (got.output, expected.output)
    assert {r["action_id"] for r in due(db, BUTLER_B)} == {r["action_id"] for r in theirs}
    done = as_butler("done", mine[0]["action_id"])
    assert done.exit_code == 0, done.output
    for args in (["owner", "list"], ["export", "--format", "csv", "--out", "-"], ["user", "list"]):
        refused = as_butler(*args)
        assert refused.exit_code == 1 and "lixiao is a butler" in refused.output
    manager = CliRunner().invoke(
        app, ["--db", db, "owner", "list"], env={"SIXPLUSTWO_USER": "boss"}
    )
    assert manager.exit_code == 0
    # --as names the person as $SIXPLUSTWO_USER does, and wins over it.
    by_option = CliRunner().invoke(
        app, ["--db", db, "--as", "wanglei", "owner", "show", str(owner)],
        env={"SIXPLUSTWO_USER": "boss"},
    )  # fmt: skip
    assert by_option.exit_code == 0, by_option.output
    assert as_butler("--as", "boss", "owner", "list").exit_code == 0


def test_a_failure_is_one_line_on_a_page_with_the_headers(db, monkeypatch):
    c = TestClient(create_app(db, secret="s"), raise_server_exceptions=False)
    assert login(c, "lixiao").status_code == 303

    def broken(*args, **kwargs):
        raise RuntimeError("the disk is gone")

    monkeypatch.setattr("sixplustwo.store.scope.Scoped.due", broken)
    page = c.get("/")
    assert page.status_code == 500 and "出错了" in page.text and "disk" not in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_every_page_renders_for_a_manager_in_either_language(db, language):
    c = butler_client(db, "boss")
    headers = {"accept-language": language}
    rows = due(db)
    kinds = {row["action_id"][0]: row for row in rows}  # an owner's, a project's, a case's
    assert set(kinds) == {"o", "p", "c"}
    for row in kinds.values():
        page = c.get(f"/action/{row['action_id']}", headers=headers)
        assert page.status_code == 200, (row["action_id"], page.text)
        if row["owner_id"]:
            assert c.get(f"/owner/{row['owner_id']}", headers=headers).status_code == 200
    project = kinds["p"]["action_id"]
    done = post(c, f"/action/{project}/done", {"note": "已发布"}, headers=headers)
    assert done.status_code == 200 and project not in {r["action_id"] for r in due(db)}
    english = c.get("/", headers=headers).text
    assert ("Log out" in english) == (language == "en")
