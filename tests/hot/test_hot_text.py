"""What the hot-issue engine reads in a complaint: words, named places, district codes."""

from __future__ import annotations

import pytest

from coordination.hot import text


@pytest.mark.parametrize(
    ("written", "places"),
    [
        ("A3区青松苑小区门口垃圾站臭气熏天", ["青松苑小区"]),
        ("投诉A市丽发新城附近搅拌站噪音扰民", ["丽发新城"]),
        ("A5区劳动东路魅力之城小区一楼油烟扰民", ["劳动东路", "魅力之城小区"]),
        ("暮云街道丽发新城社区", ["暮云街道", "丽发新城社区"]),
        ("A7县春华镇金鼎村水泥路到户", ["春华镇", "金鼎村"]),
        ("请加快育才中学的建设", ["育才中学"]),
        # nothing specific: a generic road, a government, a common word ending in 路
        ("我们小区旁边的道路坑坑洼洼", []),
        ("市政府门口修路", []),
        ("老板跑路了，城管不管", []),
    ],
)
def test_places_named_in_the_text(written, places):
    assert text.places(text.normalize(written)) == places


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("丽发新城", "丽发新城小区", True),
        ("丽发新城社区", "丽发新城小区", True),
        ("魅力之城", "万科魅力之城小区", True),
        ("劳动东路", "劳动西路", False),
        ("泉塘中学", "泉塘小区", False),  # a school is not a compound
        ("青松苑小区", "红枫家园", False),
        ("丽发小区", "丽发新城", False),  # a two-character core must be equal
    ],
)
def test_same_place(a, b, same):
    assert text.same_place(a, b) is same
    assert text.same_place(b, a) is same


def test_place_kinds():
    assert [text.place_kind(p) for p in ("青松苑小区", "桂湖路", "育才中学", "暮云街道")] == [
        "home",
        "road",
        "school",
        "area",
    ]


def test_districts_are_masked_codes_with_a_number():
    assert text.districts(text.normalize("A市A3区与A7县交界，西地省")) == ["A3区", "A7县"]


def test_words_keep_unknown_names_as_bigrams_and_drop_function_words():
    found = text.words(text.normalize("丽发新城太吵了，请尽快处理"))
    assert "丽发" in found
    assert "新城" in found
    assert not {"处理", "尽快", "吵了", "太吵"} & set(found)


def test_terms_add_the_bigrams_of_long_words():
    assert text.terms(["搅拌站"]) == {"搅拌站": 1, "搅拌": 1, "拌站": 1}


def test_text_is_normalised_to_half_width_upper_case():
    assert text.normalize("Ａ３区ａｂ") == "A3区AB"


def test_building_numbers_are_no_keywords():
    """ "5号楼停水" is about water: the building's number says where, not what (the place
    rule has the compound)."""
    words = text.words(text.normalize("新桥社区5号楼停水，2单元也停了"))
    assert "停水" in words
    assert "号楼" not in words and "单元" not in words
