"""DingTalk (钉钉) custom robot: ``POST …/robot/send?access_token=T&timestamp=MS&sign=S``,
``S = urlencode(base64(HMAC_SHA256(key=secret, msg=f"{MS}\\n{secret}")))``; the timestamp
must be within an hour of the service's clock. Success is ``{"errcode": 0}``; past 20
messages a minute the robot is throttled for 10 minutes (130101)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

from sixplustwo.io.channels import SENT, Result, dumps, post, retry, text_of

LIMIT = 20000  # bytes of a markdown text
RATE_LIMITED = (130101, 130102)


def sign(secret: str, timestamp_ms: int) -> str:
    """The signature, base64 (the query string's encoding is httpx's)."""
    message = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def body(payload: dict) -> dict:
    text = payload["text"]
    mobile = payload.get("mobile")
    if mobile:
        text = f"{text}\n\n@{mobile}"  # the mention shows only where the text names it
    return {
        "msgtype": "markdown",
        "markdown": {"title": payload["title"], "text": text},
        "at": {"atMobiles": [mobile] if mobile else [], "isAtAll": False},
    }


def judge(answer: dict) -> Result:
    code = answer.get("errcode")
    if code == 0:
        return SENT
    message = text_of(answer, "errmsg")
    if code in RATE_LIMITED:
        return retry(str(code), message, 600.0)
    return Result(False, str(code), message)


def send(client: Any, robot: Any, payload: dict, *, now: float | None = None) -> Result:
    stamp = int((time.time() if now is None else now) * 1000)
    params = {"timestamp": str(stamp), "sign": sign(robot.secret, stamp)}
    return post(client, robot.url, body=dumps(body(payload)), params=params, judge=judge)
