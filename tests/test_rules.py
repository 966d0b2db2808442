"""Every rule of the default playbook at its window edges, and completion semantics."""

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sixplustwo.domain.actions import actions, listed_anchor_range, rule_actions, status_of
from sixplustwo.domain.dates import Offset
from sixplustwo.domain.model import CaseFacts, Event, Milestone, OwnerFacts, ProjectFacts, Referral
from sixplustwo.domain.playbook import default_playbook
from sixplustwo.domain.stages import stage

BOOK = default_playbook()
DAY = timedelta(days=1)
A = date(2023, 1, 31)  # a month end, to exercise clipping

# rule → (subject built from anchor A, expected opens_on, expected due_on, grace)
OWNER_CASES = {
    "visit-followup": (dict(visited_on=A), A, A + 3 * DAY, 30),
    "first-contact": (dict(subscribed_on=A), A, A + 7 * DAY, 30),
    "signing-revisit": (dict(signed_on=A), A, A + 7 * DAY, 30),
    "delivery-notice": (
        dict(signed_on=date(2022, 1, 1), planned_delivery=A),
        A - 20 * DAY,
        A - 10 * DAY,
        30,
    ),
    "revisit-3m": (dict(delivered_on=A), date(2023, 4, 30), date(2023, 5, 14), 30),
    "quality-check-1y": (dict(delivered_on=A), date(2024, 1, 31), date(2024, 3, 1), 30),
    "warranty-2y": (dict(delivered_on=A), date(2025, 1, 1), date(2025, 1, 31), 30),
    "warranty-5y": (dict(delivered_on=A), date(2028, 1, 1), date(2028, 1, 31), 30),
}


def _owner(**facts):
    return OwnerFacts(id=7, **facts)


def _only(rule_name, subject, today):
    found = rule_actions(BOOK.get(rule_name), subject, today)
    assert len(found) == 1, found
    return found[0]


def _edges(opens, due, grace):
    """(day, expected status) at: day before opens, opens, due, due+1, due+grace, +1."""
    edges = [(opens - DAY, "upcoming"), (opens, "open"), (due, "open")]
    if grace == 0:
        return [*edges, (due + DAY, "missed")]
    return [
        *edges,
        (due + DAY, "overdue"),
        (due + grace * DAY, "overdue"),
        (due + (grace + 1) * DAY, "missed"),
    ]


@pytest.mark.parametrize("rule_name", sorted(OWNER_CASES))
def test_owner_rule_window_edges(rule_name):
    facts, opens, due, grace = OWNER_CASES[rule_name]
    rule = BOOK.get(rule_name)
    assert rule.grace == grace
    late = due + 400 * DAY
    for today, expected in _edges(opens, due, grace):
        # Post-delivery actions exist once delivered, so evaluate them on a later clock
        # only where the statuses say so: the rule window is independent of "today".
        action = _only(rule_name, _owner(**facts), max(today, facts.get("delivered_on", today)))
        assert (action.opens_on, action.due_on) == (opens, due)
        assert status_of(action.opens_on, action.due_on, rule.grace, None, today) == expected
    assert _only(rule_name, _owner(**facts), late).status == "missed"


@pytest.mark.parametrize(
    ("rule_name", "opens", "due"),
    [
        ("delivery-risk-check", date(2022, 10, 17), date(2022, 10, 31)),
        ("mock-acceptance", A - 45 * DAY, A - 30 * DAY),
        ("site-open-day", date(2022, 9, 30), date(2022, 11, 30)),
        ("renovation-4y", date(2027, 1, 31), date(2027, 5, 1)),
    ],
)
def test_project_rule_window_edges(rule_name, opens, due):
    project = ProjectFacts(3, delivery_date=A)
    for today, expected in _edges(opens, due, 30):
        action = _only(rule_name, project, today)
        assert (action.opens_on, action.due_on, action.status) == (opens, due, expected)
        assert action.action_id == f"p3:{rule_name}"


def test_birthday_window_is_the_day_itself():
    owner = _owner(signed_on=date(2020, 5, 1), birthday=date(1980, 3, 15))
    for today, expected in _edges(date(2024, 3, 15), date(2024, 3, 15), 0):
        found = {a.action_id: a for a in rule_actions(BOOK.get("birthday"), owner, today)}
        assert found["o7:birthday:2024"].status == expected


def test_leap_day_birthday_greeted_on_feb_28_in_common_years():
    owner = _owner(signed_on=date(2020, 1, 1), birthday=date(1988, 2, 29))
    found = {a.action_id: a for a in rule_actions(BOOK.get("birthday"), owner, date(2025, 2, 28))}
    assert found["o7:birthday:2025"].due_on == date(2025, 2, 28)
    assert found["o7:birthday:2025"].status == "open"
    assert found["o7:birthday:2024"].due_on == date(2024, 2, 29)


def test_birthday_only_after_signing():
    owner = _owner(signed_on=date(2024, 6, 1), birthday=date(1980, 3, 15))
    found = rule_actions(BOOK.get("birthday"), owner, date(2025, 3, 15))
    # Nothing for 2024 (signed after that birthday); the next one ahead shows as upcoming.
    assert [(a.action_id, a.status) for a in found] == [
        ("o7:birthday:2025", "open"),
        ("o7:birthday:2026", "upcoming"),
    ]
    assert (
        rule_actions(BOOK.get("birthday"), _owner(birthday=date(1980, 3, 15)), date(2025, 3, 15))
        == []
    )


def test_no_post_delivery_actions_before_delivery():
    owner = _owner(signed_on=date(2023, 1, 1), delivered_on=date(2024, 6, 1))
    assert rule_actions(BOOK.get("revisit-3m"), owner, date(2024, 5, 31)) == []
    assert len(rule_actions(BOOK.get("revisit-3m"), owner, date(2024, 6, 1))) == 1


def test_single_action_rule_done_by_any_event_whatever_its_date():
    owner = _owner(delivered_on=A, events=(Event("revisit-3m", date(2026, 1, 1)),))
    action = _only("revisit-3m", owner, date(2023, 5, 1))
    assert action.status == "done"
    assert action.done_on == date(2026, 1, 1)


def test_milestone_bulletin_per_milestone_for_waiting_owners_only():
    milestones = (Milestone(1, "封顶", date(2023, 5, 1)), Milestone(2, "落架", date(2023, 9, 1)))
    waiting = _owner(signed_on=date(2023, 4, 1), milestones=milestones)
    late_signer = _owner(signed_on=date(2023, 6, 1), milestones=milestones)
    delivered = _owner(
        signed_on=date(2022, 1, 1), delivered_on=date(2023, 8, 1), milestones=milestones
    )
    rule = BOOK.get("milestone-bulletin")
    today = date(2023, 9, 2)
    assert [a.action_id for a in rule_actions(rule, waiting, today)] == [
        "o7:milestone-bulletin:m1",
        "o7:milestone-bulletin:m2",
    ]
    assert [a.action_id for a in rule_actions(rule, late_signer, today)] == [
        "o7:milestone-bulletin:m2"
    ]
    assert [a.action_id for a in rule_actions(rule, delivered, today)] == [
        "o7:milestone-bulletin:m1"
    ]
    m2 = rule_actions(rule, waiting, today)[1]
    assert (m2.opens_on, m2.due_on, m2.status) == (date(2023, 9, 1), date(2023, 9, 8), "open")


def test_multi_action_event_completes_earliest_open_window():
    milestones = (Milestone(1, "封顶", date(2023, 5, 1)), Milestone(2, "落架", date(2023, 5, 20)))
    event = Event("milestone-bulletin", date(2023, 5, 22))
    owner = _owner(signed_on=date(2023, 1, 1), milestones=milestones, events=(event,))
    found = rule_actions(BOOK.get("milestone-bulletin"), owner, date(2023, 5, 22))
    assert [a.status for a in found] == ["done", "open"]
    # An event outside every window completes nothing.
    stray = _owner(
        signed_on=date(2023, 1, 1),
        milestones=milestones,
        events=(Event("milestone-bulletin", date(2023, 4, 1)),),
    )
    statuses = [
        a.status for a in rule_actions(BOOK.get("milestone-bulletin"), stray, date(2023, 5, 2))
    ]
    assert statuses == ["open", "upcoming"]


def test_event_naming_an_action_completes_exactly_it():
    milestones = (Milestone(1, "封顶", date(2023, 5, 1)), Milestone(2, "落架", date(2023, 5, 20)))
    event = Event("milestone-bulletin", date(2023, 5, 22), "o7:milestone-bulletin:m2")
    owner = _owner(signed_on=date(2023, 1, 1), milestones=milestones, events=(event,))
    found = rule_actions(BOOK.get("milestone-bulletin"), owner, date(2023, 5, 22))
    assert [a.status for a in found] == ["overdue", "done"]


def test_birthday_greeting_that_year_counts_even_a_day_late():
    owner = _owner(
        signed_on=date(2020, 1, 1),
        birthday=date(1980, 3, 15),
        events=(Event("birthday", date(2024, 3, 16)),),
    )
    found = {a.action_id: a for a in rule_actions(BOOK.get("birthday"), owner, date(2024, 3, 16))}
    assert found["o7:birthday:2024"].status == "done"
    assert found["o7:birthday:2023"].status == "missed"


def test_referral_reward_for_the_referrer_when_the_referred_signed_and_delivered():
    referrals = (
        Referral(20, signed=True, delivered_on=date(2024, 3, 1)),
        Referral(21, signed=False, delivered_on=None),
    )
    owner = _owner(signed_on=date(2020, 1, 1), referrals=referrals)
    found = rule_actions(BOOK.get("referral-reward"), owner, date(2024, 3, 31))
    assert [(a.action_id, a.opens_on, a.due_on, a.status) for a in found] == [
        ("o7:referral-reward:o20", date(2024, 3, 1), date(2024, 3, 31), "open")
    ]


@pytest.mark.parametrize(
    ("kind", "due"), [("complaint", date(2024, 1, 8)), ("repair", date(2024, 1, 4))]
)
def test_case_resolve_never_becomes_missed(kind, due):
    case = CaseFacts(5, 7, kind, date(2024, 1, 1))
    action = _only("case-resolve", case, date(2024, 1, 1))
    assert (action.action_id, action.due_on, action.status) == ("c5:case-resolve", due, "open")
    assert _only("case-resolve", case, due + DAY).status == "overdue"
    assert _only("case-resolve", case, due + 3650 * DAY).status == "overdue"
    resolved = CaseFacts(5, 7, kind, date(2024, 1, 1), resolved_on=date(2024, 1, 2))
    assert _only("case-resolve", resolved, date(2024, 2, 1)).status == "done"


def test_case_revisit_after_resolution():
    case = CaseFacts(5, 7, "repair", date(2024, 1, 1), resolved_on=date(2024, 1, 10))
    action = _only("case-revisit", case, date(2024, 1, 10))
    assert (action.opens_on, action.due_on) == (date(2024, 1, 10), date(2024, 1, 13))
    assert _only("case-revisit", case, date(2025, 1, 1)).status == "overdue"
    assert (
        rule_actions(
            BOOK.get("case-revisit"), CaseFacts(5, 7, "repair", date(2024, 1, 1)), date(2024, 2, 1)
        )
        == []
    )


def test_stage_is_derived_from_dates():
    today = date(2024, 6, 1)
    assert stage(_owner(visited_on=date(2024, 1, 1)), today) == "prospect"
    assert stage(_owner(subscribed_on=date(2024, 1, 1)), today) == "subscribed"
    assert stage(_owner(signed_on=date(2024, 1, 1)), today) == "signed"
    assert (
        stage(_owner(signed_on=date(2024, 1, 1), planned_delivery=date(2025, 1, 1)), today)
        == "awaiting delivery"
    )
    assert (
        stage(_owner(signed_on=date(2023, 1, 1), delivered_on=date(2024, 5, 1)), today)
        == "delivered"
    )
    assert (
        stage(_owner(signed_on=date(2023, 1, 1), delivered_on=date(2024, 3, 1)), today)
        == "resident"
    )


def test_action_ids_are_stable():
    owner = _owner(
        signed_on=date(2020, 1, 1), delivered_on=date(2021, 1, 31), birthday=date(1980, 2, 29)
    )
    first = [a.action_id for a in actions(owner, date(2024, 3, 1))]
    assert first == [a.action_id for a in actions(owner, date(2024, 3, 1))]
    assert len(first) == len(set(first))


def test_every_default_rule_has_title_template_and_known_step():
    names = {rule.name for rule in BOOK}
    assert names == {
        "visit-followup", "first-contact", "signing-revisit", "milestone-bulletin",
        "delivery-notice", "revisit-3m", "birthday", "quality-check-1y", "warranty-2y",
        "warranty-5y", "case-resolve", "case-revisit", "referral-reward",
        "delivery-risk-check", "mock-acceptance", "site-open-day", "renovation-4y",
        "holiday-greeting", "weekly-bulletin", "monthly-community-event", "congratulation",
        "sales-site-check", "service-handbook", "sales-hall-disclosure", "move-in-ceremony",
        "decoration-guidance",
    }  # fmt: skip
    for rule in BOOK:
        assert rule.title and rule.template and rule.source


@pytest.mark.parametrize(
    ("rule_name", "owner"),
    [
        (
            "milestone-bulletin",
            _owner(signed_on=date(2022, 1, 1), milestones=(Milestone(4, "封顶", A),)),
        ),
        (
            "referral-reward",
            _owner(signed_on=date(2020, 1, 1), referrals=(Referral(9, True, A),)),
        ),
    ],
)
def test_multi_action_owner_rules_window_edges(rule_name, owner):
    rule = BOOK.get(rule_name)
    due = A + (7 if rule_name == "milestone-bulletin" else 30) * DAY
    for today, expected in _edges(A, due, 30):
        found = rule_actions(rule, owner, max(today, A))
        assert len(found) == 1
        assert (found[0].opens_on, found[0].due_on) == (A, due)
        assert status_of(A, due, rule.grace, None, today) == expected
        if today >= A:
            assert found[0].status == expected


_OFFSET_PARTS = st.tuples(st.integers(-5, 5), st.integers(-14, 14), st.integers(-60, 60)).map(
    lambda parts: Offset(*parts)
)


@given(
    opens=_OFFSET_PARTS,
    extra=_OFFSET_PARTS,
    grace=st.one_of(st.none(), st.integers(0, 90)),
    today=st.dates(date(2001, 1, 1), date(2099, 12, 31)),
    repair=st.booleans(),
)
@settings(max_examples=300, deadline=None)
def test_listed_anchor_range_is_exactly_the_listed_anchors(opens, extra, grace, today, repair):
    """The due list's SQL trusts these interval ends: every anchor inside lists its action on
    ``today``, none outside does (checked a year around each end, month ends included)."""
    due = Offset(opens.years + abs(extra.years), opens.months + abs(extra.months),
                 opens.days + abs(extra.days))  # fmt: skip
    rule = replace(
        default_playbook().get("revisit-3m"),
        opens=opens,
        due=due,
        grace=grace,
        due_repair=Offset(opens.years, opens.months, opens.days) if repair else None,
    )
    first, last = listed_anchor_range(rule, today, repair=repair)

    def listed(anchor: date) -> bool:
        opens_on, due_on = rule.opens_on(anchor), rule.due_on(anchor, repair=repair)
        return status_of(opens_on, due_on, grace, None, today) in ("open", "overdue")

    for anchor in (last + timedelta(days=step) for step in range(-370, 370, 7)):
        assert listed(anchor) == ((first is None or anchor >= first) and anchor <= last), anchor
    if first is not None:
        for anchor in (first + timedelta(days=step) for step in range(-40, 40)):
            assert listed(anchor) == (first <= anchor <= last), anchor
    for anchor in (last + timedelta(days=step) for step in range(-40, 40)):
        assert listed(anchor) == ((first is None or first <= anchor) and anchor <= last), anchor


_days = st.dates(date(2022, 1, 1), date(2026, 12, 31))


@settings(max_examples=300, deadline=None)
@given(
    first=st.integers(1, 10**6),
    second=st.integers(1, 10**6),
    signed=st.one_of(st.none(), _days),
    delivered=st.one_of(st.none(), _days),
    others=st.tuples(*(st.one_of(st.none(), _days) for _ in range(4))),
    reached=st.lists(_days, max_size=4),
    done=st.lists(_days, max_size=2),
    today=_days,
)
def test_owners_with_what_a_bulletin_reads_in_common_get_the_same_bulletins(
    first, second, signed, delivered, others, reached, done, today
):
    """The due list decides a milestone bulletin once for owners that share what it is
    decided by (``decided_by``) and gives the others its actions under their ids: the domain,
    asked for each, agrees, whatever else differs between them."""
    from sixplustwo.domain.actions import decided_by

    rule = next(r for r in default_playbook() if r.anchor == "milestone")
    milestones = tuple(Milestone(i, "封顶", day) for i, day in enumerate(reached, start=1))
    events = tuple(Event(rule.name, day) for day in done)
    visited, subscribed, birthday, planned = others
    a = OwnerFacts(first, signed_on=signed, delivered_on=delivered, milestones=milestones,
                   events=events)  # fmt: skip
    b = OwnerFacts(second, visited_on=visited, subscribed_on=subscribed, signed_on=signed,
                   delivered_on=delivered, birthday=birthday, planned_delivery=planned,
                   milestones=milestones, events=events)  # fmt: skip
    assert decided_by(rule, a) == decided_by(rule, b)

    def without_id(facts):
        return [
            replace(action, action_id=action.action_id.split(":", 1)[1], subject_id=0)
            for action in rule_actions(rule, facts, today)
        ]

    assert without_id(a) == without_id(b)
