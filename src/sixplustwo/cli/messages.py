"""The one place where messages become words: errors, warnings and import problems.

The domain, the store and ``io`` raise errors as a message id (the English text with
``{name}`` placeholders) and its parameters; the CLI turns them into text here and nowhere
else, so that a translation (gettext catalogues, a later issue) is looked up in one place.
Nothing is translated yet: ``translate`` is gettext's identity.
"""

from __future__ import annotations

import gettext

from sixplustwo.domain.errors import SixPlusTwoError
from sixplustwo.domain.text import visible

# Today the identity; a catalogue for the user's language is installed here later.
_translations: gettext.NullTranslations = gettext.NullTranslations()


def translate(msgid: str) -> str:
    """A message id's translation (the id itself while no catalogue is installed)."""
    return _translations.gettext(msgid)


def _(msgid: str) -> str:
    """A plain UI string (no parameters, or ones the caller fills in after)."""
    return translate(msgid)


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
