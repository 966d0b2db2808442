"""What a user may see: one function turns a user into a scope (``scope``), and the page (and
``--as`` with a butler on the CLI) reaches the store only through ``Scoped``, whose every read
and write takes that scope. A butler sees the owners whose butler is their name, those owners'
cases and actions, and nothing of the projects' own actions; a manager sees everything.

Something outside a butler's scope is not found, in the very words a missing one is (the same
``NotFound`` the store raises for an id that does not exist): an id tells nobody whether it
exists. The model is Datasette's: every request carries an actor, and permission is one
function of actor and resource.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

from sixplustwo.domain.errors import NotFound
from sixplustwo.domain.rules import ACTION_ID
from sixplustwo.store.queries import DueFilter

if TYPE_CHECKING:
    from sixplustwo.domain.actions import Action
    from sixplustwo.domain.playbook import Rule
    from sixplustwo.store.journey import OwnerView
    from sixplustwo.store.queries import DueRow
    from sixplustwo.store.records import Case, ChecklistResult, Owner
    from sixplustwo.store.unit import Store
    from sixplustwo.store.users import User


@dataclass(frozen=True)
class Scope:
    """``butler``: the only butler whose owners are seen; None: every owner (a manager)."""

    butler: str | None = None

    @property
    def everything(self) -> bool:
        return self.butler is None

    def due_filter(self, where: DueFilter | None = None) -> DueFilter:
        """The morning list's filter within this scope: a butler's own list, whatever was
        asked."""
        where = where or DueFilter()
        return where if self.butler is None else replace(where, butler=self.butler)

    def sees_owner(self, owner: Owner) -> bool:
        return self.butler is None or owner.butler == self.butler


def scope(user: User | None) -> Scope:
    """The one function from a user to what they may see: a manager (or no user: the CLI run
    by the office) everything, a butler their butler name's owners."""
    if user is None or user.is_manager:
        return Scope()
    return Scope(user.butler or user.name)


@dataclass(frozen=True)
class ActionView:
    action: Action
    rule: Rule
    view: OwnerView | None  # the owner's timeline (None: a project's action)
    recorded: list[ChecklistResult]


class Scoped:
    """The store as one user may use it: every method checks the scope before it reads or
    writes, so a new page cannot forget it."""

    def __init__(self, store: Store, within: Scope) -> None:
        self.store = store
        self.scope = within

    # -- reading --------------------------------------------------------------------------

    def due(self, today: date, butler: str | None = None) -> list[DueRow]:
        """The day's list (``due``): a butler's own; a manager's everyone's, or one butler's."""
        return self.store.due(today, self.scope.due_filter(DueFilter(butler=butler)))

    def owner(self, owner_id: int) -> Owner:
        owner = self.store.owners.find(owner_id)
        if owner is None or not self.scope.sees_owner(owner):
            raise NotFound("no owner with id {id}", id=owner_id)
        return owner

    def case(self, case_id: int) -> Case:
        try:
            case = self.store.cases.get(case_id)
            self.owner(case.owner_id)
        except NotFound:
            raise NotFound("no case with id {id}", id=case_id) from None
        return case

    def owner_view(self, owner_id: int, today: date) -> OwnerView:
        self.owner(owner_id)
        return self.store.journey.owner_view(owner_id, today)

    def check_action(self, action_id: str) -> None:
        """Refuse an action outside the scope as a missing one is refused."""
        match = ACTION_ID.match(action_id.strip())
        if match is None or self.scope.everything:
            return
        kind, number = match.group(1), int(match.group(2))
        try:
            if kind == "o":
                self.owner(number)
            elif kind == "c":
                self.case(number)
            else:  # a project's action: a manager's
                raise NotFound("not in scope")
        except NotFound:
            raise NotFound(
                "no action {action} (see sixplustwo due or owner show)", action=action_id.strip()
            ) from None

    def action(self, action_id: str, today: date) -> ActionView:
        """An action with what ``action show`` shows of its owner."""
        self.check_action(action_id)
        journey = self.store.journey
        action, rule = journey.find_action(action_id, today)
        owner_id = self._owner_of(action)
        view = recorded = None
        if owner_id is not None:
            view = journey.owner_view(owner_id, today)
            recorded = [
                r for r in journey.checklist_results(owner_id) if r.action_id == action.action_id
            ]
        return ActionView(action, rule, view, recorded or [])

    def _owner_of(self, action: Action) -> int | None:
        if action.subject == "owner":
            return action.subject_id
        if action.subject == "case":
            return self.store.cases.get(action.subject_id).owner_id
        return None

    def butlers(self) -> list[str]:
        """The butler names there are (a butler: their own)."""
        if self.scope.butler is not None:
            return [self.scope.butler]
        from sixplustwo.store.search import butlers

        return butlers(self.store.db)

    # -- writing --------------------------------------------------------------------------

    def reveal_phone(self, owner_id: int, via: str) -> str | None:
        """The owner's full phone number, written to the audit log."""
        self.owner(owner_id)
        phone = self.store.owners.phone(owner_id)
        self.store.audit.record(via, "owner {id}", id=owner_id)
        return phone

    def complete(
        self,
        action_id: str,
        on: date,
        *,
        note: str | None,
        channel: str | None,
        score: int | None,
        checklist: list[tuple[str, bool, str | None]],
        today: date,
        via: str,
    ) -> tuple[Action, list[int]]:
        """``done ACTION_ID``: the action completed, and the repair cases its checklist's
        problems opened; audited."""
        self.check_action(action_id)
        action = self.store.journey.complete(
            action_id, on, note=note, channel=channel, score=score, today=today,
            checklist=checklist,
        )  # fmt: skip
        opened = [
            int(case_id)
            for (case_id,) in self.store.db.query(
                "SELECT case_id FROM checklist_result WHERE action_id = :a "
                "AND case_id IS NOT NULL ORDER BY case_id",
                {"a": action.action_id},
            )
        ]
        self.store.audit.record(via, "action {action}", action=action.action_id)
        return action, opened

    def open_case(self, owner_id: int, kind: str, note: str, on: date, today: date) -> Case:
        """``case open``."""
        self.owner(owner_id)
        return self.store.cases.open(owner_id, kind, note, on, today)
