from __future__ import annotations

import pytest

from ivr.nlu import CATEGORIES, understand


@pytest.mark.parametrize(
    ("text", "category", "problem"),
    [
        ("нет горячей воды второй день", "water", "no_hot_water"),
        ("батарея холодная в детской", "heating", "no_heating"),
        ("засор в раковине вода стоит", "sewer", "sewer_blockage"),
        ("мусоропровод забит между этажами", "cleaning", "garbage_chute_blockage"),
        ("застрял в лифте между этажами", "elevator", "lift_person_stuck"),
        ("крыша протекает на последнем этаже", "roof", "roof_leak"),
        ("в подъезде разбито стекло", "common_property", "entrance_glass"),
        ("пахнет газом на площадке", "gas", "gas_smell"),
        ("прорвало трубу в подвале", "water", "burst_pipe"),
        ("домофон не работает", "common_property", "intercom"),
        ("розетка искрит на кухне", "electricity", "sparking"),
        ("уборку в подъезде не делают", "cleaning", "stairwell_cleaning"),
        ("квитанция пришла с ошибкой", "other", "billing"),
    ],
)
def test_category_and_problem(text: str, category: str, problem: str) -> None:
    u = understand(text)
    assert (u.category, u.problem) == (category, problem)


def test_scores_and_confidence() -> None:
    u = understand("в лифте не горит свет")
    assert u.category == "elevator"
    assert set(u.scores) == set(CATEGORIES)
    assert 0.0 <= u.category_confidence <= 1.0
    assert u.scores["electricity"] > 0  # the card can show the runner-up


def test_confidence_is_low_for_thin_or_mixed_evidence() -> None:
    clear = understand("сильно пахнет газом")
    thin = understand("здравствуйте у нас проблема")
    assert thin.category == "other"
    assert thin.category_confidence < 0.5 < clear.category_confidence


def test_yo_and_ye_are_the_same() -> None:
    assert understand("течёт батарея").emergency_reasons == understand("течет батарея").emergency_reasons != ()


def test_understanding_fields() -> None:
    u = understand("на улице ленина дом пять прорвало трубу")
    assert u.emergency and "burst_pipe" in u.emergency_reasons
    assert u.address is not None and u.address.as_labelled() == {"street": "ленина", "house": "5", "building": None, "apartment": None}
