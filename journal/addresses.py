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


def normalize_street(street: str) -> str:
    s = street.lower().replace("ё", "е")
    s = re.sub(r"[^\w\s-]", " ", s)
    words = [w for w in s.split() if w not in STREET_TYPES]
    return " ".join(words)


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
