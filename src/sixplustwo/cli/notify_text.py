"""The messages `notify` sends, made in one place from the due list's records: a butler's
day as each robot kind shows it (WeCom and DingTalk markdown, WeCom text, Feishu rich
text, a webhook's JSON), split where the channel's size limit asks, in the team's language;
an owner's SMS as the provider's template and its parameters."""

from __future__ import annotations

import json
import re
from datetime import date

from sixplustwo.cli.messages import _
from sixplustwo.domain.notices import split_by_bytes

# Bytes a part's "(2/3)" takes at most: kept free when a list is split.
_PART_MARK = 12
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]#>|~])")


def limit_for(kind: str, msgtype: str) -> int | None:
    """A message's size limit in bytes (None: the list goes whole)."""
    from sixplustwo.io.channels import dingtalk, feishu, wecom

    if kind == "wecom":
        return wecom.LIMITS[msgtype]
    if kind == "dingtalk":
        return dingtalk.LIMIT
    if kind == "feishu":
        return feishu.LIMIT
    return None


def _plain(value: object) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _escape(value: object, markdown: bool) -> str:
    text = _plain(value)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text) if markdown else text


def headline(butler: str, day: date, records: list[dict]) -> str:
    overdue = sum(1 for r in records if r["status"] == "overdue")
    if not records:
        return _("{butler}, {day}: nothing due").format(butler=butler, day=day.isoformat())
    return _("{butler}, {day}: {count} to do ({overdue} overdue)").format(
        butler=butler, day=day.isoformat(), count=len(records), overdue=overdue
    )


def line(record: dict, *, markdown: bool) -> str:
    """One action: status (days late), title, owner, masked phone, flat, action id."""
    from sixplustwo.cli.labels import label

    status = label("status", record["status"])
    late = record["days_overdue"]
    if late:
        status = _("{status} {days}d").format(status=status, days=late)
    owner = record["owner"] or label("subject", record["subject"])
    flat = " ".join(x for x in (_plain(record["project_name"]), _plain(record["unit"])) if x)
    parts = [
        _escape(record["title"], markdown),
        _escape(owner, markdown),
        _plain(record["phone"] or ""),
        _escape(flat, markdown),
    ]
    body = " · ".join(p for p in parts if p)
    if markdown:
        return f"- **{status}** {body} `{record['action_id']}`"
    return f"[{status}] {body} {record['action_id']}"


def butler_messages(
    kind: str, msgtype: str, butler: str, day: date, records: list[dict], mobile: str | None
) -> list[dict]:
    """The butler's day as payloads for one robot kind (several where its limit asks):
    ``{"title", "text", "mobile"}``, or for a webhook ``{"body"}``."""
    title = headline(butler, day, records)
    if kind == "webhook":
        body = {"butler": butler, "day": day.isoformat(), "records": records}
        return [{"title": title, "body": json.dumps(body, ensure_ascii=False, default=str)}]
    markdown = kind in ("dingtalk",) or (kind == "wecom" and msgtype == "markdown")
    head = f"### {_escape(title, True)}" if markdown else title
    lines = [line(r, markdown=markdown) for r in records]
    if kind == "feishu":  # the title is the post's own
        head = ""
    limit = limit_for(kind, msgtype)
    if limit is None:
        texts = ["\n".join([head, *lines])]
    else:
        texts = split_by_bytes(head or " ", lines, limit - _PART_MARK)
        if kind == "feishu":
            texts = [t.split("\n", 1)[1] if "\n" in t else "" for t in texts]
    payloads = []
    for number, text in enumerate(texts, 1):
        part_title = title if len(texts) == 1 else f"{title} ({number}/{len(texts)})"
        if len(texts) > 1 and kind != "feishu":
            text = text.replace(head, f"{head} ({number}/{len(texts)})", 1)
        payloads.append({"title": part_title, "text": text, "mobile": mobile})
    return payloads


_FIELD = re.compile(r"(?<!\{)\{(\w+)\}")


def template_fields(template: str) -> list[str]:
    """The placeholders a rule's template uses, in order, each once: the parameters the
    provider's approved template takes (Tencent's by position, Aliyun's by name)."""
    seen: list[str] = []
    for name in _FIELD.findall(template.replace("{{", "").replace("}}", "")):
        if name not in seen:
            seen.append(name)
    return seen


def sms_payload(phone: str, template_code: str, template: str, values: dict) -> dict:
    order = template_fields(template)
    params = {name: _plain(values.get(name, "")) for name in order}
    return {"phone": phone, "template": template_code, "params": params, "order": order}
