"""Wrong results refused (issue 27, point 9): the domain's rules on their own, over many
inputs (no database)."""

from __future__ import annotations

import sys
import unicodedata
from datetime import date
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sixplustwo.domain.errors import InvalidInput


def _decimal_digits() -> list[str]:
    return [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Nd"]


DIGITS = _decimal_digits()
# Every script's zero to nine, as runs of ten (Nd comes in blocks of ten).
SCRIPTS = [DIGITS[i : i + 10] for i in range(0, len(DIGITS), 10)]


# -- referrals --------------------------------------------------------------------------


def test_a_referral_cycle_is_found_whatever_its_length():
    from sixplustwo.domain.rules import referral_cycle

    assert referral_cycle(1, {1: 2, 2: 1}) == (1, 2, 1)
    assert referral_cycle(1, {1: 2, 2: 3, 3: 1}) == (1, 2, 3, 1)
    assert referral_cycle(1, {1: 1}) == (1, 1)
    assert referral_cycle(1, {1: 2, 2: 3, 3: None}) is None
    assert referral_cycle(1, {1: 2, 2: 3, 3: 2}) is None  # a cycle not through 1
    assert referral_cycle(1, {1: 2}) is None  # 2's referrer unknown: none


@given(st.dictionaries(st.integers(1, 12), st.integers(1, 12)), st.integers(1, 12))
def test_a_cycle_is_found_exactly_when_following_referrers_comes_back(referrer_of, start):
    from sixplustwo.domain.rules import referral_cycle

    seen, at = [start], referrer_of.get(start)
    while at is not None and at not in seen:
        seen.append(at)
        at = referrer_of.get(at)
    found = referral_cycle(start, referrer_of)
    assert (found is not None) == (at == start)
    if found:
        assert found[0] == found[-1] == start
        assert all(referrer_of[a] == b for a, b in pairwise(found))


# -- a completion before its action opens -----------------------------------------------


def test_a_completion_before_the_opening_day_names_the_day():
    from sixplustwo.domain.actions import Action, check_completion_day

    action = Action("o1:revisit-3m", "revisit-3m", "5", "owner", 1, date(2025, 12, 1),
                    date(2025, 12, 15), 30, "open")  # fmt: skip
    with pytest.raises(InvalidInput) as refused:
        check_completion_day(action, date(2020, 1, 1))
    assert refused.value.params["opens"] == date(2025, 12, 1)
    check_completion_day(action, date(2025, 12, 1))
    check_completion_day(action, date(2026, 6, 1))  # late is late, not refused


# -- invisible text ----------------------------------------------------------------------

INVISIBLE = st.characters(categories=["Cf", "Zs", "Mn", "Me"]).filter(
    lambda c: c.isprintable() or unicodedata.category(c) == "Cf"
)


@given(st.text(INVISIBLE, min_size=1, max_size=20))
def test_a_line_of_invisible_characters_is_refused(text):
    from sixplustwo.domain.text import line_problem

    problem = line_problem(text, 100)
    assert problem is not None


@given(
    st.text(INVISIBLE, max_size=5),
    st.characters(categories=["L", "N", "P", "S"]),
    st.text(INVISIBLE, max_size=5),
)
def test_a_line_with_a_visible_character_is_not_refused_as_invisible(before, char, after):
    from sixplustwo.domain.text import line_problem

    problem = line_problem(before + char + after, 100)
    assert problem is None or "visible" not in problem.msgid


@pytest.mark.parametrize("name", ["王伟", "Zoë", "Zoe\u0308", "阿卜杜拉·买买提", "𪨶", "·"])
def test_names_people_have_are_kept(name):
    from sixplustwo.domain.owner_input import owner_text

    assert owner_text("name", name) == name


# -- digits ------------------------------------------------------------------------------


@given(st.sampled_from(SCRIPTS), st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_a_mobile_in_any_scripts_digits_is_stored_in_ascii(script, mobile):
    from sixplustwo.domain.phones import normalise_phone

    typed = "".join(script[int(d)] for d in mobile)
    assert normalise_phone(typed) == mobile
    assert normalise_phone(f"+{script[8]}{script[6]} {typed}") == mobile


@given(st.sampled_from(SCRIPTS), st.from_regex(r"[0-9]{4}", fullmatch=True))
def test_last_four_digits_in_any_script_are_looked_up_in_ascii(script, tail):
    from sixplustwo.domain.search import query_kinds

    typed = "".join(script[int(d)] for d in tail)
    assert query_kinds(typed)["tail"] == tail
    assert query_kinds("*" + typed)["tail"] == tail


# -- SMS length ----------------------------------------------------------------------------


def test_sms_parts_count_utf16_units():
    from sixplustwo.domain.messages import sms_parts, sms_units

    assert sms_units("王" * 70) == 70 and sms_parts("王" * 70) == 1
    assert sms_parts("王" * 71) == 2
    assert sms_parts("王" * 134) == 2 and sms_parts("王" * 135) == 3
    assert sms_parts("王" * 201) == 3 and sms_parts("王" * 202) == 4
    assert sms_units("𪨶") == 2
    assert sms_parts("𪨶" * 35) == 1 and sms_parts("𪨶" * 36) == 2
    assert sms_parts("𪨶" * 100) == 4  # 200 units, but a part holds 33 (a pair is not split)


@given(
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=300),
    st.text(st.characters(min_codepoint=0x20000, max_codepoint=0x2A6DF), max_size=120),
)
def test_a_rendered_message_never_exceeds_three_parts(text, rare):
    from sixplustwo.domain.messages import render_message, sms_parts

    message = render_message("尊敬的{name}，" + text, {"name": rare})
    assert sms_parts(message) <= 3
    if sms_parts("尊敬的" + rare + "，" + text) <= 3:
        assert message == "尊敬的" + rare + "，" + text  # cut only when it must be


def test_a_template_text_is_measured_in_utf16_units():
    from sixplustwo.domain.messages import template_problem

    assert template_problem("王" * 201) is None
    assert template_problem("𪨶" * 101) is not None  # 202 units
