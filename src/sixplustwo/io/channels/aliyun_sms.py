"""Aliyun SMS (阿里云短信服务): ``SendSms``, API version 2017-05-25, signed the RPC way
(HMAC-SHA1 of the sorted, percent-encoded parameters, key ``secret + "&"``). One message a
request: ``TemplateCode``, ``TemplateParam`` (a JSON object of strings) and ``OutId`` = the
outbox's key, so that the provider's record can settle a message whose fate is unknown.
Success is ``{"Code": "OK"}``; throttling is retried, a number's own daily limit is not."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from sixplustwo.io.channels import SENT, Result, post, retry, text_of

DEFAULT_URL = "https://dysmsapi.aliyuncs.com/"
RETRIED = ("Throttling", "Throttling.User", "Throttling.Api", "ServiceUnavailable",
           "isp.SYSTEM_ERROR", "InternalError")  # fmt: skip


def encode(value: str) -> str:
    """POP's percent-encoding: RFC 3986 (space %20, * %2A, ~ kept)."""
    return quote(value, safe="-_.~")


def signature(params: dict[str, str], secret: str, method: str = "GET") -> str:
    canonical = "&".join(f"{encode(k)}={encode(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{encode('/')}&{encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def request_params(sms: Any, payload: dict, key: str, *, nonce: str, timestamp: str) -> dict:
    return {
        "AccessKeyId": sms.access_key_id,
        "Action": "SendSms",
        "Format": "JSON",
        "OutId": key,
        "PhoneNumbers": payload["phone"],
        "RegionId": "cn-hangzhou",
        "SignName": sms.sign_name,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": nonce,
        "SignatureVersion": "1.0",
        "TemplateCode": payload["template"],
        "TemplateParam": json.dumps(
            {k: str(v) for k, v in payload["params"].items()}, ensure_ascii=False
        ),
        "Timestamp": timestamp,
        "Version": "2017-05-25",
    }


def judge(answer: dict) -> Result:
    code = str(answer.get("Code", ""))
    if code == "OK":
        return SENT
    message = text_of(answer, "Message")
    if code in RETRIED:
        return retry(code, message, 1.0)
    return Result(False, code or "?", message)


def send(client: Any, sms: Any, key: str, payload: dict) -> Result:
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    params = request_params(sms, payload, key, nonce=uuid.uuid4().hex, timestamp=stamp)
    params["Signature"] = signature(params, sms.access_key_secret, "POST")
    body = "&".join(f"{encode(k)}={encode(v)}" for k, v in params.items()).encode("ascii")
    return post(
        client,
        sms.url or DEFAULT_URL,
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        judge=judge,
    )
