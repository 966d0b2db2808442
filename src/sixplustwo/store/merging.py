"""``owner merge KEEP OTHER``: two records of one customer folded into one (twins an older
database holds, named by ``check``; or a flat typed twice before its key was unique).

KEEP takes from OTHER what it lacks, its own values winning: the journey's dates (and the
birthday, with its lunar flag), the butler, the referrer (the first referrer wins: KEEP's);
the archive's consent and tags (a union). OTHER's events, cases and checklist results become
KEEP's, their action ids with them (``o7:first-contact`` → ``o3:first-contact``, and a
referrer's ``o9:referral-reward:o7``); the owners OTHER referred are KEEP's referrals. A
referral of one by the other would now be the customer's own: it is dropped, and said.

OTHER's record is then deleted: its name, phone and birthday go with it (``owner forget``
erases no more), its id names no one, and nothing lists, exports or counts it, not even in a
past period (its completions are KEEP's now). Every write is a described write, so that
``undo`` puts both records back; the journal's copy of OTHER's record is filed under KEEP, so
that ``owner forget KEEP`` purges it too. Audited.

Refused: an owner merged with itself, owners of two projects, an owner erased on request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from sixplustwo.domain.calendars import birthday_key
from sixplustwo.domain.errors import N_, Conflict, InvalidInput
from sixplustwo.domain.owners import DATE_FIELDS, check_journey
from sixplustwo.domain.rules import check_no_referral_cycle
from sixplustwo.store.batches import referrer_links

if TYPE_CHECKING:
    from sixplustwo.store.audit import Audit
    from sixplustwo.store.database import Database
    from sixplustwo.store.owners import Owners
    from sixplustwo.store.records import Owner

# What KEEP takes from OTHER where it has none, besides the journey's dates.
_TAKEN = ("butler",)
# The tables whose rows belong to an owner and name its actions.
_MOVED = ("event", "service_case", "checklist_result")


@dataclass
class MergePlan:
    """What ``owner merge`` moves: KEEP's values taken from OTHER (column → value), how many
    of OTHER's rows of each table become KEEP's, the owners OTHER referred, the tags KEEP
    gains, and the referrals dropped (each as (referred, referrer))."""

    keep: Owner
    other: Owner
    taken: dict[str, object] = field(default_factory=dict)
    moved: dict[str, int] = field(default_factory=dict)
    referred: list[int] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    dropped: list[tuple[int, int]] = field(default_factory=list)
    # Rows of other owners whose action ids name OTHER (a referrer's reward for OTHER).
    renamed: int = 0


class Merging:
    """Owner records folded into one, read and written through ``db``; the records checked
    and read by ``owners``; the merge audited by ``audit``."""

    def __init__(self, db: Database, owners: Owners, audit: Audit) -> None:
        self.db = db
        self.owners = owners
        self.audit = audit

    def plan(self, keep_id: int, other_id: int, today: date) -> MergePlan:
        """What merging OTHER into KEEP would do, or why it is refused; nothing written."""
        if keep_id == other_id:
            raise InvalidInput("owner {id} cannot be merged with itself", id=keep_id)
        keep = self.owners.unforgotten(keep_id)
        other = self.owners.unforgotten(other_id)
        if keep.project_id != other.project_id:
            keep_code = self.owners.projects.by_id(keep.project_id).code
            other_code = self.owners.projects.by_id(other.project_id).code
            raise Conflict(
                "owners {keep} ({keep_code}) and {other} ({other_code}) are of two projects: "
                "only records of one project are merged",
                keep=keep_id,
                keep_code=keep_code,
                other=other_id,
                other_code=other_code,
            )
        plan = MergePlan(keep, other)
        for column in (*DATE_FIELDS.values(), *_TAKEN):
            mine, theirs = getattr(keep, column), getattr(other, column)
            if mine is None and theirs is not None:
                plan.taken[column] = theirs
                if column == "birthday":
                    plan.taken["birthday_lunar"] = other.birthday_lunar
        if not keep.profile_consent and other.profile_consent:
            plan.taken["profile_consent"] = True
        # Referrals both ways: KEEP's referrer wins, else OTHER's is KEEP's (the first
        # referrer wins); those OTHER referred are KEEP's referrals; one of the two referred
        # by the other would refer themselves: dropped.
        mine, theirs = keep.referred_by, other.referred_by
        if mine == other_id:
            plan.dropped.append((keep_id, other_id))
            mine = None
        if theirs == keep_id:
            plan.dropped.append((other_id, keep_id))
            theirs = None
        if theirs is not None and mine is not None and mine != theirs:
            plan.dropped.append((other_id, theirs))
        referrer = mine if mine is not None else theirs
        if referrer is not None and referrer != keep.referred_by:
            plan.taken["referred_by"] = referrer  # (one by OTHER is cleared: apply)
        plan.referred = [
            owner
            for (owner,) in self.db.query(
                "SELECT id FROM owner WHERE referred_by = :o AND id <> :k ORDER BY id",
                {"o": other_id, "k": keep_id},
            )
        ]
        if referrer is not None and referrer != keep.referred_by:
            one = {other_id: keep_id}  # OTHER is KEEP now, up the referrer's chain too
            links = {
                one.get(a, a): (None if b is None else one.get(b, b))
                for a, b in referrer_links(self.db, [referrer]).items()
            }
            links[keep_id] = referrer
            check_no_referral_cycle(keep_id, links)
        for table in _MOVED:
            plan.moved[table] = self.db.scalar(
                f"SELECT COUNT(*) FROM {table} WHERE owner_id = :o", {"o": other_id}
            )
        plan.renamed = len(self._named_elsewhere(other_id))
        kept = set(self.owners.tags(keep_id))
        plan.tags = [tag for tag in self.owners.tags(other_id) if tag not in kept]
        dates = {column: getattr(keep, column) for column in DATE_FIELDS.values()}
        dates.update({c: v for c, v in plan.taken.items() if c in dates})
        check_journey(dates, today, changed=[c for c in plan.taken if c in dates])
        return plan

    def apply(self, plan: MergePlan) -> None:
        """Fold OTHER into KEEP as ``plan`` says (made by ``plan`` in this transaction)."""
        keep_id, other_id = plan.keep.id, plan.other.id
        old, new = f"o{other_id}:", f"o{keep_id}:"
        for table in _MOVED:
            rows = self.db.query(
                f"SELECT id, action_id FROM {table} WHERE owner_id = :o ORDER BY id",
                {"o": other_id},
            )
            for row_id, action_id in rows:
                values: dict[str, object] = {"owner_id": keep_id}
                if action_id is not None:
                    values["action_id"] = _renamed(action_id, old, new, other_id, keep_id)
                self.db.update(table, {"id": row_id}, values)
        for table, row_id, action_id in self._named_elsewhere(other_id):
            renamed = _renamed(action_id, old, new, other_id, keep_id)
            self.db.update(table, {"id": row_id}, {"action_id": renamed})
        self._exported_as_keep(old, new, other_id, keep_id)
        for owner in plan.referred:
            self.db.update("owner", {"id": owner}, {"referred_by": keep_id})
        if plan.keep.referred_by == other_id:  # before OTHER goes (the foreign key)
            self.db.update("owner", {"id": keep_id}, {"referred_by": None})
        for tag in plan.tags:
            self.db.insert_row(
                "owner_tag", {"owner_id": keep_id, "tag": tag}, key=("owner_id", "tag")
            )
        self.db.delete("owner_tag", {"owner_id": other_id}, key=("owner_id", "tag"))
        self.db.delete("owner", {"id": other_id})
        _filed_under(self.db, other_id, keep_id)
        taken = dict(plan.taken)
        if taken:
            if "birthday" in taken:
                lunar = bool(taken.get("birthday_lunar"))
                taken["birthday_md"] = birthday_key(taken["birthday"], lunar)  # type: ignore[arg-type]
            self.db.update("owner", {"id": keep_id}, taken)
        self.audit.record(
            "owner merge", N_("owner {other} into owner {keep}"), other=other_id, keep=keep_id
        )

    def _exported_as_keep(self, old: str, new: str, other_id: int, keep_id: int) -> None:
        """What an export already sent for OTHER counts as sent for KEEP (``--new-only``
        skips it: one customer is not greeted twice for one birthday); OTHER's own records
        stay, naming an id no one has."""
        rows = self.db.query(
            "SELECT destination, action_id, audit_id, exported_at, batch_id, journal_id "
            "FROM export_log WHERE action_id LIKE :mine ORDER BY destination, action_id",
            {"mine": f"{old}%"},
        )
        for destination, action_id, audit_id, at, batch_id, journal_id in rows:
            renamed = _renamed(action_id, old, new, other_id, keep_id)
            held = self.db.scalar(
                "SELECT COUNT(*) FROM export_log WHERE destination = :d AND action_id = :a",
                {"d": destination, "a": renamed},
            )
            if not held:
                values = {
                    "destination": destination,
                    "action_id": renamed,
                    "audit_id": audit_id,
                    "exported_at": at,
                    "batch_id": batch_id,
                    "journal_id": journal_id,
                }
                self.db.insert_row("export_log", values, key=("destination", "action_id"))

    def _named_elsewhere(self, other_id: int) -> list[tuple[str, int, str]]:
        """Rows of other owners whose action id names OTHER as its detail (a referrer's
        ``referral-reward`` for OTHER): (table, id, action id)."""
        found: list[tuple[str, int, str]] = []
        for table in _MOVED:
            rows = self.db.query(
                f"SELECT id, action_id FROM {table} WHERE action_id LIKE :named "
                "AND (owner_id IS NULL OR owner_id <> :o) ORDER BY id",
                {"named": f"%:o{other_id}", "o": other_id},
            )
            found += [(table, row_id, action_id) for row_id, action_id in rows]
        return found


def _renamed(action_id: str, old: str, new: str, other_id: int, keep_id: int) -> str:
    """An action id with OTHER's id as KEEP's: as its subject, and as its detail."""
    if action_id.startswith(old):
        action_id = new + action_id[len(old) :]
    tail = f":o{other_id}"
    if action_id.endswith(tail):
        action_id = action_id[: -len(tail)] + f":o{keep_id}"
    return action_id


def _filed_under(db: Database, other_id: int, keep_id: int) -> None:
    """The journal's copy of OTHER's deleted record (kept for ``undo``) is filed under KEEP:
    the customer is one person now, and ``owner forget KEEP`` must purge it too."""
    journal = getattr(db, "journal", None)
    if journal is None:
        return
    for change in journal.pending:
        if change["tbl"] == "owner" and change["pk"] == other_id:
            change["owner_id"] = keep_id
    if journal.entry_id is not None:  # rows flushed already (a journal writes in batches)
        db.execute(
            "UPDATE journal_change SET owner_id = :k WHERE journal_id = :j AND tbl = 'owner' "
            "AND pk = :o",
            {"k": keep_id, "j": journal.entry_id, "o": other_id},
        )
