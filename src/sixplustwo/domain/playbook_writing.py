"""The playbook written out: as a TOML file ``--playbook`` reads back (a starting point to
edit), and as the Markdown table of the rules in docs/playbook.md."""

from __future__ import annotations

import json

from sixplustwo.domain.dates import Offset
from sixplustwo.domain.playbook_data import Playbook
from sixplustwo.domain.playbook_reading import rule_table


def playbook_toml(playbook: Playbook) -> str:
    """The playbook as a TOML file that ``--playbook`` reads back: a starting point to edit."""
    lines = [
        "# sixplustwo playbook: edit and use with `sixplustwo --playbook FILE` or",
        "# `sixplustwo playbook --use FILE`. A rule changes only the keys you keep; set",
        "# `enabled = false` to turn a rule off. Offsets: +3mo+14d (units y, mo, d).",
        "",
        "[settings]",
        f"workdays = {_toml_value(playbook.settings.workdays)}",
        f"referral_reward = {_toml_value(playbook.settings.referral_reward)}",
        f"referral_settlement = {_toml_value(playbook.settings.referral_settlement)}",
        f"quiet_hours = {_toml_value(playbook.settings.quiet_hours)}",
        f"sms_per_owner_per_day = {_toml_value(playbook.settings.sms_per_owner_per_day)}",
    ]
    if playbook.settings.go_live is not None:
        lines.append(f'go_live = "{playbook.settings.go_live.isoformat()}"')
    if playbook.settings.timezone is not None:
        lines.append(f"timezone = {_toml_value(playbook.settings.timezone)}")
    for tier in playbook.tiers:
        lines += ["", f"[membership.{_toml_value(tier.name)}]"]
        lines += [f"{key} = {value}" for key, value in (("flats", tier.flats),
                  ("referrals", tier.referrals)) if value is not None]  # fmt: skip
    for rule in playbook:
        lines += ["", f"[rules.{rule.name}]"]
        table = rule_table(rule)
        templates = table.pop("templates", {})
        for key, value in table.items():
            lines.append(f"{key} = {_toml_value(value)}")
        if templates:
            lines += ["", f"[rules.{rule.name}.templates]"]
            lines += [
                f"{_toml_value(key)} = {_toml_value(text)}" for key, text in templates.items()
            ]
    return "\n".join(lines) + "\n"


def _toml_value(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    # JSON's string escapes are valid in TOML basic strings.
    return json.dumps(str(value), ensure_ascii=False)


ANCHOR_TEXT: dict[str, str] = {
    "visited_on": "visited",
    "subscribed_on": "subscribed",
    "signed_on": "signed",
    "planned_delivery": "planned delivery (owner's, else project's)",
    "delivered_on": "delivered",
    "birthday": "birthday, each year after signing (02-29 → 02-28; 农历 if so marked)",
    "holiday": "元旦 春节 元宵 端午 中秋 国庆, each year after signing",
    "milestone": "each project milestone M (owners signed by M, not delivered by M)",
    "referral_delivered": "referred customer's delivery (if signed)",
    "project_delivery": "project first delivery",
    "project_opening": "project sales opening (开盘)",
    "celebration": "a celebration recorded for the owner (新婚, 乔迁, 添丁, 升学)",
    "project_week": "each week (Monday) once the project delivered",
    "project_month": "each month (the 1st) once the project delivered",
    "case_opened": "case opened",
    "case_resolved": "case resolved",
}


def _window(offset: Offset) -> str:
    text = str(offset)
    return "A" if text == "+0d" else "A" + text.replace("-", "−")


def playbook_markdown(playbook: Playbook) -> str:
    """The rules as docs/playbook.md's Markdown table (generated, and checked by a test)."""
    lines = [
        "| rule | step | anchor (A) | opens | due | grace | sent is done | source |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for rule in playbook:
        due = _window(rule.due)
        if rule.due_repair is not None:
            due = f"{due} complaint, {_window(rule.due_repair)} repair"
        grace = "none" if rule.grace is None else str(rule.grace)
        lines.append(
            f"| {rule.name} | {rule.step} | {ANCHOR_TEXT.get(rule.anchor, rule.anchor)} | "
            f"{_window(rule.opens)} | {due} | {grace} | {'yes' if rule.sent_is_done else ''} | "
            f"{rule.source} |"
        )
    return "\n".join(lines) + "\n"
