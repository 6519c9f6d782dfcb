"""Which service a complaint is for: weighted stem rules, scores per category.

Weights say how strongly a word points at a service: "лифт" or "газ" nearly decide alone,
"вода" or "подъезд" only lean. The confidence compares the winner with the runners-up so
that the dispatcher card can flag a clash with the key the caller pressed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .rules import Rule, fires, rule, stem

CATEGORIES = (
    "water", "sewer", "heating", "electricity", "elevator", "gas", "roof", "common_property", "cleaning", "other",
)

_GAS = stem("газ", exclude="газон|газет|газел")
_FLOOD_VERB = "топят|топит|затоп|затапл|подтоп|потоп"

RULES: dict[str, tuple[Rule, ...]] = {
    "water": (
        rule(stem("вод", exclude="водосток|водосточ|водоотв|водител"), weight=1.0),
        rule("водопровод|водоснабж", weight=2.5),
        rule(stem("кран", exclude="крановщ")), rule("смесител", weight=3.0),
        rule("кипят", weight=2.5), rule("напор", weight=2.5), rule("ржав|мутн", weight=1.5),
        rule("горяч", stem("вод", exclude="водосток"), weight=2.0, window=2),
        rule("холодн", stem("вод", exclude="водосток"), weight=2.0, window=2),
        rule(_FLOOD_VERB, weight=2.5, blockers="плохо|еле|слабо|хорошо"),
        rule("залив|залил|залива|залье", weight=2.0),
        rule("протеч|протек|подтек", weight=1.5), rule("мойк", weight=1.0),
        rule(stem("вод", exclude="водосток|водосточ|водоотв"), "теч|лье|бежит|капа|хлещ", weight=1.5, window=2),
        rule("труб", "прорв|прорыв|лопн|лопал|сорв|разорв|оторв", weight=2.5),
        rule("теч|бежит|льет|льется|капа|хлещ|ручьем", weight=0.7),
        rule("сосед", "сверху", weight=1.5, window=2),
        rule("полотенцесуш", weight=2.5), rule("сантехник", weight=1.0), rule("бачок|бачк", weight=1.5),
        rule("ванн|душ", weight=0.7), rule("потол", weight=0.5),
    ),
    "sewer": (
        rule("засор", weight=3.0), rule("канализ", weight=3.5), rule("унитаз", weight=2.0),
        rule("фекал|нечистот", weight=3.0), rule("слив", weight=1.5), rule("=сток|=стоки|=стоков", weight=2.0),
        rule("уход|уходит", stem("вод", exclude="водосток"), weight=2.0, window=2),
        rule("люк", "теч|лье|воня|запах|пахн|канализ|фонтан|хлещ", weight=2.0),
        rule("забит|забил|засорил", "раковин|унитаз|ванн|слив|труб", weight=2.0),
        rule("прочистк|прочист", weight=2.0),
    ),
    "heating": (
        rule(stem("батар", exclude="батарейк"), weight=3.0), rule("радиатор", weight=3.0),
        rule("отоплен", weight=3.5), rule("отопит", weight=3.0), rule("теплоснабж", weight=3.5),
        rule("=тепла|=тепло", weight=1.5), rule("=холодно|мерзн|мерзн|замерз", weight=1.5),
        rule("=жарко|=душно|раскален", weight=1.5),
        rule("плохо|еле|слабо|=не", "греют|греет|топят|топит", weight=3.0, window=1),
        rule("греют|греет|нагрев", weight=1.5),
        rule("батар|радиатор|отоплен", "холодн|ледян|чуть|еле", weight=2.0),
        rule("батар|радиатор", "потек|теч|бежит|хлещ|лье|капа|подтек|прорв|лопн|сорв", weight=3.0, window=4),
        rule("завоздуш|воздух|маевск", weight=1.5), rule("=дует|сквозняк", weight=1.0),
    ),
    "electricity": (
        rule("электр", weight=3.5), rule(stem("свет", exclude="светл|светоф"), weight=2.5),
        rule("искр", weight=3.5), rule("розетк", weight=3.5),
        rule(stem("провод", exclude="проводят|проводит|проводил|проводи|проводя"), weight=3.0),
        rule("проводк", weight=3.0), rule("щит|щиток", weight=3.0),
        rule("лампоч", weight=3.5), rule("ламп", weight=1.5), rule("выключат", weight=3.0),
        rule(stem("автомат", exclude="автоматич"), weight=2.5), rule("напряжени", weight=3.0),
        rule("пробк", weight=1.5), rule("замыкан|коротит|коротн", weight=3.0),
        rule("обесточ", weight=3.5), rule("освещен", weight=3.0), rule("=темно", weight=1.5),
        rule("мига|моргает", weight=1.5), rule("кабел", weight=2.5), rule("выбива|выбил", weight=2.0),
        rule("оплав|горел", weight=1.0), rule("подстанц|трансформатор", weight=3.0),
        rule("=нет|отключ|вырубил|пропал|выключил|выключили", "свет|электр", weight=4.0, window=2),
    ),
    "elevator": (
        rule("лифт", weight=6.0), rule("подъемник", weight=4.0), rule("кабин", weight=1.5),
        rule("застрял|застряли|застряла", weight=1.5), rule("между", "этаж", weight=2.0, window=1),
    ),
    "gas": (
        rule(_GAS, weight=6.0), rule("конфорк", weight=2.0),
    ),
    "roof": (
        rule("крыш", weight=5.0), rule("кровл", weight=5.0), rule("чердак|чердач", weight=4.0),
        rule("сосул", weight=5.0), rule("налед", weight=2.0), rule("водосток|водосточ", weight=4.0),
        rule("шифер", weight=4.0), rule("козыр", weight=3.0), rule("техэтаж|парапет|карниз", weight=3.0),
        rule("последн", "этаж", weight=2.5, window=2), rule("дожд|ливн|ливен", weight=2.0),
        rule("протека|протек", weight=1.0), rule("потол", weight=0.5),
    ),
    "common_property": (
        rule("домофон", weight=5.0), rule("двер", weight=1.5), rule("подъезд", weight=0.5),
        rule("входн", "двер", weight=2.0, window=1), rule("двер", "подъезд", weight=2.0),
        rule("=окно|=окна|=окон|окне|окнах", weight=2.0), rule(stem("стекл"), weight=2.5),
        rule("разбит|выбит|треснул", weight=1.5), rule("перил", weight=4.0), rule("доводчик", weight=5.0),
        rule("ступен", weight=2.5), rule("почтов", weight=3.0), rule("=ящик|=ящики", weight=1.0),
        rule("=замок|=замка|замки|=замком", weight=2.5), rule("ключ", weight=1.0), rule("подвал", weight=1.0),
        rule("посторонн|бомж|ночуют", weight=2.5), rule("лавочк|скамей", weight=3.0),
        rule("детск", "площадк", weight=2.0, window=1), rule("фасад", weight=3.0), rule("крыльц", weight=2.5),
        rule("пандус", weight=3.0), rule("штукатур", weight=2.0), rule("балкон", weight=1.0),
        rule("плитк", weight=2.0), rule("кодов", weight=2.0), rule("ворот", weight=2.5),
        rule("шлагбаум", weight=3.0), rule("забор|огражден", weight=2.5), rule("отвалил|обвалил|обрушил", weight=1.5),
        rule("трещин", weight=2.0), rule("=рама|=рамы", weight=1.5), rule("лестниц", weight=0.7),
    ),
    "cleaning": (
        rule("мусор", weight=4.0), rule("мусоропровод", weight=2.0),
        rule("убор|убира|убер|убр", weight=4.0), rule("гряз", weight=3.0),
        rule(stem("снег", exclude="снегир"), weight=2.5), rule("сугроб", weight=3.0),
        rule("гололед", weight=3.5), rule("=лед|=льда|=льдом|=льду", weight=2.5), rule("налед", weight=2.5),
        rule("посып|реагент", weight=3.5), rule("=песок|=песка|=песком", weight=2.0),
        rule("контейнер", weight=3.5), rule("вывез|вывоз", weight=3.0),
        rule("помой|помыт|моют|=мыть|мыли|вымыт|подмет|подмел|метут", weight=3.0),
        rule("почист|расчист|чистят|чистк|очист", weight=2.5), rule("листв|листья", weight=2.5),
        rule("воня|вонь", weight=1.0), rule("таракан|крыс|клоп|дезинсек|дератиз", weight=2.5),
        rule("покос|газон", weight=2.5), rule("тротуар|дорожк", weight=1.5),
    ),
    "other": (
        rule("квитанц", weight=5.0), rule("оплат", weight=3.5), rule("сумм", weight=2.5),
        rule("=счет|=счета|=счете|=счету", weight=2.5), rule("счетчик", weight=3.5), rule("перерасчет", weight=4.0),
        rule("тариф", weight=4.0), rule("бухгалтер", weight=5.0), rule("телефон", weight=2.0),
        rule("справк", weight=3.5), rule("узнать", weight=1.5), rule("подскаж", weight=1.5),
        rule("ремонт", weight=1.5), rule("сверл", weight=3.0), rule("музык", weight=3.0),
        rule("=шум|шумят", weight=1.5), rule("=долг|задолжен", weight=3.0),
        rule("паспорт|прописк|регистрац", weight=3.5), rule("договор", weight=3.0),
        rule("собрани", weight=3.0), rule("=когда|почему", weight=0.5), rule("поверк|показани", weight=3.0),
        rule("заявк", weight=0.8), rule("парков", weight=2.0),
    ),
}


@dataclass(frozen=True, slots=True)
class CategoryResult:
    category: str
    confidence: float
    scores: Mapping[str, float]


def classify(tokens: Sequence[str]) -> CategoryResult:
    # Only rules with blockers read negation: "плохо топят" is heating, not a flood from above.
    scores = {
        c: round(sum(r.weight for r in RULES[c] if fires(r, tokens, negation=bool(r.blockers))), 2) for c in CATEGORIES
    }
    ranked = sorted(CATEGORIES, key=lambda c: (-scores[c], CATEGORIES.index(c)))
    best, second = ranked[0], ranked[1]
    top = scores[best]
    if top <= 0:
        return CategoryResult("other", 0.2, scores)
    # Margin over the runner-up, damped when the evidence itself is thin (a single weak word).
    margin = (top - scores[second]) / top
    strength = min(1.0, top / 5.0)
    confidence = round(max(0.0, min(1.0, (0.5 + 0.5 * margin) * strength)), 3)
    return CategoryResult(best, confidence, scores)
