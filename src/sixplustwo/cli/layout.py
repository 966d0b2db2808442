"""Listings that fit the terminal they are shown in: one line a row, columns dropped by
priority, the description kept whole (Taskwarrior's ``next`` report is the model).

Each column has a priority; when the rows do not fit the width, the least needed columns go
first. Columns marked ``keep`` are never dropped and never cut: when even they do not fit on
one line, each row becomes a two-line card (the kept columns on the first line, what else
fits on the second). Whichever form is taken, a wider terminal never shows fewer columns than
a narrower one (``plan``). Piped output (no terminal) is not cut at all, unless ``COLUMNS``
asks for a width: cron mail and ``| less`` get every column.

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


@dataclass(frozen=True)
class Plan:
    """How rows are shown at a width: the columns in their order and, for two-line cards,
    which of them make the second line."""

    columns: list[Column]
    cards: bool = False
    second: tuple[Column, ...] = ()

    @property
    def fields(self) -> frozenset[str]:
        """The keys of the columns shown (what a wider terminal must show too)."""
        kept = [c for c in self.columns if c.keep] if self.cards else self.columns
        return frozenset(c.key for c in (*kept, *self.second))


def _by_need(columns: Sequence[Column]) -> list[Column]:
    """Droppable columns, the most needed first (ties: their place in the row)."""
    order = {column.key: number for number, column in enumerate(columns)}
    return sorted(columns, key=lambda c: (-c.priority, order[c.key]))


def plan(rows: Sequence[dict], columns: Sequence[Column], width: int | None) -> Plan:
    """The columns to show at ``width`` (``None``: every one on one line).

    Both forms give way in one order, the least needed first: one line a row keeps the kept
    and essential columns and as many of the others, by need, as fit; a two-line card keeps
    the kept columns on its first line and, on its second, the essential ones and then the
    others by need for as long as they fit (stopping at the first that does not, so that a
    wider card never trades a needed column for a smaller one). Each form thus shows more as
    the width grows, and of the two the one showing more is taken (one line when they show
    the same): a wider terminal never shows less than a narrower one."""
    widths = _widths(rows, columns)
    present = [c for c in columns if any(_text(row.get(c.key)) for row in rows) or c.keep]
    if width is None:
        return Plan(present)
    fixed = [c for c in present if c.keep or c.essential]
    one_line: list[Column] | None = None
    if _total(fixed, widths) <= width:
        chosen = set(map(id, fixed))
        for column in _by_need([c for c in present if not (c.keep or c.essential)]):
            trial = [c for c in present if id(c) in chosen or c is column]
            if _total(trial, widths) > width:
                break
            chosen.add(id(column))
        one_line = [c for c in present if id(c) in chosen]
    second: list[Column] = []
    used = 4  # the second line's indent
    essential = [c for c in present if c.essential and not c.keep]
    optional = _by_need([c for c in present if not (c.keep or c.essential)])
    for column in [*essential, *(c for c in optional if c.priority >= CARD_PRIORITY)]:
        prefix = cell_len(column.header) + 1 if column.named else 0
        need = max(
            (prefix + cell_len(_text(row.get(column.key))) for row in rows if row.get(column.key)),
            default=0,
        )
        if not column.essential and used + (GAP if second else 0) + need > width:
            break
        used += (GAP if second else 0) + need
        second.append(column)
    cards = Plan(present, True, tuple(second))
    if one_line is not None and Plan(one_line).fields >= cards.fields:
        return Plan(one_line)
    return cards


def fit(
    rows: Sequence[dict], columns: Sequence[Column], width: int | None
) -> tuple[list[Column], bool]:
    """The columns to show, in their order, and whether rows must become two-line cards."""
    found = plan(rows, columns, width)
    return found.columns, found.cards


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
    found = plan(rows, columns, width)
    shown = found.columns
    if title:
        console.print(Text(title, style="bold"))
    if found.cards:
        _print_cards(console, rows, shown, found.second, width or 0)
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


def _print_cards(
    console: Console,
    rows: Sequence[dict],
    columns: Sequence[Column],
    second_line: Sequence[Column],
    width: int,
) -> None:
    """Two lines a row: the kept columns whole, then ``second_line``'s (``plan``)."""
    kept = [c for c in columns if c.keep]
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
        for column in second_line:
            value = _text(row.get(column.key))
            if not value:
                continue
            prefix = f"{column.header} " if column.named else ""
            if len(second.plain.strip()):
                second.append(" " * GAP)
            second.append(prefix, style="dim")
            second.append_text(_cell(row, column, cell_len(value)))
        if second.plain.strip():
            console.print(second, overflow="ignore", no_wrap=True, crop=False)
