"""Reminder files for cron: CSV for the SMS platform, JSON, and iCalendar for the team.

Files appear whole or not at all (a temporary file beside the target, fsync, rename) and are
readable by their owner only: they carry full phone numbers.
"""

from __future__ import annotations

import csv
import io
import os
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sixplustwo.domain.errors import NotFound
from sixplustwo.domain.text import FORMULA_START, safe_cell

CSV_FIELDS = (
    "action_id",
    "rule",
    "step",
    "title",
    "status",
    "owner_id",
    "owner",
    "phone",
    "project",
    "unit",
    "butler",
    "due_on",
    "message",
)

# Cells a spreadsheet would run as a formula (CSV injection) get a leading apostrophe: the
# same rule as every --format csv (domain/text.py: safe_cell).
_FORMULA_START = FORMULA_START


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, str):
        return safe_cell(value)
    return value.isoformat() if isinstance(value, date) else value


def csv_bytes(rows: Sequence[dict]) -> bytes:
    """UTF-8 with BOM, so that Excel shows the Chinese text as text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_FIELDS)
    starts = _FORMULA_START
    # Inline for the common cells (text that starts harmlessly, numbers): a cron export of a
    # large company writes ~100k rows of 13 cells.
    writer.writerows(
        [
            value
            if (type(value) is str and not value.startswith(starts)) or type(value) is int
            else _cell(value)
            for value in map(row.get, CSV_FIELDS)
        ]
        for row in rows
    )
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def json_bytes(rows: Sequence[dict]) -> bytes:
    import orjson

    return orjson.dumps(list(rows), option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)


def ics_bytes(rows: Sequence[dict], generated: datetime | None = None) -> bytes:
    """One all-day VEVENT per action on its due date (calendar apps show VEVENTs everywhere,
    VTODOs only in some). UIDs come from action ids, so a re-import updates, never duplicates."""
    from icalendar import Calendar, Event

    stamp = generated or datetime.now(UTC)
    calendar = Calendar()
    calendar.add("prodid", "-//sixplustwo//6+2 customer service//ZH")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "客户管家待办")
    for row in rows:
        event = Event()
        event.add("uid", f"{row['action_id']}@sixplustwo")
        event.add("dtstamp", stamp)
        event.add("dtstart", row["due_on"])
        event.add("dtend", row["due_on"] + timedelta(days=1))
        who = " ".join(
            part for part in (row.get("owner"), row.get("project_name"), row.get("unit")) if part
        )
        event.add("summary", f"{row['title']} · {who}" if who else row["title"])
        details = [
            f"步骤 {row['step']} · {row['rule']} · {row['action_id']}",
            f"管家: {row['butler']}" if row.get("butler") else "",
            f"电话: {row['phone_masked']}" if row.get("phone_masked") else "",
            row.get("message") or "",
        ]
        event.add("description", "\n".join(line for line in details if line))
        event.add("categories", [f"6+2 step {row['step']}"])
        calendar.add_component(event)
    return calendar.to_ical()


def _special(target: Path) -> bool:
    """Is ``target`` something other than a regular file (or nothing yet)?"""
    import stat

    try:
        return not stat.S_ISREG(os.stat(target).st_mode)
    except (FileNotFoundError, NotADirectoryError):
        return False


def write_atomically(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` so that it appears whole or not at all, mode 0600."""
    if str(target) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    if _special(target):
        # A device or a pipe (/dev/null, a FIFO another program reads): written into, never
        # replaced — renaming a file over /dev/null would turn it into a file.
        with open(target, "wb") as stream:
            stream.write(data)
        return
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise NotFound("folder does not exist: {folder}", folder=str(folder))
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        os.fchmod(handle, 0o600)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a crash
    finally:
        os.close(directory)
