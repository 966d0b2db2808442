"""History an import brings: how many of the new customers' actions fell due before today and
were not done, not before go-live: the one-time journey actions (a visit's follow-up, the
revisits after signing and after the handover, the delivery notice …) and the recurring ones
(birthday and festival greetings, milestone bulletins, the referrers' rewards). An imported
ledger's past reads as overdue and missed work; ``owner import`` says how much, and suggests
``playbook --go-live``.

Counted in SQL over the new owners (an id range), never a derivation per owner: one indexed
count a one-time rule over the anchor dates whose action fell due before today
(``due_anchor_range``, the report's exact interval); a count a year for birthdays, a festival
or a milestone for greetings and bulletins (with the domain's conditions: from signing on,
festivals from last year on, bulletins until the handover). New owners have no events yet: a
recurring action is open until done. Lunar birthdays and congratulations (which need an event)
are not counted.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import date, timedelta

from sixplustwo.domain.playbook import Playbook, Rule
from sixplustwo.store.database import Database
from sixplustwo.store.rows import as_date, iso
from sixplustwo.store.tallying import due_anchor_range

_ANCHORS = frozenset({"visited_on", "subscribed_on", "signed_on", "delivered_on"})
_EARLIEST = date(1900, 1, 1)
_SIGNED = "COALESCE(o.signed_on, o.delivered_on)"  # signing, or a handover without one
_NEW = "o.id > :after AND o.forgotten_on IS NULL"


def max_owner_id(db: Database) -> int:
    """The largest owner id so far: the owners an import adds come after it."""
    return db.scalar("SELECT MAX(id) FROM owner") or 0


def due_before_today(db: Database, playbook: Playbook, today: date, after_id: int) -> int:
    """Actions of the owners with an id above ``after_id`` that fell due before ``today`` (and
    on or after go-live, when set) and were not done: what will show as overdue or missed."""
    start = playbook.settings.go_live or _EARLIEST
    end = today - timedelta(days=1)
    if start > end:
        return 0
    history = _History(db, today, after_id)
    total = 0
    for rule in playbook:
        if rule.subject != "owner":
            continue
        low, high = due_anchor_range(rule, start, end)
        if low > high:
            continue
        if rule.anchor in _ANCHORS and not rule.multi:
            total += history.single(rule, low, high)
        elif rule.anchor == "planned_delivery":
            total += history.delivery_notice(low, high)
        elif rule.anchor == "birthday":
            total += history.birthdays(low, high)
        elif rule.anchor == "holiday":
            total += history.festivals(max(low, date(today.year - 1, 1, 1)), high)
        elif rule.anchor == "milestone":
            total += history.bulletins(low, high)
        elif rule.anchor == "referral_delivered":
            total += history.rewards(low, high)
    return total


class _History:
    """The counts over the new owners (ids above ``after``)."""

    def __init__(self, db: Database, today: date, after: int) -> None:
        self.db, self.today, self.after = db, today, after
        self._signed: tuple[list[date], list[int]] | None = None

    def _count(self, sql: str, **params: object) -> int:
        return self.db.scalar(sql, {"after": self.after, **params}) or 0

    def single(self, rule: Rule, low: date, high: date) -> int:
        column = f"o.{rule.anchor}"
        return self._count(
            f"SELECT COUNT(*) FROM owner o WHERE {_NEW} AND {column} BETWEEN :lo AND :hi "
            f"AND {column} <= :today AND NOT EXISTS "
            "(SELECT 1 FROM event e WHERE e.owner_id = o.id AND e.kind = :kind)",
            lo=iso(low),
            hi=iso(high),
            today=iso(self.today),
            kind=rule.name,
        )

    def delivery_notice(self, low: date, high: date) -> int:
        """Signed owners not handed over, by their contract's delivery date or else the
        project's (a handover on record cancels the notice)."""
        planned = "COALESCE(o.delivery_date, p.delivery_date)"
        return self._count(
            f"SELECT COUNT(*) FROM owner o JOIN project p ON p.id = o.project_id WHERE {_NEW} "
            f"AND {_SIGNED} IS NOT NULL AND o.delivered_on IS NULL "
            f"AND {planned} BETWEEN :lo AND :hi",
            lo=iso(low),
            hi=iso(high),
        )

    def birthdays(self, low: date, high: date) -> int:
        """Solar birthdays, a count a year: born before the year, signed by the day."""
        first = self._first_signed()
        if first is None:
            return 0
        total = 0
        for year in range(max(low.year, first.year), high.year + 1):
            year_start, year_end = date(year, 1, 1), date(year, 12, 31)
            md_lo = iso(max(low, year_start))[5:]
            md_hi = iso(min(high, year_end))[5:]
            total += self._count(
                f"SELECT COUNT(*) FROM owner o WHERE {_NEW} AND o.wants_greetings "
                "AND NOT o.birthday_lunar AND o.birthday < :year_start "
                "AND o.birthday_md BETWEEN :md_lo AND :md_hi "
                f"AND ({_SIGNED} < :year_start OR ({_SIGNED} <= :year_end "
                f"AND o.birthday_md >= SUBSTR(CAST({_SIGNED} AS VARCHAR), 6, 5)))",
                year_start=iso(year_start),
                year_end=iso(year_end),
                md_lo=md_lo,
                md_hi=md_hi,
            )
        return total

    def festivals(self, low: date, high: date) -> int:
        """Every signed owner who wants greetings, a greeting a festival from signing on."""
        from sixplustwo.domain.calendars import festivals_between

        if low > high:
            return 0
        days, counts = self._signed_days()
        return sum(
            counts[index - 1]
            for _, _, day in festivals_between(low, high)
            if (index := bisect_right(days, day))
        )

    def bulletins(self, low: date, high: date) -> int:
        """A bulletin a milestone of the owner's project reached after signing and before
        the handover."""
        total = 0
        for project_id, reached in self.db.query(
            "SELECT project_id, reached_on FROM milestone WHERE reached_on BETWEEN :lo AND :hi",
            {"lo": iso(low), "hi": iso(high)},
        ):
            total += self._count(
                f"SELECT COUNT(*) FROM owner o WHERE {_NEW} AND o.project_id = :p "
                f"AND {_SIGNED} <= :on AND (o.delivered_on IS NULL OR o.delivered_on > :on)",
                p=project_id,
                on=iso(as_date(reached)),  # type: ignore[arg-type]
            )
        return total

    def rewards(self, low: date, high: date) -> int:
        """A referrer's reward for each new owner they referred, handed over in the range."""
        return self._count(
            f"SELECT COUNT(*) FROM owner o WHERE {_NEW} AND o.referred_by IS NOT NULL "
            f"AND {_SIGNED} IS NOT NULL AND o.delivered_on BETWEEN :lo AND :hi "
            "AND o.delivered_on <= :today",
            lo=iso(low),
            hi=iso(high),
            today=iso(self.today),
        )

    def _first_signed(self) -> date | None:
        days, _ = self._signed_days()
        return days[0] if days else None

    def _signed_days(self) -> tuple[list[date], list[int]]:
        """The new owners who want greetings by signing day, and how many signed by each
        (a running count): a few thousand days, whatever the number of owners."""
        if self._signed is None:
            rows = self.db.query(
                f"SELECT {_SIGNED}, COUNT(*) FROM owner o WHERE {_NEW} AND o.wants_greetings "
                f"AND {_SIGNED} IS NOT NULL GROUP BY {_SIGNED} ORDER BY 1",
                {"after": self.after},
            )
            days: list[date] = []
            counts: list[int] = []
            for day, count in rows:
                days.append(as_date(day))  # type: ignore[arg-type]
                counts.append((counts[-1] if counts else 0) + count)
            self._signed = (days, counts)
        return self._signed
