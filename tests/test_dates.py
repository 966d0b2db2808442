"""Golden tests for date parsing and calendar arithmetic (month ends, leap days)."""

import calendar
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sixplustwo.domain.dates import Offset, anniversary, parse_date
from sixplustwo.domain.errors import InvalidInput


@pytest.mark.parametrize(
    "text",
    [
        "2024-03-05",
        "2024/3/5",
        "2024.3.5",
        "20240305",
        "2024年3月5日",
        " 2024-3-5 ",
        "2024年03月05日",
    ],
)
def test_accepted_date_formats(text):
    assert parse_date(text) == date(2024, 3, 5)


@pytest.mark.parametrize(
    "text", ["2024-02-30", "2023-02-29", "05/03/2024", "yesterday", "2024-13-01", ""]
)
def test_bad_dates_are_refused_with_the_value_named(text):
    with pytest.raises(InvalidInput) as raised:
        parse_date(text, what="--signed")
    assert str(raised.value).startswith("--signed:")


@pytest.mark.parametrize(
    ("anchor", "offset", "expected"),
    [
        (date(2024, 1, 31), "+3mo", date(2024, 4, 30)),
        (date(2023, 11, 30), "+3mo", date(2024, 2, 29)),
        (date(2022, 11, 30), "+3mo", date(2023, 2, 28)),
        (date(2024, 1, 31), "+3mo+14d", date(2024, 5, 14)),
        (date(2024, 2, 29), "+1y", date(2025, 2, 28)),
        (date(2024, 2, 29), "+4y", date(2028, 2, 29)),
        (date(2024, 3, 31), "+2y-30d", date(2026, 3, 1)),
        (date(2024, 5, 31), "-3mo-14d", date(2024, 2, 15)),
        (date(2024, 3, 10), "-20d", date(2024, 2, 19)),
    ],
)
def test_offsets_use_calendar_arithmetic(anchor, offset, expected):
    assert Offset.parse(offset).apply(anchor) == expected


def test_offset_text_round_trips():
    for text in ["+3mo+14d", "-20d", "+1y", "+2y-30d", "-3mo-14d"]:
        assert str(Offset.parse(text)) == text


@pytest.mark.parametrize("text", ["3 months", "+3m", "++3d", "+3d junk"])
def test_bad_offsets_are_refused(text):
    with pytest.raises(InvalidInput):
        Offset.parse(text)


def test_leap_day_birthday_falls_on_feb_28_in_common_years():
    born = date(1988, 2, 29)
    assert anniversary(born, 2025) == date(2025, 2, 28)
    assert anniversary(born, 2028) == date(2028, 2, 29)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)))
def test_every_written_form_of_a_date_parses_back(day):
    forms = [
        day.isoformat(),
        f"{day.year}/{day.month}/{day.day}",
        f"{day.year}.{day.month}.{day.day}",
        day.strftime("%Y%m%d"),
        f"{day.year}年{day.month}月{day.day}日",
    ]
    for form in forms:
        assert parse_date(form) == day


@given(
    st.dates(min_value=date(1950, 1, 1), max_value=date(2100, 12, 31)),
    st.integers(0, 10),
    st.integers(0, 24),
)
def test_month_offsets_never_roll_into_the_next_month(anchor, years, months):
    result = Offset(years, months, 0).apply(anchor)
    total = anchor.year * 12 + anchor.month - 1 + years * 12 + months
    assert (result.year, result.month) == (total // 12, total % 12 + 1)
    month_end = calendar.monthrange(result.year, result.month)[1]
    assert result.day == min(anchor.day, month_end)
