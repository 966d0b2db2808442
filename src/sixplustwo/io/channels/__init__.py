"""Chat robots and SMS gateways (issue 30): one module a service, each one function
``send(client, config, payloads) -> [Result]`` that knows its service's signing, limits and
error codes and nothing else. The outbox (store/outbox.py) and the pacing and retries
(``sending.py``) are shared; the messages' text is made in one place (cli/notify_text.py).

httpx is imported only here, when a message is sent (``sixplustwo[notify]``): a command's
start-up never pays for it (tests/test_startup.py). Nothing here puts a key, a token, a
secret, a signature or a URL that holds one into a result, an exception or a log: a
``Result``'s message is the service's own message or a fixed text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sixplustwo.domain.errors import InvalidInput

# The robot kinds and the SMS providers channels.toml names.
ROBOT_KINDS = ("wecom", "dingtalk", "feishu", "webhook")
SMS_KINDS = ("aliyun", "tencent")


@dataclass(frozen=True)
class Result:
    """One message's answer. ``retry_after``: seconds after which it may be tried again (a
    rate limit, a server error, no connection made); ``unknown``: the request went out and
    no usable answer came (a timeout, a reset, an answer that is not the service's), so the
    message may have arrived and is never sent again by itself."""

    ok: bool
    code: str
    message: str = ""
    retry_after: float | None = None
    unknown: bool = False


SENT = Result(True, "0", "ok")


def retry(code: str, message: str, after: float) -> Result:
    return Result(False, code, message, retry_after=after)


def unknown(code: str) -> Result:
    return Result(False, code, "no usable answer: the message may have been delivered", None, True)


def http_client(timeout: float) -> Any:
    """An httpx client for one run (connections kept alive); refused without httpx."""
    try:
        import httpx
    except ImportError:  # pragma: no cover - the extra not installed
        raise InvalidInput("sending needs httpx: pip install 'sixplustwo[notify]'") from None
    import logging

    # httpx logs each request's URL at INFO: a robot's URL holds its key.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    limit = max(1.0, min(timeout, 30.0))
    return httpx.Client(timeout=httpx.Timeout(limit, connect=min(limit, 10.0)), trust_env=False)


def post(
    client: Any,
    url: str,
    *,
    body: bytes | None = None,
    method: str = "POST",
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    judge: Callable[[Any], Result],
    empty_ok: bool = False,
) -> Result:
    """POST ``body`` and judge the answer. No connection made: retried; sent but no answer
    (a timeout, a reset): unknown; 429 and 5xx: retried; another status: failed; else the
    service's own judgement of its JSON (``judge``), a body that is not JSON unknown."""
    from urllib.parse import urlencode

    import httpx

    if params:  # added to the query the URL has (a robot's token)
        url = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
    try:
        response = client.request(
            method,
            url,
            content=body,
            headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
        )
    except (httpx.InvalidURL, httpx.UnsupportedProtocol, httpx.LocalProtocolError, ValueError):
        # Refused before anything was sent (the message names no URL: it may hold a key).
        return Result(False, "bad request", "the service's url or request is not valid")
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout):
        return retry("connect", "no connection to the service", 2.0)
    except httpx.TimeoutException:
        return unknown("timeout")
    except (httpx.TransportError, httpx.DecodingError):
        return unknown("reset")
    status = response.status_code
    answer = _json(response.content)
    if status == 429 or status >= 500:
        said = judge(answer) if answer is not None else None
        code = said.code if said is not None and not said.ok else f"http {status}"
        return retry(code, "rate limited" if status == 429 else "server error",
                     _retry_after(response, 5.0 if status == 429 else 2.0))  # fmt: skip
    if status >= 400:
        said = judge(answer) if answer is not None else None
        if said is not None and not said.ok:
            return said
        return Result(False, f"http {status}", "refused by the service")
    if empty_ok and not response.content.strip():
        return SENT
    if answer is None:
        return unknown("bad answer")
    return judge(answer)


def _json(content: bytes) -> dict | None:
    try:
        answer = json.loads(content)
    except ValueError:
        return None
    return answer if isinstance(answer, dict) else None


def _retry_after(response: Any, default: float) -> float:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, min(float(value), 600.0))
    except ValueError:
        return default


def text_of(answer: Mapping[str, Any], *keys: str) -> str:
    """The service's message (``errmsg``, ``msg``, ``Message``), short and one line."""
    for key in keys:
        value = answer.get(key)
        if value:
            return " ".join(str(value).split())[:200]
    return ""


def dumps(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
