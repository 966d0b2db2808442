"""Rendering listings as lines that fit the terminal, JSON (a list of objects, ISO dates) or CSV.

Where text meets the reader: cells and every console line show control and bidirectional
characters as escapes (``domain/text.py: visible``), data is never read as rich markup, and CSV
cells a spreadsheet would run as formulas are neutralised (``safe_cell``)."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, TextIO

import typer

from sixplustwo.cli.options import Format
from sixplustwo.domain.text import FORMULA_START, safe_cell, visible

if TYPE_CHECKING:
    from sixplustwo.cli.layout import Column


def _plain(value: object) -> object:
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


_CHUNK = 1 << 18


def emit_json(data: object) -> None:
    if isinstance(data, list):
        emit_json_lines(data)
        return
    text = json.dumps(data, ensure_ascii=False, indent=2, default=_plain)
    typer.echo(json_visible(text) if to_terminal() else text)


def emit_json_lines(items: Iterable[object]) -> None:
    """A JSON list printed one object per line, encoded by orjson: the due list of a large
    company is ~100k objects, which the standard library encodes ~10x slower. ``items`` may
    be a generator: an object made just before it is encoded is still in the CPU's cache."""
    import orjson

    from sixplustwo.io.exporting import write_all

    sys.stdout.flush()
    out = sys.stdout.buffer
    # Written in chunks of ~256 kB: each orjson result holds a buffer of several kB, so
    # joining 100k of them first would take ~1 GB; and stdout may be unbuffered
    # (PYTHONUNBUFFERED=1, as many containers set it), where writing them one by one costs
    # two system calls an object.
    terminal = to_terminal()
    chunk = bytearray()
    separator = b"[\n"
    for item in items:
        encoded = orjson.dumps(item, default=_plain)
        chunk += separator
        chunk += json_visible(encoded.decode()).encode() if terminal else encoded
        separator = b",\n"
        if len(chunk) >= _CHUNK:
            write_all(out, bytes(chunk))
            chunk.clear()
    chunk += b"[]\n" if separator == b"[\n" else b"\n]\n"
    write_all(out, bytes(chunk))
    out.flush()


def to_terminal(stream: TextIO | None = None) -> bool:
    """Whether stdout (or ``stream``) is a terminal: JSON and CSV shown there escape what
    could drive it (``json_visible``, ``visible_lines``); in a file or a pipe they carry text
    as stored."""
    try:
        return (sys.stdout if stream is None else stream).isatty()
    except (AttributeError, ValueError):
        return False


def json_visible(text: str) -> str:
    """JSON text with the characters ``visible`` escapes written as JSON escapes (``\u202e``):
    still valid JSON, and the same data once parsed. (Control characters in strings are
    JSON-escaped already; a raw newline or tab is the layout between values, kept.)"""
    from sixplustwo.domain.text import UNSAFE_IN_NOTE

    return UNSAFE_IN_NOTE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def render(
    rows: Sequence[dict],
    columns: Sequence[Column | tuple[str, str]],
    fmt: Format,
    *,
    title: str | None = None,
    empty: str | None = None,
    caption: str | None = None,
) -> None:
    """JSON and CSV carry every key of the rows; the table shows ``columns`` as lines that fit
    the terminal (cli/layout.py). A ``(key, header)`` pair is a column whose priority is its
    place, the first two kept whole: give ``Column`` to say what gives way."""
    if fmt is Format.json:
        emit_json_lines(rows)
        return
    if fmt is Format.csv:
        if not rows:
            return
        fields = list(rows[0])
        out = sys.stdout
        line = _Line()
        writer = csv.DictWriter(line, fieldnames=fields, lineterminator="\n")
        # The csv module quotes a cell with a newline, but not one with a bare CR when lines
        # end in \n: a spreadsheet would start a row there. Such rows are quoted whole.
        quoted = csv.DictWriter(out, fieldnames=fields, lineterminator="\n", quoting=csv.QUOTE_ALL)
        if to_terminal():  # shown, not saved: nothing in it may drive the terminal
            from sixplustwo.domain.text import visible_lines

            out = _Shown(out, visible_lines)
            quoted = csv.DictWriter(
                out, fieldnames=fields, lineterminator="\n", quoting=csv.QUOTE_ALL
            )
        writer.writeheader()
        out.write(line.text)
        for row in rows:
            cells = {key: csv_cell(value) for key, value in row.items()}
            writer.writerow(cells)
            if "\r" in line.text:
                quoted.writerow(cells)
            else:
                out.write(line.text)
        return
    from sixplustwo.cli.layout import Column, print_rows
    from sixplustwo.cli.messages import _

    shown = [
        column
        if isinstance(column, Column)
        else Column(column[0], column[1], len(columns) - number, keep=number < 2)
        for number, column in enumerate(columns)
    ]
    print_rows(
        rows,
        shown,
        empty=_("nothing to show") if empty is None else empty,
        title=title,
        footer=caption,
    )


def csv_cell(value: object) -> object:
    """A value as a CSV cell: dates ISO, None empty, text safe in a spreadsheet."""
    kind = type(value)
    if kind is str:
        return safe_cell(value) if value.startswith(FORMULA_START) else value  # type: ignore[attr-defined]
    if value is None:
        return ""
    return value if kind is int else _plain(value)


class _Shown:
    """A file that writes its text through ``show`` to ``out``."""

    def __init__(self, out, show) -> None:
        self.out, self.show = out, show

    def write(self, text: str) -> None:
        self.out.write(self.show(text))


class _Line:
    """A file that keeps the last line the csv writer wrote, to be checked first."""

    text = ""

    def write(self, text: str) -> None:
        self.text = text


def shown(value: object) -> str:
    """User text inside a line of rich markup: control characters escaped, brackets too."""
    from rich.markup import escape

    return escape(visible("" if value is None else str(value)))


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
