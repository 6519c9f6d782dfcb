"""Normal forms of phone numbers and addresses, so that lookups match what people type or say."""

from __future__ import annotations

import re

STREET_TYPES = {
    "ул": "улица", "улица": "улица",
    "пр": "проспект", "пр-т": "проспект", "просп": "проспект", "проспект": "проспект",
    "пер": "переулок", "переулок": "переулок",
    "б-р": "бульвар", "бул": "бульвар", "бульвар": "бульвар",
    "пр-д": "проезд", "проезд": "проезд",
    "наб": "набережная", "набережная": "набережная",
    "ш": "шоссе", "шоссе": "шоссе",
    "пл": "площадь", "площадь": "площадь",
}


def normalize_phone(raw: str | None) -> str | None:
    """Russian numbers to 11 digits starting with 7 (8XXXXXXXXXX and +7 alike); others kept as digits."""
    if raw is None:
        return None
    digits = re.sub(r"\D", "", raw)
    if not digits:
        return None
    if len(digits) == 11 and digits[0] in "78":
        return "7" + digits[1:]
    if len(digits) == 10 and digits[0] == "9":
        return "7" + digits
    return digits


# Street-type words in every form speech gives them ("на садовой улице"); ivr/nlu parses with the
# same table, so what a caller says and what a spreadsheet holds reduce to the same name.
STREET_TYPE_FORMS: dict[str, str] = {}
for _canon, _forms in {
    "улица": "улица улицы улице улицу улицей ул",
    "проспект": "проспект проспекта проспекте проспекту проспектом пр пр-т просп",
    "переулок": "переулок переулка переулке переулку переулком пер",
    "бульвар": "бульвар бульвара бульваре бульвару бульваром б-р бул",
    "проезд": "проезд проезда проезде проезду проездом пр-д",
    "набережная": "набережная набережной набережную наб",
    "шоссе": "шоссе ш",
    "площадь": "площадь площади площадью пл",
    "тупик": "тупик тупика тупике",
    "аллея": "аллея аллеи аллее аллею аллеей",
}.items():
    for _f in _forms.split():
        STREET_TYPE_FORMS[_f] = _canon


def normalize_street(street: str) -> str:
    """The one normal form of a street name, for buildings typed, imported or spoken:
    "ул. Ленина" -> "ленина", "Садовой улице" -> "садовой"; type words and punctuation
    dropped, ё folded."""
    s = street.lower().replace("ё", "е")
    words = re.sub(r"[^0-9a-zа-я\- ]+", " ", s).split()
    return " ".join(w for w in words if w not in STREET_TYPE_FORMS and w not in STREET_TYPES)


def normalize_part(value: str | None) -> str:
    return re.sub(r"\s+", "", (value or "").lower().replace("ё", "е"))


def address_key(street: str, house: str, building: str | None = None) -> str:
    """One key per building: 'ленина|5|2'. Street type is left out on purpose: residents rarely
    say it and a street name is unique within a managing company's territory."""
    return f"{normalize_street(street)}|{normalize_part(house)}|{normalize_part(building)}"


def format_address(street_type: str, street: str, house: str, building: str | None, apartment: str | None = None) -> str:
    parts = [f"{street_type} {street.title()}".strip(), f"д. {house}"]
    if building:
        parts.append(f"корп. {building}")
    if apartment:
        parts.append(f"кв. {apartment}")
    return ", ".join(parts)
