"""A command's unit of work on the store: one database transaction, who runs the command and
its argument line, and the store's aggregates over that transaction.

``cli/context.py`` opens one per command. Reads and writes of every aggregate go through the
same ``Database``; the audit log names the user, and the journal of changes (``undo``,
``store/journal.py``) is kept through ``Database.on_write`` by the command's transaction
(``cli/context.py``): the aggregates write through the gateway's described writes
(``insert``, ``update``, ``delete``), which tell it each row's prior values.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sixplustwo.store.audit import Audit, Settings
from sixplustwo.store.cases import Cases
from sixplustwo.store.command import Command
from sixplustwo.store.journey import Journey
from sixplustwo.store.owners import Owners
from sixplustwo.store.projects import Projects
from sixplustwo.store.referrals import Referrals

__all__ = ["Command", "Store"]

if TYPE_CHECKING:
    from sixplustwo.domain.playbook import Playbook
    from sixplustwo.store.database import Database
    from sixplustwo.store.queries import DueFilter, DueRow


class Store:
    def __init__(self, db: Database, playbook: Playbook, command: Command | None = None):
        self.db = db
        self.playbook = playbook
        self.command = command or Command()
        self.audit = Audit(db, self.command.user)
        self.settings = Settings(db)
        self.projects = Projects(self)
        self.owners = Owners(self)
        self.journey = Journey(self)
        self.cases = Cases(self)
        self.referrals = Referrals(self)

    def erase_from_journal(self, owner_id: int) -> None:
        """``owner forget``: no prior values of the owner's rows stay in the journal, and
        the command cannot be undone."""
        from sixplustwo.store.journal import erase_owner

        erase_owner(self.db, owner_id)

    def due(self, today: date, where: DueFilter) -> list[DueRow]:
        from sixplustwo.store.queries import due_rows

        return due_rows(self.db, self.playbook, today, where)
