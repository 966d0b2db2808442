"""Every problem of a bad row of an ``owner import --update`` file, not only its first: each
cell checked by itself (only bad rows come here, so the cost is theirs)."""

from __future__ import annotations

from typing import Any

from sixplustwo.domain.errors import InvalidInput
from sixplustwo.domain.fields import OWNER_ID
from sixplustwo.domain.owners import FieldError, owner_cells, parse_owner_id
from sixplustwo.io.sheets import cell as _cell


def update_problems(
    owner_file: Any, row: list[object], present: tuple, clear_empty: bool
) -> list[InvalidInput]:
    """The problems of an update row's cells (of ``owner_file``, an ``OwnerFile``), each
    naming its field, in the file's order: a cell that cannot be read, a missing or bad owner
    id, a value its field refuses."""
    fields = owner_file._fields
    dates = owner_file.date_fields
    problems: list[InvalidInput] = []
    values: dict[str, object] = {}
    for field, cell in zip(fields, row, strict=False):
        if field is not None:
            try:
                values[field] = _cell(field, cell, field in dates)
            except InvalidInput as exc:
                problems.append(exc)
    if OWNER_ID in fields:
        cell = values.get(OWNER_ID)
        try:
            if cell is None or not str(cell).strip():
                raise FieldError(OWNER_ID, "is required")
            parse_owner_id(cell, OWNER_ID)
        except InvalidInput as exc:
            problems.append(exc)
    named = {getattr(problem, "field", None) for problem in problems}
    for spec in present:
        if spec.input not in named:
            try:
                owner_cells(values, (spec,), clear_empty)
            except InvalidInput as exc:
                problems.append(exc)
    return problems
