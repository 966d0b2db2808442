"""What may be sent, and when: quiet hours, the owners' daily SMS allowance, a long message
split where a channel's size limit asks (issue 30; cli/notify.py sends).

Pure: every function takes the moment or the rows it decides on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime, time

from sixplustwo.domain.errors import InvalidInput

_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse_quiet_hours(text: str) -> tuple[time, time]:
    """``"21:00-08:00"`` → (21:00, 08:00): from the first time up to (not including) the
    second, over midnight when the second is earlier. ``""`` or equal times: none."""
    found = _HOURS.match(text)
    if not found:
        raise InvalidInput("quiet_hours must look like 21:00-08:00, not {text!r}", text=text)
    h1, m1, h2, m2 = (int(x) for x in found.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise InvalidInput("quiet_hours must look like 21:00-08:00, not {text!r}", text=text)
    return time(h1, m1), time(h2, m2)


def in_quiet_hours(quiet_hours: str | None, moment: datetime) -> bool:
    """Whether ``moment`` (the team's local time) falls in the quiet hours: no SMS then."""
    if not quiet_hours:
        return False
    start, end = parse_quiet_hours(quiet_hours)
    now = moment.time().replace(tzinfo=None)
    if start == end:
        return False
    if start < end:
        return start <= now < end
    return now >= start or now < end


def within_allowance(
    owners: Sequence[int | None], per_owner: int, already: dict[int, int]
) -> list[bool]:
    """For messages in the order they are listed (the most urgent first), to which owner
    each goes: whether it may be sent today, at most ``per_owner`` a day an owner,
    ``already`` counting those sent (or on their way) earlier today."""
    used = dict(already)
    allowed = []
    for owner in owners:
        if owner is None:
            allowed.append(False)
            continue
        count = used.get(owner, 0)
        allowed.append(count < per_owner)
        if count < per_owner:
            used[owner] = count + 1
    return allowed


def utf8_size(text: str) -> int:
    return len(text.encode("utf-8"))


def split_by_bytes(head: str, lines: Iterable[str], limit: int, *, joiner: str = "\n") -> list[str]:
    """``head`` then ``lines`` as few messages of at most ``limit`` bytes (UTF-8, as the
    services measure them) as can be: a message breaks between lines, each part after the
    first starting with ``head`` too; a line longer than a whole message is cut (on a
    character, never inside one)."""
    step = utf8_size(joiner)
    room = limit - utf8_size(head) - step
    if room <= 0:
        raise ValueError("a message's head is longer than its limit")
    parts: list[list[str]] = [[]]
    size = 0
    for line in lines:
        line = _cut(line, room)
        need = utf8_size(line) + (step if parts[-1] else 0)
        if parts[-1] and size + need > room:
            parts.append([])
            size = 0
            need = utf8_size(line)
        parts[-1].append(line)
        size += need
    return [joiner.join([head, *part]) if part else head for part in parts]


def _cut(line: str, room: int) -> str:
    if utf8_size(line) <= room:
        return line
    data = line.encode("utf-8")[: max(room - 3, 0)]
    return data.decode("utf-8", errors="ignore") + "…"
