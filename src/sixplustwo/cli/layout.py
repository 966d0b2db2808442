"""Listings that fit the terminal they are shown in: one line a row, columns dropped by
priority, the description kept whole (Taskwarrior's ``next`` report is the model).

Each column has a priority; when the rows do not fit the width, the least needed columns go
first. Columns marked ``keep`` are never dropped and never cut: when even they do not fit on
one line, each row becomes a two-line card (the kept columns on the first line, what else
fits on the second). Piped output (no terminal) is not cut at all, unless ``COLUMNS`` asks
for a width: cron mail and ``| less`` get every column.

Cells are plain text (rich ``Text``), never markup: a name like ``[red]`` prints as typed;
control and bidirectional characters in them print as escapes (``domain/text.py``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from sixplustwo.cli.console import console_out
from sixplustwo.domain.text import visible

GAP = 2  # spaces between columns
CARD_PRIORITY = 3  # columns below this are left off a card's second line


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    priority: int  # higher stays longer
    keep: bool = False  # never dropped, never cut
    essential: bool = False  # never dropped: rather two-line cards than lose it
    style: Callable[[dict], str | None] | None = None  # a row's style for this cell
    right: bool = False
    named: bool = False  # on a card's second line, shown after its header (dates, mostly)


def width_of(console: Console) -> int | None:
    """The width to fit: the terminal's; for piped output, ``COLUMNS`` if set, else none."""
    if console.is_terminal:
        return console.width
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) > 0 else None


def _text(value: object) -> str:
    """A cell's text as the terminal gets it: one line, nothing that could drive it."""
    return "" if value is None else visible(str(value))


def _widths(rows: Sequence[dict], columns: Sequence[Column]) -> dict[str, int]:
    return {
        column.key: max(
            [cell_len(column.header)] + [cell_len(_text(row.get(column.key))) for row in rows]
        )
        for column in columns
    }


def _total(columns: Sequence[Column], widths: dict[str, int]) -> int:
    return sum(widths[c.key] for c in columns) + GAP * max(0, len(columns) - 1)


def fit(
    rows: Sequence[dict], columns: Sequence[Column], width: int | None
) -> tuple[list[Column], bool]:
    """The columns to show, in their order, and whether rows must become two-line cards."""
    widths = _widths(rows, columns)
    shown = [c for c in columns if any(_text(row.get(c.key)) for row in rows) or c.keep]
    if width is None:
        return shown, False
    available = list(shown)
    droppable = sorted((c for c in shown if not (c.keep or c.essential)), key=lambda c: c.priority)
    while _total(shown, widths) > width and droppable:
        shown.remove(droppable.pop(0))
    if _total(shown, widths) <= width:
        return shown, False
    return available, True


def _cell(row: dict, column: Column, width: int) -> Text:
    value = _text(row.get(column.key))
    pad = " " * (width - cell_len(value))
    text = Text(pad + value if column.right else value + pad)
    style = column.style(row) if column.style else None
    if style:
        text.stylize(style, 0, len(text))
    return text


def print_rows(
    rows: Sequence[dict],
    columns: Sequence[Column],
    *,
    empty: str,
    title: str | None = None,
    footer: str | None = None,
) -> None:
    """Rows as lines that fit the console (see the module's docstring); ``empty`` when there
    are none."""
    console = console_out()
    if not rows:
        console.print(Text(empty))
        return
    width = width_of(console)
    shown, cards = fit(rows, columns, width)
    if title:
        console.print(Text(title, style="bold"))
    if cards:
        _print_cards(console, rows, shown, width or 0)
    else:
        widths = _widths(rows, shown)
        header = Text()
        for number, column in enumerate(shown):
            if number:
                header.append(" " * GAP)
            cell = column.header + " " * (widths[column.key] - cell_len(column.header))
            header.append(cell, style="bold underline")
        header.rstrip()
        console.print(header, overflow="ignore", no_wrap=True, crop=False)
        for row in rows:
            line = Text()
            for number, column in enumerate(shown):
                if number:
                    line.append(" " * GAP)
                line.append_text(_cell(row, column, widths[column.key]))
            line.rstrip()
            console.print(line, overflow="ignore", no_wrap=True, crop=False)
    if footer:
        console.print(Text(footer, style="dim"))


def _print_cards(console: Console, rows: Sequence[dict], columns: Sequence[Column], width: int):
    """Two lines a row: the kept columns whole, then the others by priority, as fit."""
    kept = [c for c in columns if c.keep]
    # The second line: what a butler acts on, by priority; a lone step number says nothing.
    rest = sorted(
        (c for c in columns if not c.keep and c.priority >= CARD_PRIORITY),
        key=lambda c: -c.priority,
    )
    kept_widths = _widths(rows, kept)
    if _total(kept, kept_widths) > width:  # aligned lines would wrap: each its own length
        kept_widths = dict.fromkeys(kept_widths, 0)
    for row in rows:
        first = Text()
        for number, column in enumerate(kept):
            if number:
                first.append(" " * GAP)
            last = number == len(kept) - 1
            first.append_text(_cell(row, column, 0 if last else kept_widths[column.key]))
        first.rstrip()
        console.print(first, overflow="fold")
        second = Text("    ")
        for column in rest:
            value = _text(row.get(column.key))
            if not value:
                continue
            prefix = f"{column.header} " if column.named else ""
            if cell_len(second.plain) + GAP + cell_len(prefix + value) > width:
                continue  # a lower-priority field that does not fit gives way
            if len(second.plain.strip()):
                second.append(" " * GAP)
            second.append(prefix, style="dim")
            second.append_text(_cell(row, column, cell_len(value)))
        if second.plain.strip():
            console.print(second, overflow="ignore", no_wrap=True, crop=False)
