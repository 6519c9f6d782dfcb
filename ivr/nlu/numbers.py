"""Russian numbers spoken as words, as Vosk prints them, to integers.

Cardinals in any case ("двадцать три", "двадцати трех"), ordinals in any gender and case
("сорок пятый", "в двадцать третьей"), compounds up to 999; digits pass through.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

_CARDINALS: dict[str, tuple[int, int]] = {}  # word -> (value, magnitude)


def _add(words: str, value: int, magnitude: int) -> None:
    for w in words.split():
        _CARDINALS[w] = (value, magnitude)


for _value, _forms in {
    0: "ноль нуль", 1: "один одна одно одного одной одному одним одном одну", 2: "два две двух двум двумя",
    3: "три трех трем тремя", 4: "четыре четырех четырем четырьмя", 5: "пять пяти пятью",
    6: "шесть шести шестью", 7: "семь семи семью", 8: "восемь восьми восемью восьмью", 9: "девять девяти девятью",
}.items():
    _add(_forms, _value, 1)
for _value, _forms in {
    10: "десять десяти", 11: "одиннадцать одиннадцати", 12: "двенадцать двенадцати", 13: "тринадцать тринадцати",
    14: "четырнадцать четырнадцати", 15: "пятнадцать пятнадцати", 16: "шестнадцать шестнадцати",
    17: "семнадцать семнадцати", 18: "восемнадцать восемнадцати", 19: "девятнадцать девятнадцати",
}.items():
    _add(_forms, _value, 0)  # a teen ends the number: nothing smaller follows it
for _value, _forms in {
    20: "двадцать двадцати", 30: "тридцать тридцати", 40: "сорок сорока", 50: "пятьдесят пятидесяти",
    60: "шестьдесят шестидесяти", 70: "семьдесят семидесяти", 80: "восемьдесят восьмидесяти", 90: "девяносто девяноста",
}.items():
    _add(_forms, _value, 10)
for _value, _forms in {
    100: "сто ста", 200: "двести двухсот", 300: "триста трехсот", 400: "четыреста четырехсот", 500: "пятьсот пятисот",
    600: "шестьсот шестисот", 700: "семьсот семисот", 800: "восемьсот восьмисот", 900: "девятьсот девятисот",
}.items():
    _add(_forms, _value, 100)

_ORDINAL_STEMS: dict[str, tuple[int, int]] = {
    "перв": (1, 1), "втор": (2, 1), "трет": (3, 1), "четверт": (4, 1), "пят": (5, 1), "шест": (6, 1),
    "седьм": (7, 1), "восьм": (8, 1), "девят": (9, 1), "десят": (10, 0), "одиннадцат": (11, 0),
    "двенадцат": (12, 0), "тринадцат": (13, 0), "четырнадцат": (14, 0), "пятнадцат": (15, 0),
    "шестнадцат": (16, 0), "семнадцат": (17, 0), "восемнадцат": (18, 0), "девятнадцат": (19, 0),
    "двадцат": (20, 10), "тридцат": (30, 10), "сороков": (40, 10), "пятидесят": (50, 10),
    "шестидесят": (60, 10), "семидесят": (70, 10), "восьмидесят": (80, 10), "девяност": (90, 10),
    "сот": (100, 100), "двухсот": (200, 100), "трехсот": (300, 100), "четырехсот": (400, 100), "пятисот": (500, 100),
}
_ADJ_ENDINGS = (
    "ый ой ий ая яя ое ее ого его ому ему ом ем ую юю ые ие ых их ым им ыми ими ей"
).split()
_THIRD_ENDINGS = "ий ья ье ьего ьей ьему ьем ьим ьи ьих ьими ью".split()


def ordinal_value(token: str) -> tuple[int, int] | None:
    """(value, magnitude) of an ordinal word form, e.g. "двадцатой" -> (20, 10)."""
    for stem, vm in _ORDINAL_STEMS.items():
        if token.startswith(stem):
            ending = token[len(stem):]
            endings = _THIRD_ENDINGS if stem == "трет" else _ADJ_ENDINGS
            if ending in endings:
                return vm
    return None


@dataclass(frozen=True, slots=True)
class Number:
    value: int
    start: int
    end: int  # index after the last token
    ordinal: bool


def parse_number(tokens: Sequence[str], start: int) -> Number | None:
    """The number spelt from ``tokens[start]`` on, or None if no number starts there."""
    if start >= len(tokens):
        return None
    if tokens[start].isdigit():
        return Number(int(tokens[start]), start, start + 1, False)
    total, last_mag, i, ordinal = 0, 1000, start, False
    while i < len(tokens):
        tok = tokens[i]
        card = _CARDINALS.get(tok)
        vm = card or ordinal_value(tok)
        if vm is None:
            break
        value, mag = vm
        if mag >= last_mag or (last_mag == 10 and mag == 0) or (last_mag == 1 and mag == 1):
            break  # "двадцать двенадцать", "пять три": a new number begins
        total += value
        last_mag = mag if mag else -1  # a teen closes the number
        i += 1
        if card is None:
            ordinal = True
            break
        if value == 0:
            break
    if i == start:
        return None
    return Number(total, start, i, ordinal)


def is_number_word(token: str) -> bool:
    return token.isdigit() or token in _CARDINALS or ordinal_value(token) is not None
