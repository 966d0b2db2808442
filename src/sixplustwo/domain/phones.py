"""Phone numbers: validated, stored normalised, masked for human eyes."""

from __future__ import annotations

import re

from sixplustwo.domain.errors import InvalidInput

_MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_SEPARATORS = re.compile(r"[\s\-()（）.]")


def is_plain_mobile(text: str) -> bool:
    """A mainland mobile number written as its 11 digits and nothing else: stored as it is."""
    return (
        len(text) == 11
        and text.isascii()
        and text.isdigit()
        and text[0] == "1"
        and text[1] in "3456789"
    )


def normalise_phone(raw: str) -> str:
    """Return the stored form: 11 digits for a mainland mobile, E.164 for anything else.

    Mainland mobiles are checked by their shape (1[3-9] and 11 digits), because new number
    blocks open faster than phone libraries learn them; other numbers go through
    ``phonenumbers`` with China as the default region (landlines, Hong Kong, abroad).
    """
    if is_plain_mobile(raw):
        return raw  # the usual case, decided without a regular expression
    text = _SEPARATORS.sub("", raw.strip())
    if not text:
        raise InvalidInput("phone is empty")
    if any(char.isalpha() for char in text):
        # The phone library reads letters as a keypad (1381234abcd → 13812342223): a typo.
        raise InvalidInput("phone {raw!r} has letters in it", raw=raw)
    bare = text
    for prefix in ("+86", "0086", "86"):
        if bare.startswith(prefix) and _MAINLAND_MOBILE.match(bare[len(prefix) :]):
            bare = bare[len(prefix) :]
            break
    if _MAINLAND_MOBILE.match(bare):
        return bare
    if bare.isdigit() and bare.startswith("1") and len(bare) == 11:
        raise InvalidInput(
            "phone {raw!r} is not a mainland mobile number (1[3-9] + 9 digits)", raw=raw
        )

    import phonenumbers  # imported here: it costs ~100 ms and most numbers are mobiles

    try:
        parsed = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        raise InvalidInput("phone {raw!r} is not a phone number", raw=raw) from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidInput("phone {raw!r} is not a valid phone number", raw=raw)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(phone: str | None) -> str:
    """``13812345678`` → ``138****5678``; other numbers keep their first 3 and last 4 digits."""
    if not phone:
        return ""
    if len(phone) <= 7:
        return "*" * len(phone)
    hidden = len(phone) - 7
    return f"{phone[:3]}{'*' * hidden}{phone[-4:]}"
