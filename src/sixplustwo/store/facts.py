"""Facts several readers load the same way, for many owners or projects at once: projects'
milestones (the morning list, the report and an owner's timeline), and owners' membership
tiers (铂金卡 …: flats signed for under one phone number and referred customers who signed,
counted in SQL and measured against the playbook's tiers; ``owner show`` and ``owner list``
show them, ``due --membership`` filters by them). Kept apart from the aggregates so that the
morning list, which builds none of them, loads only this."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from sixplustwo.domain.model import Milestone
from sixplustwo.domain.playbook import Playbook
from sixplustwo.store.database import Database
from sixplustwo.store.rows import as_date


def load_milestones(
    connection: Database, project_ids: Sequence[int]
) -> dict[int, tuple[Milestone, ...]]:
    """The milestones of these projects, by project, each project's in the order reached
    (the morning list, the report and an owner's timeline read them so)."""
    found: dict[int, list[Milestone]] = defaultdict(list)
    for placeholders, params in connection.in_bulk(project_ids):
        result = connection.execute(
            "SELECT project_id, id, kind, reached_on FROM milestone "
            f"WHERE project_id IN ({placeholders}) ORDER BY reached_on, id",
            params,
        )
        for project_id, milestone_id, kind, reached_on in result:
            found[project_id].append(Milestone(milestone_id, kind, as_date(reached_on)))
    return {key: tuple(value) for key, value in found.items()}


_SIGNED = "({alias}.signed_on IS NOT NULL OR {alias}.delivered_on IS NOT NULL)"


def memberships(
    connection: Database, owner_ids: Iterable[int], playbook: Playbook
) -> dict[int, str | None]:
    """Each owner's membership tier: flats signed for under the same phone number, and
    referred customers who signed, measured against the playbook's tiers."""
    from sixplustwo.domain.playbook import membership_tier

    found: dict[int, str | None] = {}
    for placeholders, params in connection.in_bulk(sorted(set(owner_ids))):
        sql = (
            f"SELECT o.id, CASE WHEN {_SIGNED.format(alias='o')} THEN ("
            "SELECT COUNT(*) FROM owner f WHERE f.phone = o.phone AND f.forgotten_on IS NULL "
            # ix_owner_phone leads with the last four digits (store/search.py)
            "AND SUBSTR(f.phone, LENGTH(f.phone) - 3) = SUBSTR(o.phone, LENGTH(o.phone) - 3) "
            f"AND {_SIGNED.format(alias='f')}) ELSE 0 END, "
            # Referrals found through the referrer index alone (x), then read by key (r):
            # ANALYZE counts the NULLs of a column nobody was referred in as one value, and
            # the planner would scan every owner for each listed one.
            "(SELECT COUNT(*) FROM owner x JOIN owner r ON r.id = x.id "
            f"WHERE x.referred_by = o.id AND {_SIGNED.format(alias='r')}) "
            f"FROM owner o WHERE o.id IN ({placeholders})"
        )
        for owner_id, flats, referrals in connection.execute(sql, params):
            found[owner_id] = membership_tier(playbook.tiers, flats, referrals)
    return found
