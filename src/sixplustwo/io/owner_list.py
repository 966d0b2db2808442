"""A file naming customers (``owner assign --file``): a CSV or plain text with an owner id on
each line, or a project and a flat (``HY1,3-1-1201`` or ``HY1 3幢1单元1201``); a header line
naming the columns (owner_id/编号, project/项目, unit/房号) is optional."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from sixplustwo.domain.errors import InvalidInput
from sixplustwo.domain.fields import OWNER_FIELDS, owner_id_headers
from sixplustwo.domain.search import owner_id_text

_HEADERS = {header: "id" for header in owner_id_headers()}
for _field in OWNER_FIELDS:
    if _field.input in ("project", "unit"):
        for _header in (*_field.headers, _field.input):
            _HEADERS[_header] = _field.input


def read_owner_list(path: Path) -> tuple[list[int], list[tuple[str, str]]]:
    """The owner ids and the (project, unit) flats the file names, in its order."""
    from sixplustwo.io.encodings import refuse_nul, text_encoding

    if not path.is_file():
        raise InvalidInput("{path}: no such file", path=path)
    encoding = text_encoding(path)  # one encoding for the whole file, or a refusal
    data = path.read_bytes()
    if b"\0" in data:  # no text has it, and PostgreSQL refuses it in a query
        refuse_nul(path, data.index(b"\0"))
    text = data.decode(encoding)
    sample = text[:4096]
    delimiter = "\t" if "\t" in sample else ","
    ids: list[int] = []
    flats: list[tuple[str, str]] = []
    columns: list[str] | None = None
    for number, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
        cells = [cell.strip() for cell in row]
        if len(cells) == 1:
            cells = re.split(r"\s+", cells[0], maxsplit=1)
        cells = [cell for cell in cells if cell]
        if not cells:
            continue
        if columns is None and number == 1 and all(cell in _HEADERS for cell in cells):
            columns = [_HEADERS[cell] for cell in cells]
            continue
        values = dict(zip(columns, cells, strict=False)) if columns else {}
        if not columns:
            if len(cells) == 1:
                values = {"id": cells[0]}
            else:
                values = {"project": cells[0], "unit": cells[1]}
        if values.get("id"):
            owner_id = owner_id_text(values["id"])
            if owner_id is None:
                raise InvalidInput(
                    "{file}, line {line}: {text!r} is not an owner id",
                    file=path,
                    line=number,
                    text=values["id"],
                )
            ids.append(owner_id)
        elif values.get("project") and values.get("unit"):
            flats.append((values["project"], values["unit"]))
        else:
            raise InvalidInput(
                "{file}, line {line}: name an owner id, or a project and a flat",
                file=path,
                line=number,
            )
    return ids, flats
