"""Addresses in transcripts: street (with its type), house, корпус, строение, квартира.

"улица ленина дом пять квартира двенадцать", "на садовой улице семь корпус два",
"проспект мира двадцать три", "садовая семь", "в сорок восьмой квартире",
"дом пять дробь два". The street comes out lower-case nominative ("садовая", "тихий"),
a genitive name as it is ("ленина", "строителей").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .numbers import Number, is_number_word, parse_number

STREET_TYPES: dict[str, str] = {}
for _canon, _forms in {
    "улица": "улица улицы улице улицу улицей ул",
    "проспект": "проспект проспекта проспекте проспекту проспектом пр",
    "переулок": "переулок переулка переулке переулку переулком пер",
    "бульвар": "бульвар бульвара бульваре бульвару бульваром",
    "проезд": "проезд проезда проезде проезду проездом",
    "набережная": "набережная набережной набережную",
    "шоссе": "шоссе",
    "площадь": "площадь площади площадью",
    "тупик": "тупик тупика тупике",
    "аллея": "аллея аллеи аллее аллею аллеей",
}.items():
    for _f in _forms.split():
        STREET_TYPES[_f] = _canon
_NOMINATIVE_TYPES = frozenset(STREET_TYPES.values())
_FEMININE = frozenset({"улица", "набережная", "площадь", "аллея"})

HOUSE_WORDS = frozenset({"дом", "доме", "дома", "дому", "домом"})
BUILDING_WORDS = frozenset({"корпус", "корпуса", "корпусе", "корп"})
STRUCTURE_WORDS = frozenset({"строение", "строения", "строении", "стр"})
APARTMENT_WORDS = frozenset({"квартира", "квартиры", "квартире", "квартиру", "квартирой", "кв"})
_NUMBER_MARK = frozenset({"номер", "н", "no"})
_SLASH = frozenset({"дробь", "слеш", "/"})
_LETTER_MARK = frozenset({"буква", "литер", "литера"})
_KEYWORDS = HOUSE_WORDS | BUILDING_WORDS | STRUCTURE_WORDS | APARTMENT_WORDS | _NUMBER_MARK | _SLASH | frozenset(STREET_TYPES)
# Words before a number that are not street names ("уже две недели", "на пятом этаже").
_NOT_NAMES = frozenset(
    """уже еще ещё всего почти около примерно целых только где там тут вот это эта этот эти
    какая такая другая одна наша ваша моя твоя своя вся сама целая каждая последняя первая
    нас вас нам вам мне меня у в на по с со из за до от к о об при над под для без через и а но или
    подъезд подъезде подъезда этаж этаже этажа этажей окно часа часов минут раза раз лет года""".split()
)
# Words after a number that make it a count, not a house ("две недели", "пять этажей").
_UNITS = frozenset(
    """день дня дней неделя недели недель неделю месяц месяца месяцев год года лет час часа часов
    минут минуты раз раза этаж этажа этажей этаже подъезд подъезда подъездов человек людей утра вечера ночи
    градус градуса градусов метр метра метров рубль рубля рублей""".split()
)
_TITLES = frozenset({"маршала", "генерала", "адмирала", "академика", "героя", "героев", "космонавта", "летчика", "имени", "братьев", "максима", "льва"})
_ADJ_FEM = ("ая", "яя")
_NAME_ENDINGS = ("ая", "яя", "ий", "ый", "ой", "ого", "его", "ина", "ына", "ова", "ева", "ского", "цкого", "ей", "ых", "их")
_ADJ_DECLINED = ("ая", "яя", "ий", "ый", "ой", "ом", "ем", "ую", "юю", "ого", "его", "ому", "ему", "ей")
_GENITIVE = ("а", "я", "ы", "и")
_VERB_ENDINGS = ("ет", "ит", "ют", "ят", "ут", "ла", "ло", "ли", "ть", "ся", "сь", "ешь", "ишь")


@dataclass(frozen=True, slots=True)
class Address:
    street: str | None = None
    street_type: str | None = None
    house: str | None = None
    building: str | None = None  # корпус
    structure: str | None = None  # строение
    apartment: str | None = None

    def as_labelled(self) -> dict[str, str | None]:
        """The fields of the labelled transcripts' ``address``."""
        return {"street": self.street, "house": self.house, "building": self.building, "apartment": self.apartment}


def _is_name(token: str) -> bool:
    return (
        len(token) >= 3
        and token.isalpha()
        and token not in _KEYWORDS
        and token not in _NOT_NAMES
        and not is_number_word(token)
    )


def _number_after(tokens: Sequence[str], i: int) -> Number | None:
    """A number at i, allowing "номер" before it."""
    if i < len(tokens) and tokens[i] in _NUMBER_MARK:
        i += 1
    return parse_number(tokens, i)


def _house_at(tokens: Sequence[str], i: int) -> tuple[str, int] | None:
    """House number at i ("пять", "пять дробь два", "двенадцать буква а") and the index after it."""
    n = _number_after(tokens, i)
    if n is None or (n.end < len(tokens) and tokens[n.end] in _UNITS):
        return None
    text, end = str(n.value), n.end
    if end + 1 < len(tokens) and tokens[end] in _SLASH:
        frac = parse_number(tokens, end + 1)
        if frac is not None:
            text, end = f"{text}/{frac.value}", frac.end
    if end + 1 < len(tokens) and tokens[end] in _LETTER_MARK and len(tokens[end + 1]) == 1:
        text, end = text + tokens[end + 1], end + 2
    elif end < len(tokens) and len(tokens[end]) == 1 and tokens[end].isalpha() and tokens[end] not in {"и", "с", "в", "у", "к", "о"}:
        # "дом двенадцать а корпус два": a lone letter counts only before more address words or the end.
        if end + 1 == len(tokens) or tokens[end + 1] in _KEYWORDS:
            text, end = text + tokens[end], end + 1
    return text, end


def _ordinal_before(tokens: Sequence[str], k: int) -> Number | None:
    """An ordinal ending right before index k: "в сорок восьмой квартире"."""
    for start in range(max(0, k - 3), k):
        n = parse_number(tokens, start)
        if n is not None and n.end == k and n.ordinal:
            return n
    return None


def _value_for(tokens: Sequence[str], words: frozenset[str]) -> tuple[str | None, set[int]]:
    used: set[int] = set()
    for k, tok in enumerate(tokens):
        if tok not in words:
            continue
        n = _number_after(tokens, k + 1)
        if n is not None and not n.ordinal and not (n.end < len(tokens) and tokens[n.end] in _UNITS):
            used.update(range(k, n.end))
            return str(n.value), used
        before = _ordinal_before(tokens, k)
        if before is not None:
            used.update(range(before.start, k + 1))
            return str(before.value), used
    return None, used


def nominative(name: str, street_type: str | None, declined: bool) -> str:
    """Adjectival street names back to the nominative; genitive names stay as they are."""
    feminine = street_type is None or street_type in _FEMININE
    if feminine:
        if declined and name.endswith("ой") and len(name) > 4:
            return name[:-2] + "ая"
        for end, repl in (("ую", "ая"), ("юю", "яя")):
            if name.endswith(end):
                return name[: -len(end)] + repl
        return name
    if not declined:
        return name
    for end in ("ого", "ому", "ом", "ым"):
        if name.endswith(end) and len(name) > len(end) + 2:
            stem = name[: -len(end)]
            return stem + ("ий" if stem[-1] in "гкхжшчщ" else "ый")
    for end in ("его", "ему", "ем", "им"):
        if name.endswith(end) and len(name) > len(end) + 2:
            return name[: -len(end)] + "ий"
    return name


def _looks_like_street(token: str) -> bool:
    return token.endswith(_NAME_ENDINGS) and not token.endswith(_VERB_ENDINGS)


@dataclass(frozen=True, slots=True)
class _Street:
    name: str
    street_type: str | None
    house_from: int  # where the house number may start


def _typed_street(tokens: Sequence[str], have_house: bool) -> _Street | None:
    for k, tok in enumerate(tokens):
        street_type = STREET_TYPES.get(tok)
        if street_type is None:
            continue
        declined = tok not in _NOMINATIVE_TYPES
        # Name after the type: "улица ленина", "улица маршала жукова", "переулок тихий".
        if k + 1 < len(tokens) and _is_name(tokens[k + 1]):
            end = k + 2
            name = tokens[k + 1]
            if name in _TITLES and end < len(tokens) and _is_name(tokens[end]):
                name, end = f"{name} {tokens[end]}", end + 1
            after_ok = _house_follows(tokens, end)
            if after_ok or have_house or _looks_like_street(name):
                return _Street(nominative(name, street_type, declined), street_type, end)
        # Adjective before the type: "на садовой улице семь", "тихий переулок".
        if k >= 1 and _is_name(tokens[k - 1]) and tokens[k - 1].endswith(_ADJ_DECLINED):
            return _Street(nominative(tokens[k - 1], street_type, declined), street_type, k + 1)
    return None


def _house_follows(tokens: Sequence[str], i: int) -> bool:
    if i < len(tokens) and tokens[i] in HOUSE_WORDS:
        i += 1
    return _house_at(tokens, i) is not None


def _untyped_street(tokens: Sequence[str]) -> _Street | None:
    """"садовая семь", "ленина дом пять": a name right before a house number."""
    for k, tok in enumerate(tokens):
        if not _is_name(tok) or (k >= 1 and tokens[k - 1] in STREET_TYPES):
            continue
        nxt = tokens[k + 1] if k + 1 < len(tokens) else ""
        shaped = tok.endswith(_NAME_ENDINGS + _GENITIVE) and not tok.endswith(_VERB_ENDINGS)
        if nxt in HOUSE_WORDS and _house_at(tokens, k + 2) is not None and shaped:
            # "на молодежной дом три": after "на"/"по" an adjectival name is declined.
            declined = k >= 1 and tokens[k - 1] in {"на", "по"}
            return _Street(nominative(tok, None, declined), None, k + 1)
        if _looks_like_street(tok) and _house_at(tokens, k + 1) is not None:
            n = parse_number(tokens, k + 1)
            if n is not None and not n.ordinal:
                return _Street(nominative(tok, None, True), None, k + 1)
    return None


def parse_address(tokens: Sequence[str]) -> Address | None:
    """The address the caller said, or None when there is none."""
    apartment, _ = _value_for(tokens, APARTMENT_WORDS)
    building, _ = _value_for(tokens, BUILDING_WORDS)
    structure, _ = _value_for(tokens, STRUCTURE_WORDS)
    house: str | None = None
    for k, tok in enumerate(tokens):
        if tok in HOUSE_WORDS:
            found = _house_at(tokens, k + 1)
            if found is not None:
                house = found[0]
                break
    if house is None:
        house = _value_for(tokens, HOUSE_WORDS)[0]  # "в пятом доме"
    street = _typed_street(tokens, house is not None) or _untyped_street(tokens)
    if house is None and street is not None:
        i = street.house_from
        if i < len(tokens) and tokens[i] in HOUSE_WORDS:
            i += 1
        found = _house_at(tokens, i)
        house = found[0] if found else None
    if street is None and house is None and building is None and structure is None and apartment is None:
        return None
    return Address(
        street=street.name if street else None,
        street_type=street.street_type if street else None,
        house=house,
        building=building,
        structure=structure,
        apartment=apartment,
    )
