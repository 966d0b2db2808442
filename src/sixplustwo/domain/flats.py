"""A flat's normal form: the one place that knows how butlers and sales systems write a flat.

``5-1-1201``, ``5栋1单元1201``, ``5幢1单元1201室``, ``5号楼1单元1201``, ``５－１－１２０１`` and
``5 栋 1 单元 1201`` are one flat: its numbers (building, entrance, room; letters too, as in
``A座1201``) joined by ``-``, lower case, without leading zeros. A flat written with words
this module does not know (``商铺A-3``, ``别墅12``) keeps a key of its own: its text, folded
(full-width to ASCII, lower case, no spaces), so that it never takes a numbered flat's key.
"""

from __future__ import annotations

import re
import unicodedata

# The words and marks between a flat's numbers: 号楼 before 号 and 楼.
_MARKS = re.compile(r"号楼|单元|[栋幢座楼室号#\-—–_/\s]+")
_PART = re.compile(r"[0-9a-z]+")
_PLAIN = re.compile(r"[0-9a-z]+(?:-[0-9a-z]+)*")
_KEYS: dict[str, str] = {}
_KEYS_KEPT = 200_000


def flat_key(text: str) -> str:
    """A flat's key (see the module): ``5幢1单元1201室`` → ``5-1-1201``; ``商铺A-3`` →
    ``商铺a-3``; "" for no flat. Cached: a ledger repeats its buildings' spellings."""
    found = _KEYS.get(text)
    if found is not None:
        return found
    lowered = text.lower()
    if lowered.isascii() and _PLAIN.fullmatch(lowered) and not _leading_zero(lowered):
        key = text if lowered == text else lowered  # 5-1-1201 as most ledgers write it
    else:
        folded = unicodedata.normalize("NFKC", text).lower().strip()
        parts = [part for part in _MARKS.split(folded) if part]
        if parts and all(_PART.fullmatch(part) for part in parts):
            key = "-".join(part.lstrip("0") or "0" for part in parts)  # 0501 is 501
        else:  # composed again once the spaces are gone (¯ is a space and a macron)
            key = unicodedata.normalize("NFKC", "".join(folded.split()))
    if len(_KEYS) < _KEYS_KEPT:
        _KEYS[text] = key
    return key


def _leading_zero(plain: str) -> bool:
    return plain[0] == "0" or "-0" in plain
