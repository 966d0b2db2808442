"""Finding a customer (``owner find``): the search keys stored with each owner, and what a
typed text asks for.

An owner is found by name through the name's pinyin (``wangwei``) and its initials (``ww``),
by phone (whole, or its last four digits) and by flat (``3-1-1201``, ``3幢1单元1201``,
``3栋1单元1201室``: the flat's key, ``domain/flats.py``). The name and flat keys are
stored in indexed columns when an owner is written (the phone's last four digits are an
indexed expression), so that a search is a few index ranges, never a scan.

Pinyin: each character's most common reading (pypinyin's character table, without tones, ü as
``v``), computed once per character; the first character of a name is read as a surname where
the surname's reading differs (单 shan, 曾 zeng, 解 xie, 仇 qiu …). Other characters that have
several readings take the most common one only.
"""

from __future__ import annotations

import re
import unicodedata

from sixplustwo.domain.flats import flat_key

# Surnames read otherwise than their character's most common reading.
SURNAME_READINGS = {
    "单": "shan", "曾": "zeng", "解": "xie", "仇": "qiu", "朴": "piao", "区": "ou", "查": "zha",
    "盖": "ge", "华": "hua", "乐": "yue", "缪": "miao", "翟": "zhai", "尉": "wei", "覃": "qin",
    "冼": "xian", "种": "chong", "秘": "bi", "隗": "wei", "折": "she", "召": "shao", "员": "yun",
    "万": "wan", "柏": "bai", "薄": "bo", "繁": "po", "句": "gou", "阚": "kan", "能": "nai",
    "宓": "mi", "逄": "pang", "过": "guo", "贲": "ben", "祭": "zhai", "郇": "huan", "藏": "zang",
    "长": "chang", "重": "chong", "曲": "qu", "沈": "shen", "石": "shi", "任": "ren", "纪": "ji",
    "莫": "mo", "卜": "bu", "都": "du", "相": "xiang", "燕": "yan", "阿": "a", "尹": "yin",
}  # fmt: skip

_TONELESS = str.maketrans(
    "āáǎàōóǒòēéěèêếềīíǐìūúǔùǖǘǚǜüńňǹḿ",
    "aaaaooooeeeeeeeiiiiuuuuvvvvvnnnm",
)
_SYLLABLES: dict[str, str] = {}  # character → its reading (toneless), "" when it has none
_NAMES: dict[str, tuple[str, str]] = {}  # name → (pinyin, initials): names repeat
_NAMES_KEPT = 200_000


_READINGS: dict[str, str] = {}


def _readings() -> dict[str, str]:
    """pypinyin's character table (code point → readings, most common first), read from its
    data file: importing the package would build its phrase segmenter (~0.5 s) too."""
    if not _READINGS:
        from importlib.util import find_spec
        from pathlib import Path

        import orjson

        spec = find_spec("pypinyin")
        if spec is None or not spec.submodule_search_locations:
            raise ModuleNotFoundError("pypinyin")
        folder = Path(next(iter(spec.submodule_search_locations)))
        _READINGS.update(orjson.loads((folder / "pinyin_dict.json").read_bytes()))
    return _READINGS


def _syllable(char: str) -> str:
    """A Chinese character's reading ("" if it has none); cached (never for ASCII)."""
    found = _SYLLABLES.get(char)
    if found is not None:
        return found
    readings = _readings().get(str(ord(char)))
    reading = ""
    if readings:
        reading = readings.split(",")[0].translate(_TONELESS)
        reading = "".join(c for c in reading if c.isascii() and c.isalpha())
    _SYLLABLES[char] = reading
    return reading


# Every character's reading and initial as str.translate tables, so that a name is read in
# C, not character by character in Python. Initials are upper case there, so that a name with
# anything else in it (Latin letters, ·) is told apart. The tables fill as characters are
# first seen (a ledger's names use a few thousand of pypinyin's ~40,000 characters).
_CLEAN = {**{ord(c): None for c in "\u0300\u0301\u0304\u030c"}, **_TONELESS}


class _Table(dict[int, str]):
    def __missing__(self, code: int) -> str:
        if code < 128:  # Latin text: read one by one
            _SPELL[code] = _INITIAL[code] = "\x00"
        else:
            readings = _readings().get(str(code))
            if readings is None:  # kept as it is by translate: read one by one
                raise KeyError(code)
            reading = readings.split(",", 1)[0].translate(_CLEAN)
            if reading.isascii() and reading.isalpha():
                _SPELL[code] = reading
                _INITIAL[code] = reading[0].upper()
            else:
                _SPELL[code] = _INITIAL[code] = ""
        return dict.__getitem__(self, code)


_SPELL = _Table()
_INITIAL = _Table()


def name_keys(name: str | None) -> tuple[str | None, str | None]:
    """A name's pinyin (``wangwei``) and initials (``ww``), lower case; None for no name.
    Written for speed: a million-row import reads every name."""
    if not name:
        return None, None
    found = _NAMES.get(name)
    if found is not None:
        return found
    initials = name.translate(_INITIAL)
    if initials.isascii() and initials.isalpha() and initials.isupper():
        surname = SURNAME_READINGS.get(name[0])
        if surname:
            spelled = surname + name[1:].translate(_SPELL)
            initials = surname[0] + initials[1:]
        else:
            spelled = name.translate(_SPELL)
        keys: tuple[str | None, str | None] = (spelled, initials.lower())
    else:
        keys = _spelled(name)
    if len(_NAMES) < _NAMES_KEPT:
        _NAMES[name] = keys
    return keys


def _spelled(name: str) -> tuple[str | None, str | None]:
    spelled: list[str] = []
    initials: list[str] = []
    latin = False  # inside a run of Latin letters: one word, one initial
    for index, char in enumerate(unicodedata.normalize("NFKC", name)):
        if char.isascii():
            if char.isalnum():
                spelled.append(char.lower())
                if not latin:
                    initials.append(char.lower())
            latin = char.isalnum()
            continue
        latin = False
        reading = (SURNAME_READINGS.get(char) if index == 0 else None) or _syllable(char)
        if reading:
            spelled.append(reading)
            initials.append(reading[0])
    return "".join(spelled) or None, "".join(initials) or None


def unit_key(unit: str | None) -> str | None:
    """A flat's key (``domain/flats.py``'s ``flat_key``, the one place that knows how flats
    are written), None for no flat."""
    return flat_key(unit) or None if unit else None


def search_keys(name: str | None, unit: str | None) -> dict[str, str | None]:
    """An owner's stored search keys, by column (the phone's last four digits are indexed as
    an expression: no column)."""
    spelled, initials = name_keys(name)
    return {"name_pinyin": spelled, "name_initials": initials, "unit_key": stored_unit_key(unit)}


def stored_unit_key(unit: str | None) -> str | None:
    """The flat's key as stored: only where it differs from the flat as written (``3幢1单元
    1201室``, not ``3-1-1201``, which the flat's own index finds), so that a ledger of plain
    flats adds no index entries."""
    key = unit_key(unit)
    stored = None if key == unit else key
    if unit and len(STORED_UNIT_KEYS) < _NAMES_KEPT:
        STORED_UNIT_KEYS[unit] = stored
    return stored


# For a million-row import, the keys of names and flats seen before, looked up where a row is
# laid out (a dict lookup instead of two calls a row): name → (pinyin, initials), flat →
# stored key.
KNOWN_NAME_KEYS = _NAMES
STORED_UNIT_KEYS: dict[str, str | None] = {}


SEARCH_COLUMNS = ("name_pinyin", "name_initials", "unit_key")


# -- what a typed text asks for -----------------------------------------------------------

_PHONE_SEPARATORS = re.compile(r"[\s\-()（）+]")
_LATIN = re.compile(r"[a-z]+")
# The last four digits of a phone, marked as such: 尾号5678, *5678, …5678, ...5678.
_TAIL = re.compile(r"(?:尾号|\*+|…+|\.{2,})\s*(\d{4})")
_OWNER_ID = re.compile(r"[oO#]?(\d{1,6})")


def owner_id_text(text: str) -> int | None:
    """An owner id as typed where one is asked for (``12``, ``o12``, ``#12``), else None: a
    phone, its marked last four digits (``*5678``) or a flat names an owner otherwise."""
    match = _OWNER_ID.fullmatch(unicodedata.normalize("NFKC", text).strip())
    return int(match.group(1)) if match else None


def query_kinds(text: str) -> dict[str, str]:
    """What to look up for a typed text: keys ``name`` (a name's beginning, as typed),
    ``pinyin`` (pinyin or initials, lower case), ``phone`` (a whole number, normalised),
    ``tail`` (last four digits: four digits alone are also looked up as a flat) and ``flat``
    (a unit key). Digits of any script are read as ASCII digits (``ascii_digits``)."""
    from sixplustwo.domain.phones import ascii_digits

    text = ascii_digits(unicodedata.normalize("NFKC", text).strip())
    found: dict[str, str] = {}
    if not text:
        return found
    marked = _TAIL.fullmatch(text)
    if marked:
        found["tail"] = marked.group(1)
        return found
    compact = _PHONE_SEPARATORS.sub("", text)
    if compact.isdigit() and (text.isdigit() or len(compact) >= 10):
        if len(compact) == 4:
            found["tail"] = compact
            found["flat"] = unit_key(compact) or compact  # a flat numbered 1201 too
        elif len(compact) >= 7:
            from sixplustwo.domain.errors import InvalidInput
            from sixplustwo.domain.phones import normalise_phone

            try:
                found["phone"] = normalise_phone(text)
            except InvalidInput:
                found["phone"] = compact
        else:
            found["flat"] = unit_key(compact) or compact
        return found
    if any(c.isdigit() for c in text):
        key = unit_key(text)
        if key:
            found["flat"] = key
        return found
    latin = text.lower().replace("'", "").replace(" ", "")
    if _LATIN.fullmatch(latin):
        found["pinyin"] = latin
        return found
    found["name"] = text
    return found


def prefix_end(prefix: str) -> str:
    """The least string after every string that starts with ``prefix`` (for an index range
    ``col >= prefix AND col < end``)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)
