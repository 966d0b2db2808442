"""Every error a user can cause. The CLI prints the message as one line and exits 1.

An error carries a message id (the English text with ``{name}`` placeholders, a constant) and
its parameters, never finished text: only ``cli/`` turns it into words (``cli/messages.py``),
which is where a translation will be looked up. ``str(error)`` is the English text, for logs
and tests.
"""

from __future__ import annotations


def N_(msgid: str) -> str:
    """Marks a message id kept aside (in a table, passed on) for the catalogue's extractor
    (``scripts/catalogue.py``); the error that takes it is translated in ``cli/``."""
    return msgid


class SixPlusTwoError(Exception):
    """Base for errors caused by input, not by bugs: the message is shown to the user."""

    def __init__(self, msgid: str, /, **params: object) -> None:
        super().__init__(msgid)
        self.msgid = msgid
        self.params = params

    def render(self, translate=None) -> str:
        """The message in words: ``translate`` maps a message id to its translation (the CLI's
        gettext); the parameters are filled in after, so user text is never read as format."""
        template = translate(self.msgid) if translate else self.msgid
        if not self.params:
            return template
        params = {
            key: value.render(translate) if isinstance(value, SixPlusTwoError) else value
            for key, value in self.params.items()
        }
        return template.format(**params)

    def __str__(self) -> str:
        return self.render()

    def __eq__(self, other: object) -> bool:
        """The same message: same kind, id and parameters (a problem read twice, inline or
        in the background reader, is the same problem)."""
        if not isinstance(other, SixPlusTwoError):
            return NotImplemented
        return (type(self), self.msgid, self.params) == (type(other), other.msgid, other.params)

    __hash__ = Exception.__hash__

    def __reduce__(self):
        # Pickled whole (a background reader sends its error to the parent): the message id,
        # the parameters and any attribute a subclass adds, whatever its __init__ takes.
        return _restore, (type(self), self.msgid, self.__dict__)


def _restore(cls: type[SixPlusTwoError], msgid: str, state: dict) -> SixPlusTwoError:
    error = cls.__new__(cls)
    Exception.__init__(error, msgid)
    error.__dict__.update(state)
    return error


class InvalidInput(SixPlusTwoError):
    """A value that cannot be accepted: a bad date, phone, option or file row."""


class NotFound(SixPlusTwoError):
    """An id or code that names nothing in the database."""


class Conflict(SixPlusTwoError):
    """The request contradicts what is stored: a duplicate flat, an action already done."""


class StoreError(SixPlusTwoError):
    """The database cannot be opened or used: wrong file, newer schema, read-only, disk full."""
