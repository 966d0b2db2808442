"""`notify butlers`, `notify owners`, `notify status`, `notify retry --unknown` against fakes
of the services on 127.0.0.1 (tests/notify_fakes.py): signatures, limits, error codes,
exactly once (issue 30)."""

from __future__ import annotations

import json
import os
import re
import sqlite3
from datetime import date, datetime, timedelta

import pytest

pytest.importorskip("pytest_httpserver")
pytest.importorskip("httpx")

from dbsql import sql
from notify_fakes import SECRETS, channels_toml, serve

DAY = date(2026, 12, 7)


def _owners_csv(tmp_path, count: int, butlers: int, *, opt_out: set[int] = frozenset()) -> str:
    """``count`` owners who visited the day before DAY (a follow-up each, open on DAY),
    spread over ``butlers`` butlers 管家0…; owner i's phone 1380000iiii."""
    visited = (DAY - timedelta(days=1)).isoformat()
    lines = ["姓名,手机,项目,房号,来访日期,管家,短信退订"]
    for i in range(count):
        no = "是" if i in opt_out else ""
        lines.append(
            f"业主{i},1380{i:07d},HY1,{i // 100 + 1}-{i % 100 + 1},{visited},管家{i % butlers},{no}"
        )
    path = tmp_path / "owners.csv"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return str(path)


@pytest.fixture
def team(cli, tmp_path):
    def make(count: int = 6, butlers: int = 3, **kw) -> None:
        cli("project", "add", "HY1", "--name", "华苑一期", "--delivery-date", "2024-06-30")
        cli("owner", "import", _owners_csv(tmp_path, count, butlers, **kw))

    return make


@pytest.fixture
def channels(tmp_path, httpserver):
    """Write a private channels.toml for the fakes; its path."""

    def write(butlers, **kw) -> str:
        path = tmp_path / "channels.toml"
        path.write_text(channels_toml(httpserver.url_for("").rstrip("/"), butlers, **kw), "utf-8")
        path.chmod(0o600)
        return str(path)

    return write


def _notify(cli, *args, ok=True):
    return cli("notify", *args, "--date", DAY.isoformat(), ok=ok)


def _outbox(db_path) -> list[tuple]:
    rows = sql(db_path, "SELECT msg_key, state, code FROM outbox ORDER BY msg_key")
    return [tuple(row) for row in rows]


def _no_secrets(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


# -- the published signature examples ------------------------------------------------------


def test_aliyun_signature_reproduces_the_published_example():
    from sixplustwo.io.channels.aliyun_sms import signature

    params = {
        "AccessKeyId": "testId", "Action": "SendSms", "Format": "XML", "OutId": "123",
        "PhoneNumbers": "15300000001", "RegionId": "cn-hangzhou", "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1", "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0", "TemplateCode": "SMS_71390007",
        "TemplateParam": '{"customer":"test"}', "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }  # fmt: skip
    assert signature(params, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_tencent_tc3_reproduces_the_published_example():
    from sixplustwo.io.channels.tencent_sms import authorization

    payload = (
        '{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
    )
    header = authorization(
        "AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******", "Gu5t9xGARNpq86cd98joQYCN3*******", "cvm",
        "cvm.tencentcloudapi.com", payload, 1551113065,
    )  # fmt: skip
    assert header == (
        "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/"
        "tc3_request, SignedHeaders=content-type;host, "
        "Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c"
    )


def test_dingtalk_and_feishu_signatures():
    import base64
    import hashlib
    import hmac

    from sixplustwo.io.channels import dingtalk, feishu

    digest = hmac.new(b"SECx", b"1700000000000\nSECx", hashlib.sha256).digest()
    assert dingtalk.sign("SECx", 1700000000000) == base64.b64encode(digest).decode()
    digest = hmac.new(b"1700000000\nsec", b"", hashlib.sha256).digest()
    assert feishu.sign("sec", 1700000000) == base64.b64encode(digest).decode()


# -- the rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "quiet"),
    [("21:00", True), ("22:00", True), ("07:59", True), ("08:00", False), ("09:00", False),
     ("20:59", False)],
)  # fmt: skip
def test_quiet_hours_over_midnight(moment, quiet):
    from sixplustwo.domain.notices import in_quiet_hours

    when = datetime.fromisoformat(f"2026-12-07T{moment}")
    assert in_quiet_hours("21:00-08:00", when) is quiet
    assert in_quiet_hours("12:00-13:00", when) is False or moment.startswith("12")


def test_split_measures_bytes_and_breaks_between_lines():
    from sixplustwo.domain.notices import split_by_bytes

    lines = [f"第{i}行：业主张三 138****0001 华苑一期 1-1-101" for i in range(200)]
    parts = split_by_bytes("标题", lines, 2048)
    assert len(parts) > 1
    assert all(len(p.encode("utf-8")) <= 2048 for p in parts)
    assert all(p.startswith("标题") for p in parts)
    assert sum(p.count("\n") for p in parts) == len(lines)  # every line once


def test_allowance_most_urgent_first():
    from sixplustwo.domain.notices import within_allowance

    assert within_allowance([1, 1, 2, 1, None], 1, {}) == [True, False, True, False, False]
    assert within_allowance([1, 2], 1, {1: 1}) == [False, True]


# -- notify butlers -------------------------------------------------------------------------


BOTH = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


@BOTH
def test_each_butler_gets_the_list_once_through_wecom(cli, team, channels, httpserver, db_path):
    team(6, 3)
    fake = serve(httpserver, "wecom", "/wecom")
    path = channels({f"管家{i}": ("wecom", None) for i in range(3)})
    result = _notify(cli, "butlers", "--channels", path)
    assert len(fake.received) == 3 and not fake.refused
    texts = sorted(r["text"] for r in fake.received)
    assert all("2 to do" in t for t in texts)
    assert "138****0000" in "".join(texts) and "13800000000" not in "".join(texts)
    assert [state for _, state, _ in _outbox(db_path)] == ["sent"] * 3
    again = _notify(cli, "butlers", "--channels", path)
    assert len(fake.received) == 3  # nothing twice
    assert "3 sent before" in again.stderr
    status = cli("notify", "status", "--date", DAY.isoformat(), "--format", "json")
    assert [row["state"] for row in json.loads(status.stdout)] == ["sent"] * 3
    _no_secrets(result.stdout, result.stderr, again.stderr, status.stdout)


def test_four_robot_kinds_signed_and_mentioned(cli, team, channels, httpserver):
    team(8, 4)
    fakes = {kind: serve(httpserver, kind, f"/{kind}") for kind in ("wecom", "dingtalk", "webhook")}
    from notify_fakes import FEISHU_HOOK

    fakes["feishu"] = serve(httpserver, "feishu", f"/feishu/{FEISHU_HOOK}")
    routes = {"管家0": ("wecom", "13900000000"), "管家1": ("dingtalk", "13900000001"),
              "管家2": ("feishu", None), "管家3": ("webhook", None)}  # fmt: skip
    result = _notify(cli, "butlers", "--channels", channels(routes, msgtype="text"))
    for kind, fake in fakes.items():
        assert len(fake.received) == 1, (kind, fake.refused)
    assert fakes["wecom"].received[0]["mentioned"] == ["13900000000"]
    assert fakes["dingtalk"].received[0]["mentioned"] == ["13900000001"]
    assert "@13900000001" in fakes["dingtalk"].received[0]["text"]
    records = json.loads(fakes["webhook"].received[0]["text"])["records"]
    assert {r["butler"] for r in records} == {"管家3"} and len(records) == 2
    _no_secrets(result.stdout, result.stderr)


def test_a_long_list_is_split_within_the_limit(cli, team, channels, httpserver):
    team(60, 1)
    fake = serve(httpserver, "wecom", "/wecom")
    _notify(cli, "butlers", "--channels", channels({"管家0": ("wecom", None)}, msgtype="text"))
    assert len(fake.received) > 1 and not fake.refused
    assert all(len(r["text"].encode()) <= 2048 for r in fake.received)
    assert sum(r["text"].count("o") for r in fake.received) >= 60


def test_no_route_named_once_and_nothing_due_sends_nothing(cli, team, channels, httpserver):
    team(4, 2)
    fake = serve(httpserver, "wecom", "/wecom")
    path = channels({"管家0": ("wecom", None), "没事的管家": ("wecom", None)})
    result = _notify(cli, "butlers", "--channels", path)
    assert len(fake.received) == 1
    assert result.stderr.count("管家1") == 1
    _notify(cli, "butlers", "--channels", path, "--empty")
    assert len(fake.received) == 2 and "nothing due" in fake.received[1]["text"]


def test_a_200_with_an_error_code_is_a_failure(cli, team, channels, httpserver, db_path):
    team(2, 1)
    fake = serve(httpserver, "wecom", "/wecom")
    fake.script.append(("json", {"errcode": 93000, "errmsg": "invalid webhook url"}))
    path = channels({"管家0": ("wecom", None)})
    failed = _notify(cli, "butlers", "--channels", path, ok=False)
    assert failed.exit_code == 1 and "1 failed" in failed.stderr
    assert _outbox(db_path)[0][1:] == ("failed", "93000")
    _notify(cli, "butlers", "--channels", path)  # refused, so not sent: the next run sends it
    assert len(fake.received) == 1
    assert _outbox(db_path)[0][1] == "sent"


def test_rate_limits_and_server_errors_are_retried_within_the_timeout(
    cli, team, channels, httpserver, db_path
):
    team(2, 1)
    fake = serve(httpserver, "wecom", "/wecom")
    fake.script.extend([("json", {"errcode": 45009, "errmsg": "api freq out of limit"}),
                        ("status", 502)])  # fmt: skip
    _notify(cli, "butlers", "--channels", channels({"管家0": ("wecom", None)}), "--timeout", "30")
    assert len(fake.received) == 1 and fake.requests == 3
    assert _outbox(db_path)[0][1] == "sent"


def test_past_the_timeout_it_stays_failed(cli, team, channels, httpserver, db_path):
    team(2, 1)
    fake = serve(httpserver, "wecom", "/wecom")
    fake.script.extend([("status", 503)] * 5)
    result = _notify(cli, "butlers", "--channels", channels({"管家0": ("wecom", None)}),
                     "--timeout", "1", ok=False)  # fmt: skip
    assert result.exit_code == 1
    assert _outbox(db_path)[0][1:] == ("failed", "http 503")


def test_malformed_answer_is_unknown_and_sent_again_only_by_retry(
    cli, team, channels, httpserver, db_path
):
    team(2, 1)
    fake = serve(httpserver, "wecom", "/wecom")
    fake.script.append(("raw", b"<html>gateway</html>"))
    path = channels({"管家0": ("wecom", None)})
    result = _notify(cli, "butlers", "--channels", path, ok=False)
    assert "1 unknown" in result.stderr
    _notify(cli, "butlers", "--channels", path)
    assert fake.requests == 1  # not sent again by a plain run
    status = cli("notify", "status", "--date", DAY.isoformat())
    assert "unknown" in status.stdout and "notify retry --unknown" in status.stderr
    cli("notify", "retry", "--unknown", "--channels", path, "--date", DAY.isoformat())
    assert len(fake.received) == 1 and _outbox(db_path)[0][1] == "sent"


def test_a_slow_answer_is_unknown(cli, team, channels, httpserver, db_path):
    team(2, 1)
    fake = serve(httpserver, "wecom", "/wecom")
    fake.script.append(("sleep", 2.5))
    result = _notify(cli, "butlers", "--channels", channels({"管家0": ("wecom", None)}),
                     "--timeout", "1", ok=False)  # fmt: skip
    assert "1 unknown" in result.stderr
    assert _outbox(db_path)[0][1:] == ("unknown", "timeout")


# -- channels.toml --------------------------------------------------------------------------


def test_channels_file_must_be_private_and_is_never_shown(cli, team, channels, monkeypatch):
    team(2, 1)
    path = channels({"管家0": ("wecom", None)})
    os.chmod(path, 0o644)
    refused = _notify(cli, "butlers", "--channels", path, ok=False)
    assert refused.exit_code == 1 and path in refused.stderr and "chmod 600" in refused.stderr
    os.chmod(path, 0o600)
    with open(path, "a", encoding="utf-8") as file:
        file.write(
            '[robots.bad]\nkind = "wecom"\nurl = "ftp://x?key=wk-3f9a1c7e-secret-key-0001"\n'
        )
    bad = _notify(cli, "butlers", "--channels", path, ok=False)
    assert "[robots.bad]" in bad.stderr and "Traceback" not in bad.stderr
    monkeypatch.delenv("SIXPLUSTWO_CHANNELS", raising=False)
    missing = _notify(cli, "butlers", ok=False)
    assert "SIXPLUSTWO_CHANNELS" in missing.stderr
    _no_secrets(refused.stderr, bad.stderr, missing.stderr)


# -- notify owners --------------------------------------------------------------------------


@BOTH
@pytest.mark.parametrize("provider", ["aliyun", "tencent"])
def test_owners_sms_once_within_allowance_and_opt_out(
    cli, team, channels, httpserver, db_path, monkeypatch, provider
):
    team(6, 3, opt_out={1})
    cli("owner", "edit", "3", "--no-sms")  # owner ids start at 1: the file's row 2 (业主2)
    monkeypatch.setenv("SIXPLUSTWO_NOW", f"{DAY.isoformat()}T09:00")
    fake = serve(httpserver, provider, f"/{provider}")
    path = channels({}, sms=provider, templates={"visit-followup": "SMS_1"})
    result = _notify(cli, "owners", "--channels", path)
    phones = sorted(r["phone"].removeprefix("+86") for r in fake.received)
    # 6 owners, 业主1 opted out in the file, 业主2 by owner edit: 4 SMS, one an owner.
    assert phones == ["13800000000", "13800000003", "13800000004", "13800000005"]
    assert not fake.refused
    _notify(cli, "owners", "--channels", path)
    assert len(fake.received) == 4
    audit = sql(db_path, "SELECT command, detail, os_user FROM audit")
    assert any(c == "notify owners" and "4 sent" in d for c, d, _ in audit)
    _no_secrets(result.stdout, result.stderr, json.dumps(audit, ensure_ascii=False))


def test_owners_none_in_quiet_hours_and_untemplated_rules_named(
    cli, team, channels, httpserver, monkeypatch
):
    team(2, 1)
    fake = serve(httpserver, "aliyun", "/aliyun")
    path = channels({}, sms="aliyun", templates={"birthday": "SMS_9"})
    monkeypatch.setenv("SIXPLUSTWO_NOW", f"{DAY.isoformat()}T22:00")
    quiet = _notify(cli, "owners", "--channels", path)
    assert "quiet hours" in quiet.stderr and fake.requests == 0
    monkeypatch.setenv("SIXPLUSTWO_NOW", f"{DAY.isoformat()}T09:00")
    named = _notify(cli, "owners", "--channels", path)
    assert "visit-followup" in named.stderr and fake.requests == 0


@BOTH
def test_owners_sms_completes_what_the_message_is(
    cli, team, channels, httpserver, db_path, monkeypatch
):
    """Sent is done (SPEC §7): a birthday greeting sent by SMS is done, dated the day it was
    sent, on channel sms; the follow-up call (not sent_is_done) stays open."""
    team(2, 1)
    cli("owner", "edit", "1", "--birthday", "1980-12-07", "--visited", "2025-12-01")
    cli("owner", "edit", "1", "--subscribed", "2026-01-01", "--signed", "2026-01-05")
    monkeypatch.setenv("SIXPLUSTWO_NOW", f"{DAY.isoformat()}T09:00")
    fake = serve(httpserver, "aliyun", "/aliyun")
    path = channels({}, sms="aliyun", templates={"birthday": "SMS_9", "visit-followup": "S2"})
    _notify(cli, "owners", "--channels", path)
    assert len(fake.received) == 2  # the greeting, and 业主1's follow-up heads-up
    events = sql(db_path, "SELECT action_id, channel, happened_on FROM event")
    assert [tuple(e) for e in events] == [("o1:birthday:2026", "sms", DAY.isoformat())]
    due = json.loads(cli("due", "--date", DAY.isoformat(), "--format", "json").stdout)
    ids = {row["action_id"] for row in due}
    assert "o1:birthday:2026" not in ids and "o2:visit-followup" in ids


def test_secrets_reach_no_output_file_or_audit(cli, team, channels, httpserver, db_path, tmp_path):
    team(4, 2)
    fake = serve(httpserver, "wecom", "/wecom")
    fake.script.append(
        ("json", {"errcode": 93000, "errmsg": "bad key wk-3f9a1c7e-secret-key-0001"})
    )
    path = channels({"管家0": ("wecom", None), "管家1": ("wecom", None)})
    outputs = [_notify(cli, "butlers", "--channels", path, ok=False)]
    outputs.append(_notify(cli, "butlers", "--channels", path, "--dry-run"))
    outputs.append(cli("notify", "status", "--date", DAY.isoformat(), "--format", "json"))
    outputs.append(cli("audit", "--format", "json"))
    _no_secrets(*(o.stdout for o in outputs), *(o.stderr for o in outputs))
    with sqlite3.connect(db_path) as connection:
        for table in ("outbox", "audit", "journal"):
            dump = json.dumps(connection.execute(f"SELECT * FROM {table}").fetchall(),
                              ensure_ascii=False, default=str)  # fmt: skip
            _no_secrets(dump)
    assert re.search(r"\*\*\*", outputs[2].stdout)  # the service's echo of the key, scrubbed


def test_one_sms_an_owner_a_day_the_most_urgent_first(
    cli, tmp_path, channels, httpserver, monkeypatch
):
    cli("project", "add", "HY1", "--name", "华苑一期", "--delivery-date", "2024-06-30")
    yesterday = (DAY - timedelta(days=1)).isoformat()
    cli("owner", "add", "--name", "王五", "--phone", "13900000009", "--project", "HY1",
        "--unit", "9-9-909", "--visited", yesterday, "--subscribed", yesterday)  # fmt: skip
    monkeypatch.setenv("SIXPLUSTWO_NOW", f"{DAY.isoformat()}T09:00")
    fake = serve(httpserver, "aliyun", "/aliyun")
    path = channels(
        {}, sms="aliyun", templates={"visit-followup": "SMS_1", "first-contact": "SMS_2"}
    )
    due = cli("due", "--date", DAY.isoformat(), "--format", "json")
    first = json.loads(due.stdout)[0]["rule"]
    result = _notify(cli, "owners", "--channels", path)
    assert len(fake.received) == 1 and "wait for tomorrow" in result.stderr
    assert (
        fake.received[0]["template"] == {"visit-followup": "SMS_1", "first-contact": "SMS_2"}[first]
    )
    _notify(cli, "owners", "--channels", path)
    assert len(fake.received) == 1  # the other waits for another day


def test_a_forgotten_owner_gets_no_sms_and_the_outbox_keeps_no_phone(
    cli, team, channels, httpserver, monkeypatch, db_path
):
    team(2, 1)
    monkeypatch.setenv("SIXPLUSTWO_NOW", f"{DAY.isoformat()}T09:00")
    fake = serve(httpserver, "aliyun", "/aliyun")
    path = channels({}, sms="aliyun", templates={"visit-followup": "SMS_1"})
    cli("owner", "forget", "2", "--yes")
    _notify(cli, "owners", "--channels", path)
    assert [r["phone"] for r in fake.received] == ["13800000000"]
    cli("owner", "forget", "1", "--yes")
    assert sql(db_path, "SELECT payload FROM outbox") == [(None,)]


def test_tencent_sends_same_parameters_200_a_request(httpserver):
    from notify_fakes import TENCENT_ID, TENCENT_SECRET
    from sixplustwo.io.channels import http_client, tencent_sms
    from sixplustwo.io.channels.config import Sms

    fake = serve(httpserver, "tencent", "/tencent")
    sms = Sms("tencent", TENCENT_ID, TENCENT_SECRET, "华苑物业", httpserver.url_for("/tencent"),
              sdk_app_id="1400000000")  # fmt: skip
    payloads = [{"phone": f"1390000000{i}", "template": "T1", "params": {"project": "华苑"},
                 "order": ["project"]} for i in range(3)]  # fmt: skip
    with http_client(10) as client:
        results = tencent_sms.send_batch(client, sms, ["a", "b", "c"], payloads)
    assert [r.ok for r in results] == [True] * 3
    assert fake.requests == 1 and len(fake.received) == 3
    assert fake.received[0]["keys"] == ["a", "b", "c"] and fake.received[0]["params"] == ["华苑"]


def _closing_server():
    """A server that accepts a connection, reads the request and closes it: a reset."""
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)

    def serve_forever():
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            connection.recv(65536)
            connection.close()

    threading.Thread(target=serve_forever, daemon=True).start()
    return listener


def test_a_reset_is_unknown_and_no_connection_is_a_failure(cli, team, tmp_path, db_path):
    import socket

    from notify_fakes import WECOM_KEY

    team(2, 1)
    listener = _closing_server()
    port = listener.getsockname()[1]
    path = tmp_path / "channels.toml"
    path.write_text(f'[robots.w]\nkind = "wecom"\nurl = "http://127.0.0.1:{port}/send?key={WECOM_KEY}"\n'
                    '[butlers."管家0"]\nrobot = "w"\n', "utf-8")  # fmt: skip
    path.chmod(0o600)
    reset = _notify(cli, "butlers", "--channels", path, ok=False)
    assert "1 unknown" in reset.stderr and _outbox(db_path)[0][1:] == ("unknown", "reset")
    listener.shutdown(socket.SHUT_RDWR)  # nobody listens now: refused, so surely not sent
    listener.close()
    cli("notify", "retry", "--unknown", "--channels", path, "--date", DAY.isoformat(),
        "--timeout", "1", ok=False)  # fmt: skip
    assert _outbox(db_path)[0][1:] == ("failed", "connect")
    _no_secrets(reset.stdout, reset.stderr)
