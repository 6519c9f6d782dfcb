from __future__ import annotations

import pytest

from ivr.nlu import parse_number


@pytest.mark.parametrize(
    ("words", "value", "ordinal"),
    [
        ("пять", 5, False),
        ("двадцать три", 23, False),
        ("сто сорок пять", 145, False),
        ("сто пять", 105, False),
        ("триста двенадцать", 312, False),
        ("семьдесят", 70, False),
        ("двадцати трех", 23, False),
        ("двадцать третьей", 23, True),
        ("сорок пятый", 45, True),
        ("сто двадцатой", 120, True),
        ("третьего", 3, True),
        ("первом", 1, True),
        ("двухсотый", 200, True),
        ("42", 42, False),
    ],
)
def test_numbers(words: str, value: int, ordinal: bool) -> None:
    n = parse_number(words.split(), 0)
    assert n is not None
    assert (n.value, n.ordinal, n.end) == (value, ordinal, len(words.split()))


@pytest.mark.parametrize(("words", "value", "end"), [("двадцать двенадцать", 20, 1), ("пять три", 5, 1), ("девятнадцать два", 19, 1)])
def test_a_new_number_begins_where_the_order_breaks(words: str, value: int, end: int) -> None:
    n = parse_number(words.split(), 0)
    assert n is not None and (n.value, n.end) == (value, end)


@pytest.mark.parametrize("word", ["пятно", "пятница", "сторона", "вода", "третировать"])
def test_words_that_only_look_like_numbers(word: str) -> None:
    assert parse_number([word], 0) is None
