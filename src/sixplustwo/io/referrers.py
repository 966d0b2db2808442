"""The import's referrer column (推荐人, 介绍人, referred_by) names an owner as every command
that takes an owner does (``store/search.py``'s ``resolve_owner``): by id, phone, last four
digits, flat or name. Each distinct text that is not an id is looked up once, before the rows
are read, and put in the rows in place of the text (or the refusal, naming the row)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sixplustwo.domain.errors import SixPlusTwoError
from sixplustwo.domain.owners import FieldError, cell_text
from sixplustwo.domain.search import owner_id_text

FIELD = "referred_by"


def referrer_texts(owner_file: Any, reopen: Callable[[], Any]) -> set[str]:
    """The texts of a file's referrer column that are not owner ids: the file (an
    ``io/importing.py`` OwnerFile) is read once more, by ``reopen``, only where it has the
    column."""
    if FIELD not in owner_file._fields:  # the file's columns by field, as the import reads
        return set()
    again = reopen()
    fields = again._fields
    index = len(fields) - 1 - fields[::-1].index(FIELD)  # the last of a repeated header
    texts: set[str] = set()
    for _, row in again._data_rows():
        text = cell_text(row[index]) if index < len(row) else None
        if text and owner_id_text(text) is None:
            texts.add(text)
    return texts


def with_referrer(
    values: dict[str, object], resolved: Mapping[str, int | SixPlusTwoError]
) -> dict[str, object]:
    """A row's cells with its referrer's text replaced by the owner id it names; a text that
    names none, or several, is the row's problem in that column."""
    if not resolved:
        return values
    text = cell_text(values.get(FIELD))
    found = resolved.get(text) if text else None
    if found is None:
        return values
    if isinstance(found, SixPlusTwoError):
        raise FieldError(FIELD, found)
    return {**values, FIELD: found}
