"""Every error a user can cause. The CLI prints the message as one line and exits 1."""


class SixPlusTwoError(Exception):
    """Base for errors caused by input, not by bugs: the message is shown to the user."""


class InvalidInput(SixPlusTwoError):
    """A value that cannot be accepted: a bad date, phone, option or file row."""


class NotFound(SixPlusTwoError):
    """An id or code that names nothing in the database."""


class Conflict(SixPlusTwoError):
    """The request contradicts what is stored: a duplicate flat, an action already done."""


class StoreError(SixPlusTwoError):
    """The database cannot be opened or used: wrong file, newer schema, read-only, disk full."""
