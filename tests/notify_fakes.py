"""Fakes of the four chat robots and the two SMS gateways, for pytest-httpserver on
127.0.0.1: each checks what the real service checks (its key or token, its signature, a
timestamp within the service's window, the size limit), counts what it was sent, and can be
told to answer with a rate limit, a server error, a non-zero code, a slow answer, a reset or
malformed JSON first. Used by tests/test_notify*.py and benchmarks/notify.py."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import threading
import time
from collections import deque
from urllib.parse import parse_qsl

from werkzeug.wrappers import Request, Response

from sixplustwo.io.channels.aliyun_sms import signature as aliyun_signature
from sixplustwo.io.channels.tencent_sms import authorization as tencent_authorization

# The fake server's request log names each URL, a robot's key in it: not in a test's output.
logging.getLogger("werkzeug").setLevel(logging.ERROR)

# Secrets as a channels.toml would hold them: tests grep every output for them.
WECOM_KEY = "wk-3f9a1c7e-secret-key-0001"
DINGTALK_TOKEN = "dt-token-77aa99bb-secret"
DINGTALK_SECRET = "SECdingtalk-signing-secret-42"
FEISHU_SECRET = "feishu-signing-secret-1234"
FEISHU_HOOK = "fs-hook-uuid-secret-5678"
WEBHOOK_SECRET = "webhook-hmac-secret-9999"
ALIYUN_ID = "LTAI-test-access-key-id"
ALIYUN_SECRET = "aliyun-access-key-secret-abcdef"
TENCENT_ID = "AKID-tencent-secret-id-0000"
TENCENT_SECRET = "tencent-secret-key-ffff"
SECRETS = (
    WECOM_KEY,
    DINGTALK_TOKEN,
    DINGTALK_SECRET,
    FEISHU_SECRET,
    FEISHU_HOOK,
    WEBHOOK_SECRET,
    ALIYUN_ID,
    ALIYUN_SECRET,
    TENCENT_ID,
    TENCENT_SECRET,
)


def _json(value: dict, status: int = 200) -> Response:
    return Response(json.dumps(value, ensure_ascii=False), status, mimetype="application/json")


class Fake:
    """One service: ``received`` holds what it accepted (a text a message, or an SMS's
    key and number); ``script`` the special answers to give first, one a request:
    ("json", dict), ("status", code), ("raw", bytes), ("sleep", seconds)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.received: list[dict] = []
        self.refused: list[str] = []
        self.script: deque = deque()
        self.requests = 0
        self.lock = threading.Lock()

    def handle(self, request: Request) -> Response:
        with self.lock:
            self.requests += 1
            special = self.script.popleft() if self.script else None
        if special is not None:
            what, value = special
            if what == "sleep":
                time.sleep(value)
            elif what == "json":
                return _json(value)
            elif what == "status":
                return Response("busy", value)
            elif what == "raw":
                return Response(value, 200, mimetype="application/json")
        return getattr(self, self.kind)(request)

    def _refuse(self, why: str, answer: dict) -> Response:
        with self.lock:
            self.refused.append(why)
        return _json(answer)

    def _accept(self, record: dict) -> None:
        with self.lock:
            self.received.append(record)

    # -- robots -------------------------------------------------------------------------

    def wecom(self, request: Request) -> Response:
        if request.args.get("key") != WECOM_KEY:
            return self._refuse("key", {"errcode": 93000, "errmsg": "invalid webhook url"})
        body = json.loads(request.get_data())
        kind = body.get("msgtype")
        if kind not in ("text", "markdown"):
            return self._refuse("msgtype", {"errcode": 40008, "errmsg": "invalid message type"})
        content = body[kind]["content"]
        if len(content.encode("utf-8")) > {"text": 2048, "markdown": 4096}[kind]:
            return self._refuse("size", {"errcode": 40058, "errmsg": "content exceed max length"})
        self._accept({"text": content, "mentioned": body[kind].get("mentioned_mobile_list")})
        return _json({"errcode": 0, "errmsg": "ok"})

    def dingtalk(self, request: Request) -> Response:
        if request.args.get("access_token") != DINGTALK_TOKEN:
            return self._refuse("token", {"errcode": 300001, "errmsg": "token is not exist"})
        stamp = request.args.get("timestamp", "0")
        if abs(int(stamp) - time.time() * 1000) > 3600_000:
            return self._refuse("timestamp", {"errcode": 310000, "errmsg": "timestamp invalid"})
        wanted = base64.b64encode(
            hmac.new(
                DINGTALK_SECRET.encode(), f"{stamp}\n{DINGTALK_SECRET}".encode(), hashlib.sha256
            ).digest()
        ).decode()
        if request.args.get("sign") != wanted:
            return self._refuse("sign", {"errcode": 310000, "errmsg": "sign not match"})
        body = json.loads(request.get_data())
        self._accept({"text": body["markdown"]["text"], "mentioned": body["at"]["atMobiles"]})
        return _json({"errcode": 0, "errmsg": "ok"})

    def feishu(self, request: Request) -> Response:
        body = json.loads(request.get_data())
        stamp = body.get("timestamp", "0")
        if abs(int(stamp) - time.time()) > 3600:
            return self._refuse("timestamp", {"code": 19021, "msg": "sign match fail"})
        key = f"{stamp}\n{FEISHU_SECRET}".encode()
        wanted = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
        if body.get("sign") != wanted:
            return self._refuse("sign", {"code": 19021, "msg": "sign match fail"})
        if len(request.get_data()) > 20 * 1024:
            return self._refuse("size", {"code": 9499, "msg": "request too large"})
        post = body["content"]["post"]["zh_cn"]
        text = "\n".join([post["title"], *(line[0]["text"] for line in post["content"])])
        self._accept({"text": text})
        return _json({"code": 0, "msg": "success", "data": {}})

    def webhook(self, request: Request) -> Response:
        data = request.get_data()
        wanted = "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), data, hashlib.sha256).hexdigest()
        if request.headers.get("X-Sixplustwo-Signature") != wanted:
            return Response("bad signature", 401)
        body = json.loads(data)
        self._accept({"text": json.dumps(body, ensure_ascii=False, sort_keys=True)})
        return Response("", 204)

    # -- SMS ----------------------------------------------------------------------------

    def aliyun(self, request: Request) -> Response:
        params = dict(parse_qsl(request.get_data(as_text=True), keep_blank_values=True))
        given = params.pop("Signature", "")
        if params.get("AccessKeyId") != ALIYUN_ID:
            return self._refuse("id", {"Code": "InvalidAccessKeyId.NotFound", "Message": "no"})
        if aliyun_signature(params, ALIYUN_SECRET, request.method) != given:
            answer = {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not"}
            with self.lock:
                self.refused.append("sign")
            return _json(answer, 400)
        stamp = time.mktime(time.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ"))
        if abs(stamp - time.mktime(time.gmtime())) > 900:
            return self._refuse("timestamp", {"Code": "InvalidTimeStamp.Expired", "Message": "x"})
        if params.get("Action") != "SendSms" or params.get("Version") != "2017-05-25":
            return self._refuse("action", {"Code": "InvalidAction", "Message": "x"})
        template_param = json.loads(params["TemplateParam"])
        if not all(isinstance(v, str) for v in template_param.values()):
            return self._refuse("param", {"Code": "isv.INVALID_JSON_PARAM", "Message": "x"})
        self._accept(
            {"key": params["OutId"], "phone": params["PhoneNumbers"],
             "template": params["TemplateCode"], "params": template_param}
        )  # fmt: skip
        return _json({"Code": "OK", "Message": "OK", "BizId": "1", "RequestId": "r"})

    def tencent(self, request: Request) -> Response:
        body = request.get_data(as_text=True)
        stamp = int(request.headers.get("X-TC-Timestamp", "0"))
        host = request.headers.get("Host", "")
        wanted = tencent_authorization(TENCENT_ID, TENCENT_SECRET, "sms", host, body, stamp)
        error = None
        if request.headers.get("Authorization") != wanted:
            error = {"Code": "AuthFailure.SignatureFailure", "Message": "signature failure"}
        elif abs(stamp - time.time()) > 300:
            error = {"Code": "AuthFailure.SignatureExpire", "Message": "expired"}
        elif request.headers.get("X-TC-Action") != "SendSms" or (
            request.headers.get("X-TC-Version") != "2021-01-11"
        ):
            error = {"Code": "InvalidAction", "Message": "x"}
        if error:
            with self.lock:
                self.refused.append(error["Code"])
            return _json({"Response": {"Error": error, "RequestId": "r"}})
        payload = json.loads(body)
        numbers = payload["PhoneNumberSet"]
        if len(numbers) > 200:
            return _json({"Response": {"Error": {"Code": "LimitExceeded.PhoneNumberCountLimit",
                                                 "Message": "x"}, "RequestId": "r"}})  # fmt: skip
        keys = payload["SessionContext"].split(",")
        statuses = []
        for number in numbers:
            self._accept({"keys": keys, "phone": number, "template": payload["TemplateId"],
                          "params": payload["TemplateParamSet"]})  # fmt: skip
            statuses.append({"PhoneNumber": number, "Code": "Ok", "Message": "send success",
                             "SerialNo": "s", "Fee": 1})  # fmt: skip
        return _json({"Response": {"SendStatusSet": statuses, "RequestId": "r"}})


def serve(httpserver, kind: str, path: str = "/send") -> Fake:
    fake = Fake(kind)
    httpserver.expect_request(path).respond_with_handler(fake.handle)
    return fake


def channels_toml(base: str, butlers: dict[str, tuple[str, str | None]], *, sms: str | None = None,
                  templates: dict[str, str] | None = None, msgtype: str = "markdown",
                  per_minute: int | None = None, per_second: int | None = None) -> str:  # fmt: skip
    """A channels.toml for fakes at ``base`` (http://127.0.0.1:PORT): robots "wecom",
    "dingtalk", "feishu", "webhook" at /wecom, /dingtalk, /feishu, /webhook; ``butlers``
    maps a butler to (robot, mobile)."""
    limit = f"per_minute = {per_minute}\n" if per_minute else ""
    lines = [
        "[robots.wecom]", 'kind = "wecom"', f'url = "{base}/wecom?key={WECOM_KEY}"',
        f'msgtype = "{msgtype}"', limit,
        "[robots.dingtalk]", 'kind = "dingtalk"',
        f'url = "{base}/dingtalk?access_token={DINGTALK_TOKEN}"', f'secret = "{DINGTALK_SECRET}"',
        limit,
        "[robots.feishu]", 'kind = "feishu"', f'url = "{base}/feishu/{FEISHU_HOOK}"',
        f'secret = "{FEISHU_SECRET}"', limit,
        "[robots.webhook]", 'kind = "webhook"', f'url = "{base}/webhook"',
        f'secret = "{WEBHOOK_SECRET}"', limit,
    ]  # fmt: skip
    for butler, (robot, mobile) in butlers.items():
        lines += [f'[butlers."{butler}"]', f'robot = "{robot}"']
        if mobile:
            lines.append(f'mobile = "{mobile}"')
    if sms:
        aliyun = sms == "aliyun"
        ident, secret = (ALIYUN_ID, ALIYUN_SECRET) if aliyun else (TENCENT_ID, TENCENT_SECRET)
        lines += ["[sms]", f'kind = "{sms}"', f'access_key_id = "{ident}"',
                  f'access_key_secret = "{secret}"', 'sign_name = "华苑物业"',
                  f'url = "{base}/{sms}"', 'sdk_app_id = "1400000000"']  # fmt: skip
        if per_second:
            lines.append(f"per_second = {per_second}")
        lines.append("[sms.templates]")
        lines += [f'{rule} = "{code}"' for rule, code in (templates or {}).items()]
    return "\n".join(lines) + "\n"
