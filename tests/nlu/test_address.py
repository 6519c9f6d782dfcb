from __future__ import annotations

import pytest

from ivr.nlu import parse_address, tokens


def _addr(text: str) -> tuple[str | None, ...] | None:
    a = parse_address(tokens(text))
    return None if a is None else (a.street, a.street_type, a.house, a.building, a.structure, a.apartment)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("улица ленина дом пять квартира двенадцать", ("ленина", "улица", "5", None, None, "12")),
        ("живу на улице садовой дом семь", ("садовая", "улица", "7", None, None, None)),
        ("на садовой улице семь корпус два", ("садовая", "улица", "7", "2", None, None)),
        ("по улице лесную ничего", None),
        ("проспект мира двадцать три", ("мира", "проспект", "23", None, None, None)),
        ("на проспекте мира дом сто сорок пять корпус один", ("мира", "проспект", "145", "1", None, None)),
        ("в тихом переулке дом восемь", ("тихий", "переулок", "8", None, None, None)),
        ("переулок тихий дом два квартира восемь", ("тихий", "переулок", "2", None, None, "8")),
        ("на невском проспекте дом десять", ("невский", "проспект", "10", None, None, None)),
        ("бульвар строителей дом четыре строение три", ("строителей", "бульвар", "4", None, "3", None)),
        ("набережная речная дом один", ("речная", "набережная", "1", None, None, None)),
        ("шоссе энтузиастов сто двенадцать", ("энтузиастов", "шоссе", "112", None, None, None)),
        ("садовая семь корпус два", ("садовая", None, "7", "2", None, None)),
        ("ленина дом пять", ("ленина", None, "5", None, None, None)),
        ("дом пять дробь два квартира сорок", (None, None, "5/2", None, None, "40")),
        ("дом двенадцать буква а", (None, None, "12а", None, None, None)),
        ("в сорок восьмой квартире течёт", (None, None, None, None, None, "48")),
        ("квартира номер сто пять", (None, None, None, None, None, "105")),
        ("в пятом доме по улице гоголя", ("гоголя", "улица", "5", None, None, None)),
        ("улица маршала жукова дом одиннадцать", ("маршала жукова", "улица", "11", None, None, None)),
        ("улица зелёная двенадцать", ("зеленая", "улица", "12", None, None, None)),
    ],
)
def test_addresses(text: str, expected: tuple[str | None, ...] | None) -> None:
    assert _addr(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "на улице холодно батареи не греют",
        "уже две недели не убирают",
        "на девятом этаже слабый напор",
        "в квартире пятнадцать градусов",
        "у нас в квартире очень жарко",
        "третий день нет воды",
    ],
)
def test_no_address(text: str) -> None:
    assert _addr(text) is None
