"""The page's words: Chinese, or English when the browser prefers it (``Accept-Language``),
through the same gettext catalogue as the CLI (``locale/``), chosen per request: a server
answers butlers in both languages at once, so nothing here is global.

Template strings are ``{{ _("…") }}`` in ``web/templates``; ``scripts/catalogue.py`` extracts
them with the Python ones.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sixplustwo.domain.errors import N_, SixPlusTwoError
from sixplustwo.domain.playbook_data import STEP_NAMES
from sixplustwo.domain.text import visible

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "sixplustwo"

# The same message ids as the CLI's labels (cli/labels.py): one translation each.
STATUS = {
    "upcoming": N_("not yet due"),
    "open": N_("to do"),
    "overdue": N_("overdue"),
    "done": N_("done"),
    "missed": N_("missed"),
    "before-go-live": N_("before go-live"),
}
STEP = STEP_NAMES
CASE_KIND = {"complaint": N_("complaint"), "repair": N_("repair")}
ROLE = {"butler": N_("butler"), "manager": N_("manager")}
# How a butler reached the owner: stored as the words typed, the team's own (Chinese).
CHANNELS = ("电话", "上门", "微信", "短信")


@cache
def _catalogue(language: str) -> gettext.NullTranslations:
    if language == "zh":
        return gettext.translation(DOMAIN, LOCALE_DIR, languages=["zh_CN"])
    return gettext.NullTranslations()


def choose(accept_language: str | None) -> str:
    """``"zh"`` (the default) or ``"en"``: the first of the two in the browser's order of
    preference (``q`` values), Chinese when it names neither."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        tag = tag.strip().lower()
        if quality > 0 and (tag.startswith("zh") or tag.startswith("en")):
            ranked.append((-quality, position, tag[:2]))
    return min(ranked)[2] if ranked else "zh"


@dataclass(frozen=True)
class Words:
    """One request's language."""

    language: str

    def gettext(self, msgid: str) -> str:
        return _catalogue(self.language).gettext(msgid)

    def _(self, msgid: str) -> str:
        """A UI string (``words._("…")``, which the catalogue's extractor finds)."""
        return self.gettext(msgid)

    def label(self, table: dict[str, str], code: str | None) -> str:
        if code is None:
            return ""
        word = table.get(code)
        return self.gettext(word) if word else code

    def error(self, error: SixPlusTwoError) -> str:
        return visible(error.render(self.gettext))

    def chinese(self, table: dict[str, str], code: str) -> str:
        return _catalogue("zh").gettext(table[code])


def action_title(rule_title: str, detail: str | None) -> str:
    """As ``due`` shows it: the rule's title (playbook data) and its detail, a case's kind in
    Chinese words."""
    if not detail:
        return rule_title
    if detail in CASE_KIND:
        detail = _catalogue("zh").gettext(CASE_KIND[detail])
    return f"{rule_title}（{detail}）"
