"""Emergencies: what must be handled at once (flooding, burst pipe, sparking, person stuck in a
lift, gas smell, falling ice or roofing, sewage pouring out), each with the reason found.

Triggers are negation-aware ("не искрит", "газом не пахнет", "запаха газа нет"), and mild
wordings ("кран капает", "подтекает") deliberately trigger nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from .rules import Rule, fires, rule, stem

_GAS = stem("газ", exclude="газон|газет|газел")
_PIPE = "труб|стояк|кран|батар|радиатор|подводк|шланг|вентил|=вода|=воду"
_BURST = "прорв|прорыв|лопн|лопал|сорв|разорв|оторв"
_PEOPLE = "внутри|люди|человек|ребен|ребят|дет|женщин|мужчин|бабушк|дедушк|сидит|сидят|заперт"

RULES: tuple[tuple[str, Rule], ...] = (
    ("flooding", rule("затоп|затапл|подтоп|потоп", blockers="плохо|еле|слабо")),
    ("flooding", rule("=топят|=топит", "нас|меня|сверху|сосед|квартир", window=2, blockers="плохо|еле|слабо|хорошо")),
    ("flooding", rule("залив|залил|залива|залье")),
    ("flooding", rule("хлещ|хлыщ|фонтан|ручьем|ручьи|=ручей")),
    ("flooding", rule("бьет|бьют|хлынул", "вод|кипят|струя|фонтан", window=2)),
    ("flooding", rule("лье|льет|льется|течет|бежит", "потол|стен|сверху", "вод|кипят", window=3)),
    ("flooding", rule("теч|лье|бежит", "лестниц|подъезд|двер", stem("вод", exclude="водосток"), window=3)),
    # Pouring from above, said with how much: "течёт сверху сильно", "с потолка как из ведра".
    ("flooding", rule("теч|лье|льет|бежит|хлещ|хлыщ", "потол|сверху", "сильно|струе|струей|ведр|потоком|рекой|=море", window=4)),
    # Standing water: "подвал весь в воде", "вода по щиколотку", "по колено".
    ("flooding", rule("щиколот|колен|=море|=пояс", "вод|канализ|нечистот|затоп|залил|стоит|стоят", window=5, trailing_negation=True)),
    ("flooding", rule("подвал|квартир|кухн|прихож|коридор", "=в", "=воде", window=3)),
    ("burst_pipe", rule(_BURST, _PIPE, window=3)),
    ("hot_water_leak", rule(stem("батар", exclude="батарейк"), "потек|теч|бежит|хлещ|лье", window=4)),
    ("hot_water_leak", rule("кипят", "теч|лье|хлещ|бьет|бежит|залива|пар", window=3)),
    ("sparking", rule("искр|коротит|коротн|замыкан", trailing_negation=True)),
    ("smoke", rule("пожар|задымл|=дым|=дыма|=дымом|дымит|дымится|=горим|=огонь|=гарь|=гарью|=гари", trailing_negation=True)),
    ("smoke", rule("горит|горят|горел|плавит", "провод|щит|розетк|проводк|счетчик|кабел|электр", window=3)),
    ("exposed_wires", rule("оголен|оборван|оборвал|висит|висят|торчит|торчат|свисает|свисают|валяется|лежит|лежат|упал|порва|повис", "провод|кабел", window=3)),
    ("lift_person_stuck", rule("застр|заперт|заблокир", "лифт|кабин", window=5)),
    ("lift_person_stuck", rule("лифт", "завис|остановил|встал|заклинил", _PEOPLE + "|=мы|=я", window=8)),
    ("gas_smell", rule(_GAS, "пах|попах|запах|воня|утечк|шипит|чувству|несет|травит|тянет", window=3, trailing_negation=True)),
    ("falling_ice", rule("сосул|глыб", trailing_negation=True)),
    ("falling_ice", rule("налед|=лед|=льда|снег", "крыш|козыр|карниз|кровл|балкон", "пада|упад|упаст|свиса|виси|сорв|срыв|летит|лет|рухн|сход|навис", window=6)),
    ("falling_roofing", rule("шифер|кровл|кирпич|штукатур|облицов|плит|черепиц|кусок|куски", "пада|сорв|срыв|летит|летят|рухн|обруш|сдуло|снесло|оторв", window=3)),
    ("sewage_overflow", rule("люк|канализ|фекал|нечистот|=стоки", "теч|лье|хлещ|бьет|затоп|залива|фонтан|вылива|переполн|разлив", window=3)),
    # Sewage coming up into a flat: "канализация поднимается из ванной и льётся на пол".
    ("sewage_overflow", rule("канализ|фекал|нечистот", "поднима|прет|лезет|выход", "=пол|=полу|квартир|коридор", window=8)),
)


def negated(tokens: Sequence[str]) -> bool:
    """An emergency named and denied: "газом не пахнет", "не искрит", "запаха газа нет"."""
    return any(fires(r, tokens) and not fires(r, tokens, negation=True) for _, r in RULES)


def detect(tokens: Sequence[str]) -> list[str]:
    """The distinct reasons that make this an emergency, in rule order; empty if none."""
    reasons: list[str] = []
    for reason, r in RULES:
        if reason not in reasons and fires(r, tokens, negation=True):
            reasons.append(reason)
    return reasons
