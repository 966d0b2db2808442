"""Rendering listings as a rich table, JSON (a list of objects, ISO dates) or CSV."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from datetime import date, datetime

import typer

from sixplustwo.cli.options import Format

_KEEP_WHOLE = frozenset(
    {"phone", "unit", "butler", "status_label", "days_overdue", "signed", "delivered"}
)


def _plain(value: object) -> object:
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def emit_json(data: object) -> None:
    """Lists print one object per line, encoded by orjson: the due list of a large company is
    ~100k objects, which the standard library encodes ~10x slower."""
    if isinstance(data, list):
        import orjson

        sys.stdout.flush()
        out = sys.stdout.buffer
        if not data:
            out.write(b"[]\n")
        else:
            # Written one by one: each orjson result holds a buffer of several kB, so joining
            # 100k of them first would take ~1 GB.
            separator = b"[\n"
            for item in data:
                out.write(separator)
                out.write(orjson.dumps(item, default=_plain))
                separator = b",\n"
            out.write(b"\n]\n")
        out.flush()
        return
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=_plain))


def render(
    rows: Sequence[dict],
    columns: Sequence[tuple[str, str]],
    fmt: Format,
    *,
    title: str | None = None,
    empty: str | None = None,
    caption: str | None = None,
) -> None:
    """``columns`` maps row keys to table headers; JSON and CSV carry every key of the rows."""
    if fmt is Format.json:
        emit_json(list(rows))
        return
    if fmt is Format.csv:
        if not rows:
            return
        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {key: "" if value is None else _plain(value) for key, value in row.items()}
            )
        return
    console = console_out()
    if not rows:
        from sixplustwo.cli.messages import _

        console.print(_("nothing to show") if empty is None else empty)
        return
    from rich.table import Table

    table = Table(title=title, caption=caption, header_style="bold", show_lines=False)
    for key, header in columns:
        # Phones, dates and ids are read whole or not at all; free text may wrap instead.
        whole = key in _KEEP_WHOLE or key.endswith("_on") or key.endswith("_id")
        table.add_column(header, overflow="fold", no_wrap=whole)
    for row in rows:
        table.add_row(*(_cell(key, row.get(key)) for key, _ in columns))
    console.print(table)


def _cell(key: str, value: object) -> str:
    """Data is escaped so that a name like "[red]" prints as typed; ``*_label`` cells are
    ours and may carry rich markup."""
    if value is None:
        return ""
    text = str(_plain(value))
    if key.endswith("_label"):
        return text
    from rich.markup import escape

    return escape(text)


def console_out():
    from rich.console import Console

    # emoji=False: action ids such as o9:birthday:2026 must not turn into pictures.
    return Console(file=sys.stdout, highlight=False, emoji=False)


def echo_recorded(fmt: Format, event_id: int | None, completed: Sequence[str]) -> None:
    """What event add / project event print: the new event and the actions it completed."""
    if fmt is Format.json:
        emit_json({"id": event_id, "completed": list(completed)})
        return
    from sixplustwo.cli.messages import _

    if completed:
        typer.echo(
            _("event {id} recorded; done: {actions}").format(
                id=event_id, actions=", ".join(completed)
            )
        )
    else:
        typer.echo(_("event {id} recorded").format(id=event_id))
