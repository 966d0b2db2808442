"""Phone numbers: validated, stored normalised, masked for human eyes."""

from __future__ import annotations

import re
import unicodedata

from sixplustwo.domain.errors import InvalidInput

_MAINLAND_MOBILE = re.compile(r"1[3-9][0-9]{9}")  # whole text (fullmatch), ASCII digits
_SEPARATORS = re.compile(r"[\s\-()（）.]")
# Signs as a Chinese input method types them in full width (＋８６); the digits, full width
# included, are every script's decimal digits (``ascii_digits``).
_FULL_WIDTH = str.maketrans("＋－", "+-")


# A decimal digit of any script (``\d`` on text: Unicode category Nd, full width, Arabic-Indic,
# Devanagari … included).
_DIGIT = re.compile(r"\d")


def _ascii_digit(match: re.Match[str]) -> str:
    return str(unicodedata.decimal(match.group()))


def ascii_digits(text: str) -> str:
    """``text`` with every script's decimal digits written as ASCII digits (``١٣٨`` →
    ``138``); other characters as they are."""
    return text if text.isascii() else _DIGIT.sub(_ascii_digit, text)


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
    text = _bare(raw)
    if not text:
        raise InvalidInput("phone is empty")
    if any(char.isalpha() for char in text):
        # The phone library reads letters as a keypad (1381234abcd → 13812342223): a typo.
        raise InvalidInput("phone {raw!r} has letters in it", raw=raw)
    mobile = _mobile(text)
    if mobile is not None:
        return mobile
    if text.isdigit() and text.startswith("1") and len(text) == 11:
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


def written_mobile(raw: str) -> str | None:
    """A mainland mobile as people write it besides its bare 11 digits (``138 1234 5678``,
    ``138-1234-5678``, ``+86 13812345678``, full-width digits): stored as ``normalise_phone``
    stores it; None for anything else (which ``normalise_phone`` judges, slowly)."""
    spaced = raw.replace(" ", "")  # 138 1234 5678, the usual way: no regular expression
    if is_plain_mobile(spaced):
        return spaced
    if spaced.startswith("+86") and is_plain_mobile(spaced[3:]):  # +86 13812345678
        return spaced[3:]
    return _mobile(_bare(raw))


def _bare(raw: str) -> str:
    """The number without separators, its digits and signs in ASCII."""
    return _SEPARATORS.sub("", ascii_digits(raw.strip()).translate(_FULL_WIDTH))


def _mobile(text: str) -> str | None:
    """A bare number's 11 digits if it is a mainland mobile, with or without +86/0086/86."""
    for prefix in ("+86", "0086", "86"):
        if text.startswith(prefix) and _MAINLAND_MOBILE.fullmatch(text, len(prefix)):
            return text[len(prefix) :]
    return text if _MAINLAND_MOBILE.fullmatch(text) else None


def mask_phone(phone: str | None) -> str:
    """``13812345678`` → ``138****5678``; other numbers keep their first 3 and last 4 digits."""
    if not phone:
        return ""
    if len(phone) <= 7:
        return "*" * len(phone)
    hidden = len(phone) - 7
    return f"{phone[:3]}{'*' * hidden}{phone[-4:]}"
