"""Migration 0020's Python step (``store/migrations.py``, FILLS): each table's highest id ever
given, as far as a database made before ``id_counter`` remembers it."""

from __future__ import annotations

import re

from sixplustwo.store.migrations import ID_TABLES

# The ids an export record names: an owner's, a project's or a case's action, and a milestone
# bulletin's milestone ("o1:milestone-bulletin:m1").
_NAMED_IDS = re.compile(r"^(?:o(?P<owner>\d+)|p(?P<project>\d+)|c(?P<service_case>\d+)):")
_MILESTONE = re.compile(r":m(\d+)$")


def fill_id_counter(execute, execute_many) -> None:
    """Each table's highest id ever given, as far as the database remembers it."""
    highest = {table: execute(f"SELECT MAX(id) FROM {table}")[0][0] or 0 for table in ID_TABLES}
    for table, first, last in execute(
        "SELECT tbl, MAX(pk), MAX(pk_last) FROM journal_change "
        "WHERE op = 'insert' AND pk IS NOT NULL GROUP BY tbl"
    ):
        if table in highest:
            highest[table] = max(highest[table], first or 0, last or 0)
    for (action_id,) in execute("SELECT DISTINCT action_id FROM export_log"):
        named = _NAMED_IDS.match(action_id)
        if named:
            table = named.lastgroup or ""
            highest[table] = max(highest[table], int(named.group(table)))
        milestone = _MILESTONE.search(action_id)
        if milestone and ":milestone-bulletin:" in action_id:
            highest["milestone"] = max(highest["milestone"], int(milestone.group(1)))
    execute_many(
        "INSERT INTO id_counter (tbl, last_id) VALUES (:tbl, :last_id)",
        [{"tbl": table, "last_id": last} for table, last in highest.items() if last],
    )
