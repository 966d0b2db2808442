"""The backend parts of the database gateway (``store/database.py``): one module per kind of
database, each answering the same questions (connect, begin, convert a query, make ids, load
in bulk, lock, back up, check, erase, describe an error). Queries are written once, with
``:name`` parameters; a backend whose driver takes another style converts them."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from types import ModuleType
from typing import Any

from sixplustwo.domain.errors import StoreError

# A ``:name`` parameter: not the second colon of a ``::`` cast, not inside a quoted string.
_NAMED = re.compile(r"'(?:[^']|'')*'|::|(?<![:\w]):([A-Za-z_]\w*)")


def pyformat(sql: str) -> str:
    """``:name`` → ``%(name)s`` (psycopg's style), leaving quoted strings and ``::`` casts
    alone and doubling a literal ``%``."""

    def replace(match: re.Match[str]) -> str:
        if match.group(1) is None:
            return match.group(0).replace("%", "%%")
        return f"%({match.group(1)})s"

    parts = []
    last = 0
    for match in _NAMED.finditer(sql):
        parts.append(sql[last : match.start()].replace("%", "%%"))
        parts.append(replace(match))
        last = match.end()
    parts.append(sql[last:].replace("%", "%%"))
    return "".join(parts)


def insert_sql(table: str, values: Mapping[str, object]) -> str:
    """``INSERT INTO table (…) VALUES (:…)`` for these values."""
    placeholders = ", ".join(f":{name}" for name in values)
    return f"INSERT INTO {table} ({', '.join(values)}) VALUES ({placeholders})"


def unrecognised(tables: Collection[str], path: object) -> StoreError | None:
    """Why a database with these tables is not one to read (``check``), as opening it says
    (``store/migrations.py`` migrate): none yet (an empty file, a server database made empty by
    its administrator) is no database at all; another application's is not ours."""
    if "schema_migration" in tables:
        return None
    if not tables:
        return StoreError("no database at {path}", path=path)
    return StoreError("{path} is not a sixplustwo database (it holds other tables)", path=path)


@contextmanager
def transaction(backend: ModuleType, connection: Any, *, write: bool) -> Iterator[None]:
    """A read or write transaction on the connection: committed when the block succeeds,
    else rolled back."""
    backend.begin(connection, write=write)
    try:
        yield
    except BaseException:
        backend.rollback(connection)
        raise
    backend.commit(connection)
