"""The one place where messages become words: errors, warnings, UI strings and labels.

The domain, the store and ``io`` raise errors as a message id (the English text with
``{name}`` placeholders) and its parameters; the CLI turns them into text here and nowhere
else, through the gettext catalogue of the user's language (``locale/``, made with Babel:
``python scripts/catalogue.py``). English is the source language: with no Chinese catalogue
installed, ``translate`` is the identity.

The language is chosen when a command runs (:func:`install`, called by ``cli/app.py``), not
when a module is imported: UI strings are translated where they are shown, and strings
declared at import time (help texts, label tables) are only marked with :func:`N_` for the
extractor and translated when drawn.
"""

from __future__ import annotations

import gettext
import os
import re
from collections.abc import Mapping
from pathlib import Path

from sixplustwo.domain.errors import SixPlusTwoError
from sixplustwo.domain.text import visible

#: The catalogues: ``locale/zh_CN/LC_MESSAGES/sixplustwo.mo`` (package data).
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "sixplustwo"
#: The languages there are: English (the message ids themselves) and Simplified Chinese.
LANGUAGES = {"en": None, "zh": "zh_CN"}

_translations: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"


def choose_language(environ: Mapping[str, str] | None = None) -> str:
    """``"zh"`` or ``"en"``: ``SIXPLUSTWO_LANG`` (``zh`` or ``en``) wins; otherwise the
    locale as gettext reads it (the first of ``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``,
    ``LANG`` that is set; ``LANGUAGE`` may list several, tried in order) gives Chinese when
    it names a Chinese locale (``zh_CN.UTF-8``, ``zh``, ``zh_TW``); otherwise English."""
    environ = os.environ if environ is None else environ
    chosen = environ.get("SIXPLUSTWO_LANG", "").strip().lower()
    if chosen:
        return "zh" if chosen.startswith("zh") else "en"
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(variable, "")
        if not value:
            continue
        for locale in value.split(":"):
            locale = locale.strip().lower()
            if locale.startswith("zh"):
                return "zh"
            if locale.startswith("en") or locale in ("c", "posix") or locale.startswith("c."):
                return "en"
        return "en"
    return "en"


def install(language: str | None = None) -> str:
    """Put the catalogue of ``language`` (else :func:`choose_language`'s) in place for every
    string translated from now on; returns the language. A missing catalogue is a broken
    installation, and fails (FileNotFoundError) rather than falling back to English."""
    global _translations, _language
    language = language or choose_language()
    locale = LANGUAGES.get(language)
    if locale is None:
        _translations, _language = gettext.NullTranslations(), "en"
    else:
        _translations = gettext.translation(DOMAIN, LOCALE_DIR, languages=[locale])
        _language = language
    return _language


def current_language() -> str:
    """The language installed: ``"en"`` or ``"zh"``."""
    return _language


def translate(msgid: str) -> str:
    """A message id's translation (the id itself while no catalogue is installed)."""
    return _translations.gettext(msgid)


def _(msgid: str) -> str:
    """A plain UI string (no parameters, or ones the caller fills in after)."""
    return translate(msgid)


def N_(msgid: str) -> str:
    """Marks a string for the catalogue without translating it (yet): a help text, a label
    in a table, a message id kept for later. It is translated where it is shown."""
    return msgid


def text(message: SixPlusTwoError | str) -> str:
    """An error (or a problem) in words: its message id translated, then its parameters
    filled in, nested errors rendered the same way; user text in a parameter is never read
    as a format. Plain text (made before this boundary, e.g. a store problem not yet
    converted) is taken as it is. Either way one line: control and bidirectional characters
    show as escapes (``\x1b``), and past 1,000 characters it is cut."""
    rendered = message.render(translate) if isinstance(message, SixPlusTwoError) else str(message)
    if len(rendered) > _LONGEST:  # a 10 MB cell quoted in a refusal
        rendered = rendered[: _LONGEST - 1] + "…"
    return visible(rendered)


# Messages are one line on a terminal: user text quoted in them (a file's header, a cell)
# shows control characters as escapes, and is cut short.
_LONGEST = 1000


def read_back(text: str | None, msgids: tuple[str, ...]) -> str | None:
    """Text stored in English from one of ``msgids`` (an audit entry's detail), in the
    user's language: the longest message id it matches whole, translated and filled in with
    the parts it matched; text that matches none as it is."""
    if _language == "en" or not text:
        return text
    for msgid in sorted(msgids, key=len, reverse=True):
        parts = re.split(r"\{(\w+)\}", msgid)
        pattern = "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)
        )
        found = re.fullmatch(pattern, text, re.DOTALL)
        if found:
            return translate(msgid).format(**found.groupdict())
    return text


def error_line(message: SixPlusTwoError | str) -> str:
    """The one line an error prints on stderr."""
    return _("sixplustwo: error: {message}").format(message=text(message))


def warning_line(message: SixPlusTwoError | str) -> str:
    """The one line a warning prints on stderr."""
    return _("sixplustwo: warning: {message}").format(message=text(message))


def os_error(exc: OSError) -> SixPlusTwoError:
    """An operating-system error as a message: its text (the system's, in its own
    language) and the file it names."""
    reason = exc.strerror or str(exc)
    if exc.filename:
        return SixPlusTwoError("{reason}: {filename}", reason=reason, filename=exc.filename)
    return SixPlusTwoError("{reason}", reason=reason)
