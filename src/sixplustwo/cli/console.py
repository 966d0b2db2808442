"""The console that screens are printed on: rich, loaded only when a screen is shown (the
morning list as JSON never pays for it), and safe whatever the text it is given.

``cli/layout.py`` prints its lines on it and ``cli/render.py`` its tables (through the
layout), so it lives apart from both."""

from __future__ import annotations

import functools
import sys


def console_out():
    # emoji=False: action ids such as o9:birthday:2026 must not turn into pictures.
    console = _safe_console()(file=sys.stdout, highlight=False, emoji=False)
    # Piped output with no width asked for (COLUMNS) is never wrapped or cut: a header line
    # in cron mail or a file reads as one line, whatever its length.
    console.soft_wrap = not console.is_terminal and not _columns_asked()
    return console


def _columns_asked() -> bool:
    """Whether ``COLUMNS`` names a width (cli/layout.py fits piped output to it then)."""
    import os

    columns = os.environ.get("COLUMNS", "")
    return columns.isdigit() and int(columns) > 0


@functools.cache
def _safe_console():
    """A rich Console that, as the last step before the terminal, shows any control or
    bidirectional character left in the text it prints as an escape (newlines and tabs but
    those of the layout stay): a line built by hand from data cannot drive the terminal even
    if it forgot ``shown`` (cli/render.py). Rich's own control codes (styles, cursor moves)
    are untouched."""
    from rich.console import Console
    from rich.segment import Segment

    from sixplustwo.domain.text import visible_lines

    class SafeConsole(Console):
        def _render_buffer(self, buffer):  # the segments, just before they become bytes
            return super()._render_buffer(
                segment
                if segment.control or segment.text.isprintable()
                else Segment(visible_lines(segment.text), segment.style, segment.control)
                for segment in buffer
            )

    return SafeConsole
