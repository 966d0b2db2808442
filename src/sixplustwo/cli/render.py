"""Rendering listings as lines that fit the terminal, JSON (a list of objects, ISO dates) or CSV."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

import typer

from sixplustwo.cli.options import Format

if TYPE_CHECKING:
    from sixplustwo.cli.layout import Column


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
    columns: Sequence[Column | tuple[str, str]],
    fmt: Format,
    *,
    title: str | None = None,
    empty: str = "nothing to show",
    caption: str | None = None,
) -> None:
    """JSON and CSV carry every key of the rows; the table shows ``columns`` as lines that fit
    the terminal (cli/layout.py). A ``(key, header)`` pair is a column whose priority is its
    place, the first two kept whole: give ``Column`` to say what gives way."""
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
    from sixplustwo.cli.layout import Column, print_rows

    shown = [
        column
        if isinstance(column, Column)
        else Column(column[0], column[1], len(columns) - number, keep=number < 2)
        for number, column in enumerate(columns)
    ]
    print_rows(rows, shown, empty=empty, title=title, footer=caption)


def console_out():
    from rich.console import Console

    # emoji=False: action ids such as o9:birthday:2026 must not turn into pictures.
    return Console(file=sys.stdout, highlight=False, emoji=False)


def echo_recorded(fmt: Format, event_id: int | None, completed: Sequence[str]) -> None:
    """What event add / project event print: the new event and the actions it completed."""
    if fmt is Format.json:
        emit_json({"id": event_id, "completed": list(completed)})
        return
    done = f"; done: {', '.join(completed)}" if completed else ""
    typer.echo(f"event {event_id} recorded{done}")
