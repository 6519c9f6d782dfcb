"""Development sentences with addresses in every order, made from complaints and addresses.

Deterministic: every complaint is paired with the next address and the next phrasing in
turn, so the corpus is the same on every run. Used only for the development set (the blind
split is hand-written).
"""

from __future__ import annotations

ONES = "ноль один два три четыре пять шесть семь восемь девять".split()
TEENS = "десять одиннадцать двенадцать тринадцать четырнадцать пятнадцать шестнадцать семнадцать восемнадцать девятнадцать".split()
TENS = "_ _ двадцать тридцать сорок пятьдесят шестьдесят семьдесят восемьдесят девяносто".split()
ORD_FEM_PREP = {  # "в ... квартире"
    1: "первой", 2: "второй", 3: "третьей", 4: "четвертой", 5: "пятой", 6: "шестой", 7: "седьмой", 8: "восьмой",
    9: "девятой", 10: "десятой", 11: "одиннадцатой", 12: "двенадцатой", 15: "пятнадцатой", 20: "двадцатой",
    30: "тридцатой", 40: "сороковой",
}
ORD_TENS_PREFIX = {20: "двадцать", 30: "тридцать", 40: "сорок", 50: "пятьдесят", 60: "шестьдесят"}


def words(n: int) -> str:
    if n < 10:
        return ONES[n]
    if n < 20:
        return TEENS[n - 10]
    if n < 100:
        t, o = divmod(n, 10)
        return TENS[t] + ("" if o == 0 else " " + ONES[o])
    h, rest = divmod(n, 100)
    hundreds = "_ сто двести триста четыреста пятьсот".split()[h]
    return hundreds + ("" if rest == 0 else " " + words(rest))


def ordinal_prep(n: int) -> str | None:
    if n in ORD_FEM_PREP:
        return ORD_FEM_PREP[n]
    t, o = divmod(n, 10)
    if t * 10 in ORD_TENS_PREFIX and o in ORD_FEM_PREP:
        return f"{ORD_TENS_PREFIX[t * 10]} {ORD_FEM_PREP[o]}"
    return None


# (spoken street forms, label): type-first, bare, in prepositional case
STREETS = [
    ("улица ленина", "ленина", "на ленина", "ленина"),
    ("проспект мира", "мира", "на проспекте мира", "мира"),
    ("улица садовая", "садовая", "на садовой улице", "садовая"),
    ("улица гагарина", "гагарина", "на гагарина", "гагарина"),
    ("улица кирова", "кирова", "на улице кирова", "кирова"),
    ("улица молодежная", "молодежная", "на молодежной", "молодежная"),
    ("улица строителей", "строителей", "на строителей", "строителей"),
    ("переулок тихий", "тихий", "в тихом переулке", "тихий"),
    ("улица чехова", "чехова", "на чехова", "чехова"),
    ("улица первомайская", "первомайская", "на первомайской", "первомайская"),
]
HOUSES = [5, 12, 7, 23, 14, 3, 40, 9, 16, 101, 2, 58]
APARTMENTS = [12, 45, 7, 3, 31, 104, 20, 8, 66, 15]

COMPLAINTS = [
    ("water", False, "кран течёт на кухне"), ("water", True, "нас заливает сверху вода течёт по стене"),
    ("water", False, "нет горячей воды"), ("sewer", False, "засор в туалете"),
    ("sewer", True, "канализация льётся из люка во дворе"), ("heating", False, "батареи холодные"),
    ("heating", True, "батарею прорвало кипяток на полу"), ("electricity", False, "нет света в подъезде"),
    ("electricity", True, "искрит щиток на площадке"), ("elevator", False, "лифт не работает"),
    ("elevator", True, "застрял человек в лифте"), ("gas", True, "пахнет газом"),
    ("roof", False, "крыша протекает"), ("roof", True, "сосульки над входом висят"),
    ("common_property", False, "домофон сломан"), ("cleaning", False, "мусор не вывозят"),
    ("other", False, "вопрос по квитанции"), ("cleaning", False, "снег во дворе не убирают"),
]


def generate() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    n = 0
    for rep in range(12):
        for _c, (category, emergency, complaint) in enumerate(COMPLAINTS):
            typed, bare, prep, label = STREETS[n % len(STREETS)]
            house = HOUSES[n % len(HOUSES)]
            apt = APARTMENTS[(n * 7) % len(APARTMENTS)]
            corpus = 2 if n % 5 == 0 else None
            h, a = words(house), words(apt)
            k = " корпус два" if corpus else ""
            kind = (n + rep) % 8
            building = str(corpus) if corpus else None
            address: dict[str, str | None] = {"street": label, "house": str(house), "building": building, "apartment": str(apt)}
            if kind == 0:
                text = f"{complaint} {typed} дом {h}{k} квартира {a}"
            elif kind == 1:
                text = f"квартира {a} {typed} дом {h}{k} {complaint}"
            elif kind == 2:
                text = f"{bare} {h}{k} квартира {a} {complaint}"
            elif kind == 3:
                ordinal = ordinal_prep(apt)
                if ordinal:
                    text = f"{complaint} в {ordinal} квартире {prep} дом {h}{k}"
                else:
                    text = f"{complaint} {prep} дом {h}{k} квартира {a}"
            elif kind == 4:
                text = f"дом {h}{k} {typed} {complaint}"
                address["apartment"] = None
            elif kind == 5:
                text = f"здравствуйте {complaint} адрес {typed} {h}{k} квартира {a}"
            elif kind == 6:
                text = f"{prep} {h}{k} {complaint}"
                address["apartment"] = None
            else:
                text = f"{complaint} мы живём {prep} дом {h}{k} квартира {a} помогите"
            rows.append({"text": text, "category": category, "emergency": emergency, "address": address})
            n += 1
    return rows
