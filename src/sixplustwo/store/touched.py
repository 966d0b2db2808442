"""``undo``'s second question: did a later export send an action of the rows this command
changed? (The first, whether a later command changed them, is a join of the journal's
changes: ``store/journal.py``.)

An export cannot be undone (its file has left the building), and it changes no row a command
wrote, so the journal keeps no changes for it; what it did is in the export record: one row per
destination and action, kept when the action is first written there (what ``--new-only``
reads), each naming the journal entry of the export that wrote it (0 for the records made
before migration 0023, whose time then says). An action a whole rewrite writes again (the
calendar's, every run) adds no record: that rewrite shows the next state of things anyway.
An action belongs to an owner
(``o12:…``), a project (``p3:…``) or a case (``c7:…``); a milestone's bulletins name the
milestone at their end (``…:m3``). An export touched a command's rows where it sent an action
whose dates or state those rows decide:

- an owner's row, or a row of theirs (an event, a case, a checklist, a tag): every action of
  that owner (a ``done`` can move the owner's next actions, not only the one it completes);
- a project's row: the project's actions and every action of its owners;
- a case's row: the case's actions; a milestone's: its bulletins;
- a setting (the playbook, the go-live day): every action.

An export of other owners' actions is no touch: a butler's ``undo`` at 10:00 is not stopped by
the 07:00 cron export, nor by a 15:00 one that sent only other owners' reminders.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sixplustwo.store.database import Database

_ACTION = re.compile(r"^(?:o(?P<owner>\d+)|p(?P<project>\d+)|c(?P<case>\d+)):")
_MILESTONE = re.compile(r":m(\d+)$")


@dataclass
class Touched:
    """The rows a journal entry changed, as the actions that depend on them."""

    owners: set[int] = field(default_factory=set)
    owner_ranges: list[tuple[int, int]] = field(default_factory=list)
    projects: set[int] = field(default_factory=set)
    cases: set[int] = field(default_factory=set)
    milestones: set[int] = field(default_factory=set)
    everything: bool = False

    def __bool__(self) -> bool:
        return bool(
            self.everything
            or self.owners
            or self.owner_ranges
            or self.projects
            or self.cases
            or self.milestones
        )

    def has(self, action_id: str) -> bool:
        if self.everything:
            return True
        found = _ACTION.match(action_id)
        if found is None:
            return False
        if found["owner"] is not None:
            owner = int(found["owner"])
            if owner in self.owners or any(a <= owner <= b for a, b in self.owner_ranges):
                return True
            bulletin = _MILESTONE.search(action_id) if self.milestones else None
            return bulletin is not None and int(bulletin[1]) in self.milestones
        if found["project"] is not None:
            return int(found["project"]) in self.projects
        return int(found["case"]) in self.cases


def touched(db: Database, entry_id: int) -> Touched:
    """What the entry's changes decide (see the module's docstring)."""
    result = Touched()
    rows = db.query(
        "SELECT tbl, op, pk, pk_last, owner_id, before FROM journal_change WHERE journal_id = :j",
        {"j": entry_id},
    )
    events: list[int] = []
    for table, op, pk, pk_last, owner_id, before in rows:
        if owner_id is not None:
            result.owners.add(int(owner_id))
        if table == "setting":
            result.everything = True
        if pk is None:
            continue
        first, last = int(pk), int(pk_last if pk_last is not None else pk)
        if table == "owner":
            if first == last:
                result.owners.add(first)
            else:
                result.owner_ranges.append((first, last))
        elif table == "project":
            result.projects.update(range(first, last + 1))
        elif table == "service_case":
            result.cases.update(range(first, last + 1))
        elif table == "milestone":
            result.milestones.update(range(first, last + 1))
        elif table == "event" and owner_id is None:
            if before:  # updated or deleted: its values as they were
                values = json.loads(before)
                _project_or_case(result, values.get("project_id"), values.get("case_id"))
            if op != "delete":
                events.extend(range(first, last + 1))
    for start in range(0, len(events), 500):
        chunk = events[start : start + 500]
        marks = ", ".join(f":e{i}" for i in range(len(chunk)))
        found = db.query(
            f"SELECT project_id, case_id FROM event WHERE id IN ({marks})",
            {f"e{i}": event for i, event in enumerate(chunk)},
        )
        for project, case in found:
            _project_or_case(result, project, case)
    if result.projects and not result.everything:
        marks = ", ".join(f":p{i}" for i in range(len(result.projects)))
        found = db.query(
            f"SELECT id FROM owner WHERE project_id IN ({marks})",
            {f"p{i}": project for i, project in enumerate(sorted(result.projects))},
        )
        result.owners.update(owner for (owner,) in found)
    return result


def _project_or_case(result: Touched, project: object, case: object) -> None:
    if project is not None:
        result.projects.add(int(project))  # type: ignore[call-overload]
    if case is not None:
        result.cases.add(int(case))  # type: ignore[call-overload]


def later_export(db: Database, entry_id: int, at: object) -> tuple[int, int] | None:
    """The first export after the entry ``entry_id`` (made at ``at``) that sent an action of
    the rows it changed: its journal entry's id, or for a record made before 0023 0 and its
    audit line's id; None if there is none."""
    later = "journal_id > :j OR (journal_id = 0 AND exported_at >= :at)"
    params = {"j": entry_id, "at": at}
    if db.scalar(f"SELECT COUNT(*) FROM (SELECT 1 FROM export_log WHERE {later}{db.page(1)}) x",
                 params) == 0:  # fmt: skip
        return None  # nothing exported since: the usual case
    changed = touched(db, entry_id)
    if not changed:
        return None
    first: tuple[int, int] | None = None  # (journal entry, audit line): old records first
    for _, chunk in db.stream(
        f"SELECT journal_id, audit_id, action_id FROM export_log WHERE {later}", params
    ):
        for journal_id, audit_id, action_id in chunk:
            key = (int(journal_id), 0 if journal_id else int(audit_id))
            if (first is None or key < first) and changed.has(action_id):
                first = key
    return first
