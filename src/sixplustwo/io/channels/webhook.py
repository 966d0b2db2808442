"""A plain JSON webhook (a team's own system): a POST of the butler's list as the due
list's JSON records; with a secret, ``X-Sixplustwo-Signature: sha256=<hex HMAC-SHA256 of
the body>``. Any 2xx is success, unless its JSON says ``errcode`` or ``code`` ≠ 0."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from sixplustwo.io.channels import SENT, Result, post, text_of

SIGNATURE_HEADER = "X-Sixplustwo-Signature"


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def judge(answer: dict) -> Result:
    code = answer.get("errcode", answer.get("code", 0))
    if code in (0, "0", None):
        return SENT
    return Result(False, str(code), text_of(answer, "errmsg", "msg", "message"))


def send(client: Any, robot: Any, payload: dict) -> Result:
    body = payload["body"].encode("utf-8")
    headers = {SIGNATURE_HEADER: signature(robot.secret, body)} if robot.secret else {}
    return post(client, robot.url, body=body, headers=headers, judge=judge, empty_ok=True)
