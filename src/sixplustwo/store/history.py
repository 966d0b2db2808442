"""History an import brings: how many of the new customers' actions fell due before today and
were not done, not before go-live: the one-time journey actions (a visit's follow-up, the
revisits after signing and after the handover, the delivery notice …) and the recurring ones
(birthday and festival greetings, milestone bulletins, the referrers' rewards). An imported
ledger's past reads as overdue and missed work; ``owner import`` says how much, and suggests
``playbook --go-live``.

Counted in SQL over the new owners (an id range), never a derivation per owner: the one-time
rules in one pass, each over the anchor dates whose action fell due before today
(``due_anchor_range``, the report's exact interval); birthdays in one pass, each owner's
years in the range counted in SQL; a count a festival or a milestone for greetings and
bulletins (with the domain's conditions: from signing on, festivals from last year on,
bulletins until the handover). New owners have no events yet: nothing of theirs is done.
Lunar birthdays and congratulations (which need an event) are not counted.
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


# Per new owner with a solar birthday who wants greetings, the years of its first and last
# greeting in a range: f1 the signing's year (the next, if the birthday came before signing),
# f2 the year after birth, f3 the range's first year (the next, if its birthday came before
# the range began), l the range's last year (the one before, if its birthday falls after).
_TEXT = f"CAST({_SIGNED} AS VARCHAR)"
_YEARS = (
    f"SELECT CAST(SUBSTR({_TEXT}, 1, 4) AS INTEGER) "
    f"+ CASE WHEN o.birthday_md < SUBSTR({_TEXT}, 6, 5) THEN 1 ELSE 0 END AS f1, "
    "CAST(SUBSTR(CAST(o.birthday AS VARCHAR), 1, 4) AS INTEGER) + 1 AS f2, "
    ":lo_year + CASE WHEN o.birthday_md < :lo_md THEN 1 ELSE 0 END AS f3, "
    ":hi_year - CASE WHEN o.birthday_md > :hi_md THEN 1 ELSE 0 END AS l "
    f"FROM owner o WHERE {_NEW} AND o.wants_greetings AND NOT o.birthday_lunar "
    f"AND o.birthday IS NOT NULL AND {_SIGNED} IS NOT NULL"
)


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
    singles: list[tuple[Rule, date, date]] = []
    for rule in playbook:
        if rule.subject != "owner":
            continue
        low, high = due_anchor_range(rule, start, end)
        if low > high:
            continue
        if rule.anchor in _ANCHORS and not rule.multi:
            singles.append((rule, low, high))
        elif rule.anchor == "planned_delivery":
            total += history.delivery_notice(rule, low, high)
        elif rule.anchor == "birthday":
            total += history.birthdays(low, high)
        elif rule.anchor == "holiday":
            total += history.festivals(max(low, date(today.year - 1, 1, 1)), high)
        elif rule.anchor == "milestone":
            total += history.bulletins(low, high)
        elif rule.anchor == "referral_delivered":
            total += history.rewards(low, high)
    return total + history.singles(singles)


class _History:
    """The counts over the new owners (ids above ``after``)."""

    def __init__(self, db: Database, today: date, after: int) -> None:
        self.db, self.today, self.after = db, today, after
        self._signed: tuple[list[date], list[int]] | None = None

    def _count(self, sql: str, **params: object) -> int:
        return self.db.scalar(sql, {"after": self.after, **params}) or 0

    def singles(self, rules: list[tuple[Rule, date, date]]) -> int:
        """The one-time journey rules' actions, all in one pass over the new owners: each
        owner whose anchor lies in a rule's interval, and is not after today. New owners
        have no events yet: none is done."""
        if not rules:
            return 0
        terms, params = [], {}
        for number, (rule, low, high) in enumerate(rules):
            column = f"o.{rule.anchor}"
            terms.append(
                f"CASE WHEN {column} BETWEEN :lo{number} AND :hi{number} AND {column} <= :today "
                "THEN 1 ELSE 0 END"
            )
            params.update({f"lo{number}": iso(low), f"hi{number}": iso(high)})
        counted = self._count(
            f"SELECT SUM({' + '.join(terms)}) FROM owner o WHERE {_NEW}",
            today=iso(self.today),
            **params,
        )
        return int(counted)

    def delivery_notice(self, rule: Rule, low: date, high: date) -> int:
        """Signed owners by their contract's delivery date or else the project's: not handed
        over, or handed over after the notice's due day (a handover on or before it cancels
        the notice; an unsent notice that fell due before the handover is missed)."""
        planned = "COALESCE(o.delivery_date, p.delivery_date)"
        where = (
            f"FROM owner o JOIN project p ON p.id = o.project_id WHERE {_NEW} "
            f"AND {_SIGNED} IS NOT NULL AND {planned} BETWEEN :lo AND :hi"
        )
        bounds = {"lo": iso(low), "hi": iso(high)}
        waiting = self._count(f"SELECT COUNT(*) {where} AND o.delivered_on IS NULL", **bounds)
        handed = self.db.query(
            f"SELECT {planned}, o.delivered_on {where} AND o.delivered_on IS NOT NULL",
            {"after": self.after, **bounds},
        )
        late = sum(1 for day, delivered in handed if as_date(delivered) > rule.due_on(as_date(day)))
        return waiting + late

    def birthdays(self, low: date, high: date) -> int:
        """Solar birthdays: each owner's greetings from ``low`` to ``high`` counted in one
        pass, from the first year after birth whose birthday is on or after signing to the
        last in the range (``_YEARS``)."""
        counted = self._count(
            f"SELECT SUM(CASE WHEN l >= f1 AND l >= f2 AND l >= f3 THEN l + 1 - CASE "
            "WHEN f1 >= f2 AND f1 >= f3 THEN f1 WHEN f2 >= f3 THEN f2 ELSE f3 END ELSE 0 END) "
            f"FROM ({_YEARS}) y",
            lo_year=low.year,
            lo_md=iso(low)[5:],
            hi_year=high.year,
            hi_md=iso(high)[5:],
        )
        return int(counted)

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
