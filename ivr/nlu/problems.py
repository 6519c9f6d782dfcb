"""The problem within a category, where the words make it clear (it sets the deadline)."""

from __future__ import annotations

from collections.abc import Sequence

from .rules import Rule, fires, rule, stem

_WATER = stem("вод", exclude="водосток|водосточ|водоотв")
_OFF = "=нет|=нету|отключ|=не|пропал|перекрыл"

# (problem, category, rule): the first rule of the chosen category that fires wins.
RULES: tuple[tuple[str, str, Rule], ...] = (
    ("burst_pipe", "water", rule("прорв|прорыв|лопн|лопал|сорв|разорв|оторв", "труб|стояк|кран|подводк|шланг|вентил", window=3)),
    ("flooding", "water", rule("затоп|затапл|подтоп|потоп|залив|залил|залива|=топят|хлещ|ручьем")),
    ("no_hot_water", "water", rule(_OFF, "горяч", _WATER, window=3)),
    ("no_cold_water", "water", rule(_OFF, "холодн", _WATER, window=3)),
    ("no_water", "water", rule(_OFF, _WATER, window=2)),
    ("low_pressure", "water", rule("напор|еле|слаб", _WATER, window=3)),
    ("water_quality", "water", rule("ржав|мутн|гряз|желт|кипят|воня|пахн", _WATER, window=3)),
    ("tap_leak", "water", rule("кран|смесит|бачок|бачк", "теч|капа|подтек|бежит", window=3)),
    ("leak_from_above", "water", rule("потол|сверху", "теч|капа|протек|протеч|лье|мокр", window=4)),
    ("leak", "water", rule("теч|капа|протек|протеч|подтек|лье")),
    ("sewer_overflow", "sewer", rule("люк|канализ|фекал|нечистот", "теч|лье|хлещ|бьет|затоп|залива|фонтан|вылива|переполн|разлив", window=3)),
    ("sewer_blockage", "sewer", rule("засор|забит|забил|=уходит|обратно|поднима|прочист")),
    ("sewer_smell", "sewer", rule("пах|запах|воня|вонь", "канализ|подвал|фекал", window=3)),
    ("heating_leak", "heating", rule(stem("батар", exclude="батарейк"), "потек|теч|бежит|хлещ|лье|капа|подтек|прорв|лопн", window=3)),
    ("no_heating", "heating", rule("холодн|=нет|=не|отключ|ледян|еле|плохо|слабо|мерзн|замерз|=холодно", "батар|радиатор|отоплен|тепл|греют|греет|топят", window=3)),
    ("overheating", "heating", rule("=жарко|раскален|=душно|слишком")),
    ("heating_noise", "heating", rule("стуч|шум|гуд|журч")),
    ("sparking", "electricity", rule("искр|коротит|коротн|замыкан|дым|горит|горел")),
    ("exposed_wires", "electricity", rule("оголен|оборван|оборвал|висит|висят|торчит|свисает", "провод|кабел", window=3)),
    ("power_outage", "electricity", rule("=нет|отключ|пропал|выбива|выбил|вырубил|обесточ", "свет|электр|напряжени|автомат|пробк", window=3)),
    ("socket_damage", "electricity", rule("розетк|выключат|оплав")),
    ("lighting_out", "electricity", rule("лампоч|освещен|=темно|=не", "горит|горят|лампоч|освещ|=темно", window=3)),
    ("lift_person_stuck", "elevator", rule("застр|заперт|заблокир", "лифт|кабин|этаж", window=5)),
    ("lift_door", "elevator", rule("двер|створк", "лифт", window=3)),
    ("lift_out_of_order", "elevator", rule("лифт", "=не|стоит|сломал|сломан|останов|встал|кнопк|=едет", window=4)),
    ("gas_smell", "gas", rule(stem("газ", exclude="газон|газет"), "пах|запах|воня|утечк|шипит|несет", window=3)),
    ("icicles", "roof", rule("сосул|налед|глыб")),
    ("roof_leak", "roof", rule("крыш|кровл|потол|последн|чердак", "теч|протек|протеч|капа|мокр|пятн|залива|лье|дожд", window=5)),
    ("gutter", "roof", rule("водосток|водосточ")),
    ("attic_access", "roof", rule("чердак|чердач|люк", "открыт|посторонн|ходит|замок|=нет", window=4)),
    ("intercom", "common_property", rule("домофон|кодов")),
    ("entrance_glass", "common_property", rule("=окно|=окна|окне|=окон|стекл|=рама|=рамы")),
    ("entrance_door", "common_property", rule("двер|доводчик|=замок|ворот")),
    ("railing", "common_property", rule("перил|ступен|пандус")),
    ("garbage_chute_blockage", "cleaning", rule("мусоропровод", "забит|засор|=не|полн|переполн|застрял|воня", window=4)),
    ("garbage_collection", "cleaning", rule("мусор|контейнер", "вывез|вывоз|переполн|=полн|разлет|забрал", window=4)),
    ("snow_removal", "cleaning", rule("снег|сугроб")),
    ("ice_on_path", "cleaning", rule("=лед|=льда|гололед|налед|посып|скольз")),
    ("stairwell_cleaning", "cleaning", rule("убор|убира|убер|убр|помой|помыт|моют|=мыть|гряз")),
    ("pests", "cleaning", rule("таракан|крыс|клоп|дезинсек|дератиз|мыш")),
    ("billing", "other", rule("квитанц|оплат|сумм|перерасчет|тариф|=счет|=долг|бухгалтер")),
    ("meters", "other", rule("счетчик|поверк")),
    ("noise", "other", rule("сверл|=шум|шумят|музык")),
)


def _speaks_of_absence(r: Rule) -> bool:
    """Rules built on "нет"/"не" itself ("нет горячей воды") cannot be cancelled by a negation."""
    return any(p in {"=не", "=нет", "=нету"} for part in r.parts for p in part.prefixes)


def problem_for(category: str, tokens: Sequence[str]) -> str | None:
    for problem, cat, r in RULES:
        if cat == category and fires(r, tokens, negation=not _speaks_of_absence(r)):
            return problem
    return None
