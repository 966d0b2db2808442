"""A flat is a flat (issue 28): one key for every way a flat is written (``domain/flats.py``),
unique per project in the database, and every lookup by it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sixplustwo.domain.flats import flat_key
from sixplustwo.domain.search import query_kinds, unit_key

_FULL_WIDTH = str.maketrans("0123456789-#", "０１２３４５６７８９－＃")

# How a building, an entrance and a room are written: (before, after) each number.
_BUILDING = [("", "-"), ("", "栋"), ("", "幢"), ("", "号楼"), ("", "座"), ("", "#"), ("", " 栋 "),
             ("", "-"), ("", "号")]  # fmt: skip
_ENTRANCE = [("", "-"), ("", "单元"), ("", " 单元 "), ("", "单元-"), ("0", "-")]
_ROOM = [("", ""), ("", "室"), ("", "号"), ("0", ""), ("", " 室")]


@st.composite
def spelled(draw, building: int, entrance: int, room: int) -> str:
    b, e = draw(st.sampled_from(_BUILDING)), draw(st.sampled_from(_ENTRANCE))
    r = draw(st.sampled_from(_ROOM))
    text = f"{b[0]}{building}{b[1]}{e[0]}{entrance}{e[1]}{r[0]}{room}{r[1]}"
    if draw(st.booleans()):
        text = text.translate(_FULL_WIDTH)
    if draw(st.booleans()):
        text = f" {text} "
    return text


triples = st.tuples(st.integers(1, 99), st.integers(1, 12), st.integers(1, 3399))


@given(triples, st.data())
def test_every_spelling_of_a_flat_gives_one_key(triple, data):
    key = flat_key(f"{triple[0]}-{triple[1]}-{triple[2]}")
    assert key == "-".join(map(str, triple))
    for _ in range(5):
        assert flat_key(data.draw(spelled(*triple))) == key


@given(triples, triples, st.data())
def test_different_flats_give_different_keys(one, other, data):
    if one != other:
        assert flat_key(data.draw(spelled(*one))) != flat_key(data.draw(spelled(*other)))


def test_the_spellings_the_team_met():
    spellings = ["5-1-1201", "5栋1单元1201", "5幢1单元1201室", "5号楼1单元1201",
                 "５－１－１２０１", "5 栋 1 单元 1201", "5座1单元1201", "5#1单元1201号",
                 "5-01-01201"]  # fmt: skip
    assert {flat_key(text) for text in spellings} == {"5-1-1201"}
    assert flat_key("A座1201") == "a-1201"


@given(st.sampled_from(["商铺", "别墅", "车位", "地下室"]), st.text("AB0123-", max_size=4))
def test_flats_that_are_not_numbers_keep_a_key_of_their_own(word, rest):
    text = word + rest + "1"
    key = flat_key(text)
    assert key == flat_key(text) == flat_key(key)  # stable, and a key is its own key
    assert word in key  # never a numbered flat's key
    assert key == flat_key(f" {text.translate(_FULL_WIDTH)} ")


def test_shops_and_villas_are_not_flats_of_the_same_numbers():
    assert flat_key("商铺A-3") == "商铺a-3" != flat_key("A-3")
    assert flat_key("别墅12") != flat_key("12") != flat_key("商铺12")


def test_search_reads_a_flat_by_the_same_key():
    assert unit_key("5幢1单元1201室") == flat_key("5-1-1201")
    assert unit_key(None) is None and unit_key("") is None
    assert query_kinds("5栋1单元1201")["flat"] == "5-1-1201"
    assert query_kinds("商铺A-3")["flat"] == "商铺a-3"
