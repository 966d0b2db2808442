"""The words shown for codes: every label, in one place, looked up when a screen is drawn.

The domain and the store deal in codes (``overdue``, ``complaint``, step ``+1``); JSON and CSV
output keep the codes, and a screen shows ``label(kind, code)``: the English word here,
translated through the catalogue (``cli.messages``) when drawn. A word typed in either
language is read back to its code by :func:`code` (``case open --kind 投诉``).
"""

from __future__ import annotations

from sixplustwo.cli.messages import N_, translate
from sixplustwo.domain.playbook_data import STEP_NAMES

# An action's status (domain.actions.Status).
STATUS: dict[str, str] = {
    "upcoming": N_("not yet due"),
    "open": N_("to do"),
    "overdue": N_("overdue"),
    "done": N_("done"),
    "missed": N_("missed"),
    "before-go-live": N_("before go-live"),
}

# An owner's journey stage (domain.stages.Stage), or "forgotten" once erased on request.
STAGE: dict[str, str] = {
    "prospect": N_("prospect"),
    "subscribed": N_("subscribed"),
    "signed": N_("signed"),
    "awaiting delivery": N_("awaiting delivery"),
    "delivered": N_("delivered"),
    "resident": N_("resident"),
    "forgotten": N_("erased"),
}

# The 6+2 steps (domain.playbook.STEP_CODES): 温馨牵手 … 四年之约.
STEP: dict[str, str] = STEP_NAMES

# An owner's fields on screens, by their listed key (domain/fields.py; its own labels name the
# columns of the files butlers import, which stay Chinese).
FIELD: dict[str, str] = {
    "id": N_("ID"),
    "name": N_("Name"),
    "phone": N_("Phone"),
    "project": N_("Project"),
    "unit": N_("Unit"),
    "butler": N_("Butler"),
    "visited": N_("Visited"),
    "subscribed": N_("Subscribed"),
    "signed": N_("Signed"),
    "delivery_date": N_("Contract delivery"),
    "delivered": N_("Delivered"),
    "birthday": N_("Birthday"),
    "lunar_birthday": N_("Lunar birthday"),
    "referred_by": N_("Referrer"),
}

# A complaint or repair case's kind.
CASE_KIND: dict[str, str] = {"complaint": N_("complaint"), "repair": N_("repair")}

# Event kinds that are not a rule's name (a rule's name stands for its title, playbook data).
EVENT_KIND: dict[str, str] = {"celebration": N_("celebration"), "survey": N_("survey")}

# A referral in the 滚雪球计划 ledger.
REFERRAL_STATUS: dict[str, str] = {
    "pending": N_("awaiting signing"),
    "confirmed": N_("to settle"),
    "settled": N_("settled"),
}

# How an action ended in the report, as the HTML page's legend and columns name it …
OUTCOME: dict[str, str] = {
    "on_time": N_("done on time"),
    "late": N_("done late"),
    "missed": N_("missed"),
    "open": N_("not done"),
}
# … and as the terminal report's narrower column heads name it.
OUTCOME_HEAD: dict[str, str] = {
    "on_time": N_("on time"),
    "late": N_("done late"),
    "missed": N_("missed"),
    "open": N_("not done"),
}

# What the owner column of a listed action shows when the action's subject is not an owner.
SUBJECT: dict[str, str] = {"owner": "", "project": N_("(project)"), "case": ""}

# The report's rows of work no butler holds: project actions, and owners with no butler.
WORK_GROUP: dict[str, str] = {"project": N_("(project)"), "unassigned": N_("(unassigned)")}

# Codes of the playbook file shown on the playbook's screen: in English as they are written in
# the file (``anchor = "signed_on"``), in Chinese by these words (issue 28): see code_word.
ANCHOR: dict[str, str] = {
    "visited_on": N_("visited_on (anchor)"),
    "subscribed_on": N_("subscribed_on (anchor)"),
    "signed_on": N_("signed_on (anchor)"),
    "planned_delivery": N_("planned_delivery (anchor)"),
    "delivered_on": N_("delivered_on (anchor)"),
    "birthday": N_("birthday (anchor)"),
    "holiday": N_("holiday (anchor)"),
    "milestone": N_("milestone (anchor)"),
    "referral_delivered": N_("referral_delivered (anchor)"),
    "celebration": N_("celebration (anchor)"),
    "project_delivery": N_("project_delivery (anchor)"),
    "project_opening": N_("project_opening (anchor)"),
    "project_week": N_("project_week (anchor)"),
    "project_month": N_("project_month (anchor)"),
    "case_opened": N_("case_opened (anchor)"),
    "case_resolved": N_("case_resolved (anchor)"),
}
RULE_SUBJECT: dict[str, str] = {
    "owner": N_("owner (rule subject)"),
    "project": N_("project (rule subject)"),
    "case": N_("case (rule subject)"),
}


def code_word(table: dict[str, str], code: str) -> str:
    """A code of a file the user writes, on a screen: the code itself in English (what the
    file says), its word in another language; a code not in ``table`` as it is."""
    msgid = table.get(code)
    if msgid is None:
        return code
    said = translate(msgid)
    return code if said == msgid else said


TABLES: dict[str, dict[str, str]] = {
    "status": STATUS,
    "stage": STAGE,
    "step": STEP,
    "field": FIELD,
    "case_kind": CASE_KIND,
    "event_kind": EVENT_KIND,
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


_zh = None


def code(kind: str, word: str) -> str:
    """The code a word stands for, typed in either language: the code itself, its English
    label or its Chinese one (``投诉`` → ``complaint``); anything else is returned as it is,
    for the domain to accept or refuse."""
    typed = word.strip()
    for value, english in TABLES[kind].items():
        if typed.lower() in (value.lower(), english.lower()) or typed == _chinese(english):
            return value
    return word


def chinese(kind: str, code: str) -> str:
    """The Chinese word for ``code``, whatever the language installed: for data that keeps
    its words in every language (JSON and the report page, as before)."""
    return _chinese(TABLES[kind][code])


def _chinese(msgid: str) -> str:
    """A label's Chinese word, whatever the language installed."""
    global _zh
    if _zh is None:
        import gettext

        from sixplustwo.cli.messages import DOMAIN, LANGUAGES, LOCALE_DIR

        _zh = gettext.translation(DOMAIN, LOCALE_DIR, languages=[LANGUAGES["zh"]])
    return _zh.gettext(msgid) if msgid else msgid


def field_code(word: str) -> str:
    """The field a word names, typed in either language: its code (``delivery_date``), with
    ``-`` (``delivery-date``) or its Chinese name in messages (合同交付日期, domain/fields.py's
    label table); anything else as it is."""
    from sixplustwo.domain.fields import FIELD_NAMES

    typed = word.strip()
    for field, msgid in FIELD_NAMES.items():
        if typed.lower() in (field, field.replace("_", "-")) or typed == _chinese(msgid):
            return field
    return word


def field_label(listed: str, defined: str | None) -> str:
    """An owner field's name on screens: its label here, else the one the owner definition
    gives it (a field added there shows under its own name), else its key."""
    if listed in FIELD:
        return label("field", listed)
    return defined or listed


def event_kind(kind: str, titles: dict[str, str]) -> str:
    """An event's kind as shown: a rule's name by the rule's title (playbook data), a kind
    the tool knows by its label, anything a butler typed as it is."""
    if kind in titles:
        return titles[kind]
    if kind in EVENT_KIND:
        return label("event_kind", kind)
    return kind


def title(rule_title: str, detail: str | None) -> str:
    """An action's title as shown and exported: the rule's title (playbook data, Chinese)
    and its detail (a milestone, a festival, a case's kind in Chinese words, never its code)."""
    if not detail:
        return rule_title
    if detail in CASE_KIND:
        detail = _chinese(CASE_KIND[detail])
    return f"{rule_title}（{detail}）"
