"""The bulk import's fast check of plain rows agrees with the full validation, row by row."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sixplustwo.domain.errors import InvalidInput
from sixplustwo.domain.owners import (
    PLAIN_INPUT_FIELDS,
    owner_record,
    owner_values,
    plain_owner_values,
)
from sixplustwo.io.importing import OwnerFile

TODAY = date(2026, 11, 22)


def _full(cells: tuple[str, ...]):
    """The slow path: validate as any row is validated, then lay out as stored."""
    try:
        return owner_values(owner_record(dict(zip(PLAIN_INPUT_FIELDS, cells, strict=True)), TODAY))
    except InvalidInput:
        return None


_day = st.dates(date(1885, 1, 1), date(2031, 12, 31))
odd_dates = st.one_of(
    _day.map(lambda d: f"{d.year}/{d.month}/{d.day}"),  # valid, not plain
    _day.map(lambda d: f"{d:%Y%m%d}"),
    _day.map(lambda d: f" {d.isoformat()}"),
    st.sampled_from(["2024-02-30", "2023-02-29", "2024-13-01", "0000-01-01", "2024-1-05"]),
    st.sampled_from(["abcd-ef-gh", "2024-02-29", "1900-01-01", "1899-12-31", "  ", "2024—03—05"]),
)


@st.composite
def rows(draw) -> tuple[str, ...]:
    """Mostly plain rows near the edges of the rules (journey order, birthdays in the future
    or before 1900), and some of every other kind."""

    def cell(plain: str, *others: str) -> str:
        return plain if draw(st.integers(0, 9)) < 8 else draw(st.sampled_from(others))

    def date_cell(day: date) -> str:
        kind = draw(st.integers(0, 9))
        return "" if kind < 2 else draw(odd_dates) if kind == 2 else day.isoformat()

    journey = sorted(draw(st.lists(_day, min_size=5, max_size=5)))
    if draw(st.booleans()):
        journey = draw(st.permutations(journey))  # sometimes out of order
    born = draw(st.one_of(_day, st.dates(date(1895, 1, 1), date(1904, 12, 31)), st.just(TODAY),
                          st.dates(TODAY, date(2027, 1, 31))))  # fmt: skip
    visited, subscribed, signed, delivered, delivery_date = map(date_cell, journey)
    return (
        cell("张三", " 李四 ", "", "  "),
        cell("13812345678", " 13912345678 ", "12812345678", "1381234567", "+8613812345678",
             "138 1234 5678", "021-12345678", "", "１３８１２３４５６７８", "+86 138-1234-5678",
             "0086 13812345678", "86-13812345678", "＋８６ １３８ １２３４ ５６７８",
             "+86 12812345678", "138 1234 567a", "(138)1234.5678", "+86 13812345678",
             "+86 138 1234 5678", "+86 1381234567", "+86 138123456789", "+86\t13812345678",
             "+86" + " " * 45 + "13812345678"),
        cell("P01", " P02", ""),
        cell("1-101", " 2-1201 ", ""),
        visited, subscribed, signed, delivery_date, delivered, date_cell(born),
        cell("王管家", "", " 管家007 "),
        cell("", "o5", "5", "x", " "),
        cell("", "是", "否", "农历", " "),
    )  # fmt: skip


@pytest.mark.parametrize("examples", [400, pytest.param(3000, marks=pytest.mark.slow)])
def test_plain_rows_are_stored_exactly_as_the_full_validation_stores_them(examples):
    @settings(max_examples=examples, deadline=None)
    @given(rows())
    def check(cells):
        plain = plain_owner_values(cells, TODAY.isoformat())
        if plain is not None:
            assert plain == _full(cells)

    check()


def test_the_usual_row_takes_the_fast_path():
    cells = ("马远", "13617548831", "P01", "1-1-101", "2022-08-10", "2022-09-09", "2022-09-21",
             "", "2024-04-10", "1982-04-23", "管家000", "", "")  # fmt: skip
    assert plain_owner_values(cells, TODAY.isoformat()) == _full(cells)
    assert plain_owner_values(cells, TODAY.isoformat()) is not None


def test_file_values_match_the_records_of_a_mixed_file(tmp_path):
    """Fast rows, slow rows, short rows, bad rows and a repeated column, through the file."""
    path = tmp_path / "mixed.csv"
    path.write_text(
        "姓名,手机,项目,房号,签约日期,实际交付日期,生日,管家,备注,房号\n"
        "马远,13617548831,P01,x,2022-09-21,2024-04-10,1982-04-23,管家1,,1-101\n"
        "罗志,+86 153 6857 6819,P02,x,2016/4/28,,,,,1-102\n"
        "李娜,13012345678,P01,x,2024-05-01,2024-04-10,,,,1-103\n"
        "王五,13012345679,P01\n"
        "\n"
        "赵六,13012345670,P01,x,2024-05-01,,2030-01-01,,,1-104\n"
        "钱七,13012345671,P01,x,,,,,,1-105,extra\n",
        encoding="utf-8",
    )
    slow = [
        (number, item if isinstance(item, InvalidInput) else owner_values(item))
        for number, item in OwnerFile(path, TODAY)
    ]
    fast = list(OwnerFile(path, TODAY).values())
    assert fast == slow
    assert [number for number, item in fast if isinstance(item, InvalidInput)] == [4, 5, 7]
    assert fast[0][1][1] == "1-101"  # the last 房号 column wins, as in the full path


def test_a_ledger_kept_by_hand_takes_the_fast_path_too():
    """Slash dates and phones written with spaces or +86, as a hand-kept Excel ledger has them
    (benchmarks/generate.py's "handkept" shape): stored as the full validation stores them."""
    cells = ("马远", "+86 136 1754 8831", "P01", "1-1-101", "2022/8/10", "2022/9/9",
             "2022年9月21日", "20240303", "2024/4/10", "1982/4/23", "管家000", "", "")  # fmt: skip
    plain = plain_owner_values(cells, TODAY.isoformat())
    assert plain is not None
    assert plain == _full(cells)
    assert plain[3] == "13617548831" and plain[4] == "2022-08-10" and plain[9] == "1982-04-23"


def test_a_mobile_typed_in_full_width_is_stored_in_ascii_digits():
    """A Chinese input method types １３８… and ＋８６; the SMS platform needs 13812345678 (the
    old check let full-width digits through as they were)."""
    from sixplustwo.domain.phones import normalise_phone

    assert normalise_phone("１３８１２３４５６７８") == "13812345678"
    assert normalise_phone("＋８６ １３８－１２３４－５６７８") == "13812345678"
