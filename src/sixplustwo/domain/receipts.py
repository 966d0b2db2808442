"""The SMS platform's delivery report (短信发送回执/状态报告), read row by row: which message was
delivered, which failed, which is still waiting. A row names its message by the action id the
export wrote (``action_id``, or the platform's echo of it: OutId, 外部流水号), or by the phone
and the day it was sent; its status is the platform's word for it, in Chinese or English.

``sixplustwo export receipts FILE`` (cli/receipts.py) re-opens the actions a failed message
had completed (SPEC §7, "Sent is done for messages").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from sixplustwo.domain.errors import InvalidInput
from sixplustwo.domain.owner_input import FieldError, cell_text
from sixplustwo.domain.rules import ACTION_ID

Delivery = Literal["delivered", "failed", "pending"]

# Column headers, as the platforms' exports and people write them (compared lower-cased).
RECEIPT_ALIASES: dict[str, str] = {
    **dict.fromkeys(
        ("action_id", "action id", "actionid", "动作编号", "动作id", "待办编号", "outid", "out_id",
         "外部流水号", "业务流水号", "扩展字段", "extend"),
        "action_id",
    ),
    **dict.fromkeys(
        ("phone", "mobile", "phone_number", "phonenumber", "phone number", "mobile_number",
         "手机", "手机号", "手机号码", "号码", "电话", "接收号码", "接收手机号"),
        "phone",
    ),
    **dict.fromkeys(
        ("date", "send_date", "send date", "send_time", "send time", "sent_at", "senddate",
         "sendtime", "submit_time", "日期", "发送日期", "发送时间", "提交时间", "短信发送时间"),
        "date",
    ),
    **dict.fromkeys(
        ("status", "state", "result", "report_status", "delivery status", "状态", "发送状态",
         "回执状态", "送达状态", "发送结果", "结果", "状态报告"),
        "status",
    ),
}  # fmt: skip

# The statuses, by what they mean; compared lower-cased. CMPP's (China Mobile's protocol,
# which the platforms pass on): DELIVRD delivered; UNDELIV, EXPIRED, DELETED, REJECTD failed;
# ACCEPTD and UNKNOWN not final. A carrier error code (MK:0001, DB:0141, ID:0076 …) failed.
_DELIVERED = frozenset(
    {"成功", "发送成功", "已送达", "送达", "送达成功", "接收成功", "成功送达", "delivrd",
     "delivered", "success", "succeeded", "successful", "ok"}
)  # fmt: skip
_FAILED = frozenset(
    {"失败", "发送失败", "未送达", "送达失败", "接收失败", "拒收", "空号", "停机", "关机",
     "黑名单", "undeliv", "undelivered", "expired", "deleted", "rejectd", "rejected",
     "failed", "fail", "failure", "error"}
)  # fmt: skip
_PENDING = frozenset(
    {"等待回执", "发送中", "待发送", "已提交", "未知", "pending", "sending", "submitted",
     "acceptd", "accepted", "unknown"}
)  # fmt: skip
_CARRIER_CODE = re.compile(r"[A-Za-z]{2}:\d{3,4}")


def delivery_of(status: str) -> Delivery | None:
    """What a status says; None for a word that is none of the known ones."""
    word = status.strip().lower()
    if word in _DELIVERED:
        return "delivered"
    if word in _FAILED or _CARRIER_CODE.fullmatch(word):
        return "failed"
    if word in _PENDING:
        return "pending"
    return None


@dataclass(frozen=True)
class ReceiptRow:
    delivery: Delivery
    action_id: str | None = None
    phone: str | None = None
    on: date | None = None


def receipt_row(values: dict[str, object]) -> ReceiptRow:
    """One row of a delivery report: its status, and the message as an action id or as a
    phone and the day it was sent; FieldError naming the bad cell."""
    from sixplustwo.domain.phones import normalise_phone

    status = cell_text(values.get("status"))
    if status is None:
        raise FieldError("status", "is required")
    delivery = delivery_of(status)
    if delivery is None:
        raise FieldError(
            "status",
            "{status!r} is not a delivery status (e.g. 成功, 失败, DELIVRD, UNDELIV)",
            status=status,
        )
    action_id = cell_text(values.get("action_id"))
    if action_id is not None and ACTION_ID.match(action_id) is None:
        raise FieldError(
            "action_id", "{action!r} is not an action id (e.g. o12:birthday:2026)", action=action_id
        )
    raw_phone = cell_text(values.get("phone"))
    phone = None
    if raw_phone is not None:
        try:
            phone = normalise_phone(raw_phone)
        except InvalidInput as exc:
            raise FieldError("phone", exc) from None
    on = _day(values.get("date"))
    if action_id is None and (phone is None or on is None):
        field = "phone" if phone is None else "date"
        raise FieldError(
            field, "name the message: an action id, or a phone and the day it was sent"
        )
    return ReceiptRow(delivery, action_id, phone, on)


def _day(value: object) -> date | None:
    """The day of a date or a time of sending (``2026-12-10 07:00:12``)."""
    from sixplustwo.domain.dates import parse_date_text

    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    if text is None:
        return None
    day = re.split(r"[ T]", text, maxsplit=1)[0]
    try:
        return parse_date_text(day)
    except InvalidInput as exc:
        raise FieldError("date", exc) from None
