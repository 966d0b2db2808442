"""Reminder files for cron: CSV for the SMS platform, JSON, and iCalendar for the team.

Files appear whole or not at all (a temporary file beside the target, fsync, rename) and are
readable by their owner only unless ``--mode`` says otherwise (``file_mode``: a calendar a web
server's group serves is 0640): the SMS file carries full phone numbers.
"""

from __future__ import annotations

import csv
import errno
import io
import os
import re
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from sixplustwo.domain.errors import Conflict, NotFound
from sixplustwo.domain.text import FORMULA_START, safe_cell
from sixplustwo.faults import fault_point

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


def ics_uid(action_id: str) -> str:
    """An action's UID in every calendar file: the same action, the same UID, run after run
    (and day after day), so that a calendar app updates the event instead of adding one."""
    return f"{action_id}@sixplustwo"


def ics_bytes(
    rows: Sequence[dict],
    generated: datetime | None = None,
    *,
    day: date | None = None,
    name: str | None = None,
) -> bytes:
    """One all-day VEVENT per action (calendar apps show VEVENTs everywhere, VTODOs only in
    some): on its due date or, if that has passed, on the export's ``day``, where a butler
    looks, with its real due date in the summary and the text. UIDs come from action ids
    (``ics_uid``), so a re-import updates, never duplicates. ``name``: the calendar's (a
    butler's calendar is named after them)."""
    from icalendar import Calendar, Event

    stamp = generated or datetime.now(UTC)
    calendar = Calendar()
    calendar.add("prodid", "-//sixplustwo//6+2 customer service//ZH")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"客户管家待办 · {name}" if name else "客户管家待办")
    for row in rows:
        event = Event()
        due_on = row["due_on"]
        late = day is not None and due_on < day
        shown_on = day if late else due_on
        event.add("uid", ics_uid(row["action_id"]))
        event.add("dtstamp", stamp)
        event.add("dtstart", shown_on)
        event.add("dtend", shown_on + timedelta(days=1))
        who = " ".join(
            part for part in (row.get("owner"), row.get("project_name"), row.get("unit")) if part
        )
        summary = f"{row['title']} · {who}" if who else row["title"]
        overdue = ""
        if late:
            days = (day - due_on).days  # type: ignore[operator]
            overdue = f"逾期 {days} 天：原定 {due_on.isoformat()} 截止"
            summary = f"【逾期{days}天·原定{due_on.month}月{due_on.day}日】{summary}"
        event.add("summary", summary)
        # The team's calendar is Chinese (issue 28): no English word, full-width colons; the
        # action id stays (`done` takes it), the rule's name is in it.
        details = [
            overdue,
            f"6+2 第 {row['step']} 步 · 待办编号 {row['action_id']}",
            f"管家：{row['butler']}" if row.get("butler") else "",
            f"电话：{row['phone_masked']}" if row.get("phone_masked") else "",
            row.get("message") or "",
        ]
        event.add("description", "\n".join(line for line in details if line))
        event.add("categories", [f"6+2 第 {row['step']} 步"])
        calendar.add_component(event)
    return calendar.to_ical()


def is_stream(target: Path) -> bool:
    """Is ``target`` stdout (``-``) or something other than a regular file: a device or a
    pipe (/dev/null, a FIFO another program reads), written into, never replaced?"""
    import stat

    if str(target) == "-":
        return True
    try:
        return not stat.S_ISREG(os.stat(target).st_mode)
    except (FileNotFoundError, NotADirectoryError):
        return False


def write_stream(target: Path, data: bytes) -> None:
    """Write into stdout, a device or a pipe (renaming a file over /dev/null would turn it
    into a file)."""
    if str(target) == "-":
        sys.stdout.flush()
        write_all(sys.stdout.buffer, data)
        sys.stdout.buffer.flush()
        return
    import fcntl

    # Opened without waiting: a FIFO that nothing reads would otherwise keep the export (and
    # its lock) waiting for ever.
    try:
        handle = os.open(target, os.O_WRONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            raise Conflict(
                "nothing reads from {path} (a FIFO): refused, wrote nothing", path=str(target)
            ) from None
        raise
    fcntl.fcntl(handle, fcntl.F_SETFL, fcntl.fcntl(handle, fcntl.F_GETFL) & ~os.O_NONBLOCK)
    with os.fdopen(handle, "wb") as stream:
        stream.write(data)


def write_all(out: BinaryIO, data: bytes) -> None:
    """``data`` written whole: an unbuffered stream (PYTHONUNBUFFERED=1) may take part of it
    in one call, and say so only by the count it returns."""
    view = memoryview(data)
    while view:
        written = out.write(view)
        if written is None:  # a non-blocking stream that is full
            raise BlockingIOError(errno.EAGAIN, "the output is full")
        view = view[written:]


# Private from the first byte: created here, never opened through a symlink or over a file
# that is already there, 0600 whatever the umask.
_PRIVATE_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
_PRIVATE_NEW |= getattr(os, "O_CLOEXEC", 0)


def temporary_beside(target: Path) -> Path:
    """A new hidden name in ``target``'s folder (a rename within one file system is
    atomic); the folder must exist."""
    import secrets

    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise NotFound("folder does not exist: {folder}", folder=str(folder))
    return folder.absolute() / f".{target.name}.{secrets.token_hex(6)}.tmp"


PRIVATE = 0o600


def file_mode(text: str) -> int:
    """``--mode``: an octal file mode (0640, 640 or 0o640) the owner can read and write and
    no other user can write (a reminder file anyone could change is refused)."""
    from sixplustwo.domain.errors import InvalidInput

    digits = text.strip().lower().removeprefix("0o")
    if not digits or len(digits) > 4 or any(c not in "01234567" for c in digits):
        raise InvalidInput("--mode {mode}: an octal file mode such as 0640 or 0600", mode=text)
    mode = int(digits, 8)
    if mode > 0o777:
        raise InvalidInput("--mode {mode}: only read and write bits, such as 0640", mode=text)
    if mode & 0o002:
        raise InvalidInput(
            "--mode {mode}: refused, every user could change the file (use 0640 and a group)",
            mode=text,
        )
    if mode & PRIVATE != PRIVATE:
        raise InvalidInput("--mode {mode}: the owner must read and write the file", mode=text)
    return mode


def write_private(path: Path, data: bytes, mode: int = PRIVATE) -> None:
    """Create ``path`` (it must not exist, nor be a symlink), mode 0600 (or ``mode``,
    whatever the umask), and write ``data`` to disk (fsync). Removed again if this fails."""
    handle = os.open(path, _PRIVATE_NEW, PRIVATE)
    try:
        os.fchmod(handle, mode)
        with os.fdopen(handle, "wb") as stream:
            view, half = memoryview(data), len(data) // 2
            stream.write(view[:half])
            stream.flush()
            fault_point("export:temporary-half-written")
            stream.write(view[half:])
            stream.flush()
            os.fsync(stream.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def put_in_place(temporary: Path, target: Path) -> None:
    """Rename ``temporary`` over ``target`` (a symlink there is replaced, not followed) and
    make the rename itself survive a crash."""
    os.replace(temporary, target)
    fault_point("export:renamed-not-synced")
    directory = os.open(temporary.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


_TEMPORARY = re.compile(r"\.(?P<name>.+)\.[0-9a-f]{12}\.tmp")


def remove_stale_temporaries(target: Path, age: float) -> int:
    """Remove the temporary files of exports to ``target`` (``temporary_beside``'s names)
    left in its folder more than ``age`` seconds ago: this user's regular files, never
    followed through a symlink. Those a killed export left are settled with its batch; this
    catches any the database no longer names. How many were removed."""
    import stat
    import time

    folder = target.parent if str(target.parent) else Path(".")
    removed = 0
    try:
        names = os.listdir(folder)
    except OSError:
        return 0
    oldest = time.time() - age
    for name in names:
        found = _TEMPORARY.fullmatch(name)
        if found is None or found.group("name") != target.name:
            continue
        path = folder / name
        try:
            info = os.lstat(path)
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode) and info.st_uid == os.geteuid() and info.st_mtime < oldest:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def remove_temporary(path: str | Path) -> None:
    """Remove a temporary file (a symlink in its place is removed, never followed)."""
    Path(path).unlink(missing_ok=True)


def write_atomically(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` so that it appears whole or not at all, mode 0600."""
    if is_stream(target):
        write_stream(target, data)
        return
    temporary = temporary_beside(target)
    write_private(temporary, data)
    try:
        put_in_place(temporary, target)
    except BaseException:
        remove_temporary(temporary)
        raise
