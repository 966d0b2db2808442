"""WeCom (企业微信) group robot: ``POST …/cgi-bin/webhook/send?key=KEY`` with
``{"msgtype": "markdown" | "text", …}``. Success is ``{"errcode": 0}``; 45009 is the rate
limit (20 messages a minute a robot). Only text can @-mention (``mentioned_mobile_list``)."""

from __future__ import annotations

from typing import Any

from sixplustwo.io.channels import SENT, Result, dumps, post, retry, text_of

# The content's limit in bytes (UTF-8), as WeCom measures it.
LIMITS = {"text": 2048, "markdown": 4096}
RATE_LIMITED = 45009


def body(robot: Any, payload: dict) -> dict:
    if robot.msgtype == "text":
        text: dict[str, Any] = {"content": payload["text"]}
        if payload.get("mobile"):
            text["mentioned_mobile_list"] = [payload["mobile"]]
        return {"msgtype": "text", "text": text}
    return {"msgtype": "markdown", "markdown": {"content": payload["text"]}}


def judge(answer: dict) -> Result:
    code = answer.get("errcode")
    if code == 0:
        return SENT
    message = text_of(answer, "errmsg")
    if code == RATE_LIMITED:
        return retry(str(code), message, 2.0)
    if code == -1:  # system busy
        return retry(str(code), message, 2.0)
    return Result(False, str(code), message)


def send(client: Any, robot: Any, payload: dict) -> Result:
    return post(client, robot.url, body=dumps(body(robot, payload)), judge=judge)
