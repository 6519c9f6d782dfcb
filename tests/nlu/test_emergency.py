from __future__ import annotations

import pytest

from ivr.nlu import detect_emergency, tokens


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("нас топят соседи сверху", "flooding"),
        ("квартиру затопило по щиколотку", "flooding"),
        ("вода хлещет из стены", "flooding"),
        ("в ванной прорвало трубу", "burst_pipe"),
        ("лопнула труба горячей воды", "burst_pipe"),
        ("потекла батарея в спальне", "hot_water_leak"),
        ("в щитке искрит", "sparking"),
        ("розетка искрится", "sparking"),
        ("в подъезде висят оголённые провода", "exposed_wires"),
        ("из щитка валит дым", "smoke"),
        ("застряли в лифте двое детей", "lift_person_stuck"),
        ("лифт застрял с людьми", "lift_person_stuck"),
        ("сильно пахнет газом в подъезде", "gas_smell"),
        ("запах газа на кухне", "gas_smell"),
        ("утечка газа у соседей", "gas_smell"),
        ("огромные сосульки над подъездом", "falling_ice"),
        ("с крыши падает снег и наледь", "falling_ice"),
        ("с крыши падает шифер", "falling_roofing"),
        ("кровлю сорвало ветром", "falling_roofing"),
        ("из люка хлещет канализация", "sewage_overflow"),
    ],
)
def test_emergencies(text: str, reason: str) -> None:
    assert reason in detect_emergency(tokens(text))


@pytest.mark.parametrize(
    "text",
    [
        "в щитке не искрит но гудит",
        "газом не пахнет просто плита не зажигается",
        "запаха газа нет",
        "кран капает на кухне",
        "смеситель немного подтекает",
        "с потолка капает после дождя",
        "никто не застрял лифт просто не работает",
        "сосулек нет спасибо что сбили",
        "плохо топят батареи еле тёплые",
        "на тротуаре лёд бабушка упала",
        "розетка оплавилась боюсь включать",
        "засор в канализации вода не уходит",
        "кран не хлещет просто течёт понемногу",
        "батарея холодная третий день",
    ],
)
def test_no_emergency(text: str) -> None:
    assert detect_emergency(tokens(text)) == []
