"""Events as rows: written, read, and deleted with what hangs on them.

The journey (``store/journey.py``) decides what an event means (the actions it completes);
projects record their project-wide events and cases take back a revisit when reopened. All
three write and delete events here, so that none of them reaches into another for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sixplustwo.domain.errors import NotFound
from sixplustwo.store.records import Event
from sixplustwo.store.rows import now_text

if TYPE_CHECKING:
    from sixplustwo.store.database import Database


class Events:
    def __init__(self, db: Database) -> None:
        self.db = db

    def matching(self, where: str, params: dict[str, object]) -> list[Event]:
        """The events ``where`` selects, oldest first."""
        rows = self.db.query(
            f"SELECT {Event.select()} FROM event WHERE {where} ORDER BY happened_on, id", params
        )
        return [Event.from_row(row) for row in rows]

    def get(self, event_id: int) -> Event:
        row = self.db.one(f"SELECT {Event.select()} FROM event WHERE id = :id", {"id": event_id})
        if row is None:
            raise NotFound("no event with id {id}", id=event_id)
        return Event.from_row(row)

    def naming(self, action_ids: list[str]) -> dict[str, int]:
        """The last event naming each of these actions, by action id (what ``done`` says it
        recorded)."""
        found: dict[str, int] = {}
        for placeholders, params in self.db.in_bulk(action_ids):
            rows = self.db.query(
                f"SELECT action_id, id FROM event WHERE action_id IN ({placeholders}) ORDER BY id",
                params,
            )
            found.update(rows)
        return found

    def cases_opened(self, event_id: int) -> list[int]:
        """The repair cases the checklist recorded with an event opened."""
        rows = self.db.query(
            "SELECT case_id FROM checklist_result WHERE event_id = :e AND case_id IS NOT NULL "
            "ORDER BY case_id",
            {"e": event_id},
        )
        return [case_id for (case_id,) in rows]

    def record(self, **values: object) -> Event:
        """Write one event (the columns given; the time of recording is added)."""
        values = {"recorded_at": now_text(), **values}
        event_id = self.db.insert("event", values)
        row = self.db.one(f"SELECT {Event.select()} FROM event WHERE id = :id", {"id": event_id})
        return Event.from_row(row)

    def delete(self, event_id: int) -> tuple[int, list[int], list[int]]:
        """Delete an event with the checklist results recorded with it, and a repair case it
        opened while still untouched (not resolved, nothing recorded for it); one worked on
        since is kept. How many checklist results went, the cases deleted, the cases kept."""
        results = self.db.query(
            "SELECT case_id FROM checklist_result WHERE event_id = :e", {"e": event_id}
        )
        cases = sorted({case_id for (case_id,) in results if case_id is not None})
        self.db.delete("checklist_result", {"event_id": event_id})
        self.db.delete("event", {"id": event_id})
        deleted, kept = [], []
        for case_id in cases:
            untouched = self.db.scalar(
                "SELECT COUNT(*) FROM service_case c WHERE c.id = :c AND c.resolved_on IS NULL "
                "AND NOT EXISTS (SELECT 1 FROM event e WHERE e.case_id = c.id) "
                "AND NOT EXISTS (SELECT 1 FROM checklist_result r WHERE r.case_id = c.id)",
                {"c": case_id},
            )
            if untouched:
                self.db.delete("service_case", {"id": case_id})
                deleted.append(case_id)
            else:
                kept.append(case_id)
        return len(results), deleted, kept
