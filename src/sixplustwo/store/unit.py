"""A command's unit of work on the store: one database transaction, who runs the command and
its argument line, and the store's aggregates over that transaction.

``cli/context.py`` opens one per command. Reads and writes of every aggregate go through the
same ``Database``; the audit log names the user, and the journal of changes (``undo``,
``store/journal.py``) is kept through ``Database.on_write`` by the command's transaction
(``cli/context.py``): the aggregates write through the gateway's described writes
(``insert``, ``update``, ``delete``), which tell it each row's prior values.

The unit of work is where the aggregates are wired: each one's constructor names what it uses
(the database, the playbook, the audit, the siblings it calls), none is given the unit of work
back, so an aggregate's dependencies are read off its constructor. Building them in order
keeps the graph one-way: projects, then owners, cases, the journey; events (``Events``) are
rows that projects, cases and the journey all write.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sixplustwo.store.audit import Audit, Settings
from sixplustwo.store.cases import Cases
from sixplustwo.store.command import Command
from sixplustwo.store.events import Events
from sixplustwo.store.journey import Journey
from sixplustwo.store.owners import Owners
from sixplustwo.store.projects import Projects
from sixplustwo.store.referrals import Referrals
from sixplustwo.store.sent import Sent

if TYPE_CHECKING:
    from sixplustwo.domain.playbook import Playbook
    from sixplustwo.store.database import Database
    from sixplustwo.store.queries import DueFilter, DueRow

__all__ = ["Command", "Store"]


class Store:
    def __init__(self, db: Database, playbook: Playbook, command: Command | None = None):
        self.db = db
        self.playbook = playbook
        self.command = command or Command()
        self.audit = Audit(db, self.command.actor)
        self.settings = Settings(db)
        events = Events(db)
        self.projects = Projects(db, playbook, events)
        self.owners = Owners(db, playbook, self.audit, self.projects)
        self.cases = Cases(db, events, self.owners, self.projects)
        self.journey = Journey(db, playbook, events, self.owners, self.projects, self.cases)
        self.referrals = Referrals(db, playbook)
        self.sent = Sent(db, playbook)

    def due(self, today: date, where: DueFilter) -> list[DueRow]:
        from sixplustwo.store.queries import due_rows

        return due_rows(self.db, self.playbook, today, where)
