"""The words shown for codes: every label, in one place, looked up when a screen is drawn.

The domain and the store deal in codes (``overdue``, ``complaint``, step ``+1``); JSON and CSV
output keep the codes, and a screen shows ``label(kind, code)``. A translation of the labels
will be looked up here (through ``cli.messages``), nowhere else.
"""

from __future__ import annotations

from sixplustwo.cli.messages import translate

# An action's status (domain.actions.Status).
STATUS: dict[str, str] = {
    "upcoming": "未到期",
    "open": "待办",
    "overdue": "逾期",
    "done": "已完成",
    "missed": "已错过",
}

# An owner's journey stage (domain.actions.Stage), or "forgotten" once erased on request.
STAGE: dict[str, str] = {
    "prospect": "潜在客户",
    "subscribed": "已认购",
    "signed": "已签约",
    "awaiting delivery": "待交付",
    "delivered": "已交付",
    "resident": "已入住",
    "forgotten": "已删除",
}

# The 6+2 steps (domain.playbook.STEP_CODES): 温馨牵手 … 四年之约.
STEP: dict[str, str] = {
    "1": "温馨牵手",
    "2": "喜结连理",
    "3": "亲密接触",
    "4": "恭迎乔迁",
    "5": "嘘寒问暖",
    "6": "承担责任",
    "+1": "一路同行",
    "+2": "四年之约",
}

# A complaint or repair case's kind.
CASE_KIND: dict[str, str] = {"complaint": "投诉", "repair": "报修"}

# A referral in the 滚雪球计划 ledger.
REFERRAL_STATUS: dict[str, str] = {"pending": "待签约", "confirmed": "待结算", "settled": "已结算"}

# How an action ended in the report, as the HTML page's legend and columns name it …
OUTCOME: dict[str, str] = {
    "on_time": "按时完成",
    "late": "逾期完成",
    "missed": "错过",
    "open": "未完成",
}
# … and as the terminal report's narrower column heads name it.
OUTCOME_HEAD: dict[str, str] = {
    "on_time": "按时",
    "late": "逾期完成",
    "missed": "错过",
    "open": "未完成",
}

# What the owner column of a listed action shows when the action's subject is not an owner.
SUBJECT: dict[str, str] = {"owner": "", "project": "（项目）", "case": ""}

# The report's rows of work no butler holds: project actions, and owners with no butler.
WORK_GROUP: dict[str, str] = {"project": "（项目）", "unassigned": "（未分配）"}

TABLES: dict[str, dict[str, str]] = {
    "status": STATUS,
    "stage": STAGE,
    "step": STEP,
    "case_kind": CASE_KIND,
    "referral_status": REFERRAL_STATUS,
    "outcome": OUTCOME,
    "outcome_head": OUTCOME_HEAD,
    "subject": SUBJECT,
    "work_group": WORK_GROUP,
}


def label(kind: str, code: str) -> str:
    """The word for ``code`` among the labels of ``kind`` ("status", "stage", "step",
    "case_kind", "referral_status", "outcome", "outcome_head", "subject"). An unknown code is
    a bug (KeyError), except for an empty label, which is shown as nothing."""
    word = TABLES[kind][code]
    return translate(word) if word else word
