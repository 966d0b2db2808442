"""Tencent Cloud SMS (腾讯云短信): ``SendSms``, API version 2021-01-11, signed with
TC3-HMAC-SHA256; up to 200 numbers a request (one template and its parameters for all),
``SessionContext`` = the outbox's key. Each number has its own answer in
``SendStatusSet`` (``"Code": "Ok"``); a request refused whole answers ``Response.Error``."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sixplustwo.io.channels import SENT, Result, post, retry, text_of

DEFAULT_URL = "https://sms.tencentcloudapi.com/"
SERVICE = "sms"
VERSION = "2021-01-11"
BATCH = 200
CONTENT_TYPE = "application/json; charset=utf-8"
RETRIED = ("RequestLimitExceeded", "InternalError", "FailedOperation.RequestLimitExceeded")


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def authorization(
    secret_id: str, secret_key: str, service: str, host: str, payload: str, timestamp: int
) -> str:
    """The ``Authorization`` header: TC3-HMAC-SHA256 over content-type and host."""
    day = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    canonical = "\n".join([
        "POST", "/", "", f"content-type:{CONTENT_TYPE}\nhost:{host}\n", "content-type;host",
        hashlib.sha256(payload.encode("utf-8")).hexdigest(),
    ])  # fmt: skip
    scope = f"{day}/{service}/tc3_request"
    to_sign = "\n".join([
        "TC3-HMAC-SHA256", str(timestamp), scope,
        hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
    ])  # fmt: skip
    signing = _hmac(_hmac(_hmac(f"TC3{secret_key}".encode(), day), service), "tc3_request")
    signature = hmac.new(signing, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    return (
        f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, "
        f"SignedHeaders=content-type;host, Signature={signature}"
    )


def e164(phone: str) -> str:
    return phone if phone.startswith("+") else f"+86{phone}"


def request_body(sms: Any, template: str, params: list[str], phones: list[str], context: str):
    return {
        "PhoneNumberSet": [e164(p) for p in phones],
        "SmsSdkAppId": sms.sdk_app_id,
        "SignName": sms.sign_name,
        "TemplateId": template,
        "TemplateParamSet": params,
        "SessionContext": context,
    }


def send_batch(client: Any, sms: Any, keys: list[str], payloads: list[dict]) -> list[Result]:
    """Messages of one template with the same parameters (≤ 200): one request."""
    first = payloads[0]
    params = [str(first["params"][name]) for name in first["order"]]
    phones = [p["phone"] for p in payloads]
    body = json.dumps(
        request_body(sms, first["template"], params, phones, ",".join(keys)[:512]),
        ensure_ascii=False,
    )
    url = sms.url or DEFAULT_URL
    host = urlsplit(url).netloc
    stamp = int(time.time())
    headers = {
        "Authorization": authorization(
            sms.access_key_id, sms.access_key_secret, SERVICE, host, body, stamp
        ),
        "Content-Type": CONTENT_TYPE,
        "Host": host,
        "X-TC-Action": "SendSms",
        "X-TC-Timestamp": str(stamp),
        "X-TC-Version": VERSION,
        "X-TC-Region": sms.region,
    }
    answers: dict[str, Result] = {}

    def judge(answer: dict) -> Result:
        response = answer.get("Response")
        if not isinstance(response, dict):
            return Result(False, "bad answer", "", None, True)
        error = response.get("Error")
        if isinstance(error, dict):
            code = str(error.get("Code", "?"))
            message = text_of(error, "Message")
            return retry(code, message, 1.0) if code in RETRIED else Result(False, code, message)
        for status in response.get("SendStatusSet") or []:
            code = str(status.get("Code", "?"))
            number = str(status.get("PhoneNumber", ""))
            answers[number] = (
                SENT if code == "Ok" else Result(False, code, text_of(status, "Message"))
            )
        return SENT

    whole = post(client, url, body=body.encode("utf-8"), headers=headers, judge=judge)
    if not whole.ok:
        return [whole] * len(payloads)
    # A number the answer does not name: it may or may not have been sent.
    missing = Result(False, "no status", "the answer names no status for this number", None, True)
    return [answers.get(e164(phone), missing) for phone in phones]
