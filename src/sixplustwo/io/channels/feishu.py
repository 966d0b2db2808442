"""Feishu (飞书) custom bot: body ``{"timestamp": "<seconds>", "sign": S, "msg_type": "post",
"content": …}`` with ``S = base64(HMAC_SHA256(key=f"{ts}\\n{secret}", msg=b""))`` (the
string to sign is the key, the message is empty). Success is ``{"code": 0}``; 19021 is a
bad signature, 9499 and 11232 the rate limits."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

from sixplustwo.io.channels import SENT, Result, dumps, post, retry, text_of

LIMIT = 18000  # bytes of the text: the request body is at most 20 kB
RATE_LIMITED = (9499, 11232)


def sign(secret: str, timestamp: int) -> str:
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")


def body(payload: dict, secret: str | None, timestamp: int) -> dict:
    lines = [[{"tag": "text", "text": line}] for line in payload["text"].split("\n")]
    message: dict[str, Any] = {
        "msg_type": "post",
        "content": {"post": {"zh_cn": {"title": payload["title"], "content": lines}}},
    }
    if secret:
        message = {"timestamp": str(timestamp), "sign": sign(secret, timestamp), **message}
    return message


def judge(answer: dict) -> Result:
    code = answer.get("code", answer.get("StatusCode"))
    if code == 0:
        return SENT
    message = text_of(answer, "msg", "StatusMessage")
    if code in RATE_LIMITED:
        return retry(str(code), message, 10.0)
    return Result(False, str(code), message)


def send(client: Any, robot: Any, payload: dict, *, now: float | None = None) -> Result:
    stamp = int(time.time() if now is None else now)
    return post(client, robot.url, body=dumps(body(payload, robot.secret, stamp)), judge=judge)
