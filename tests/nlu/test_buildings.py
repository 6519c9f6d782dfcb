from __future__ import annotations

from dataclasses import dataclass

from ivr.nlu import Address, match_building, normalize_street


@dataclass(frozen=True)
class Building:
    street: str
    house: str
    building: str | None = None


BUILDINGS = [
    Building("ул. Ленина", "5"),
    Building("улица Ленина", "7"),
    Building("Садовая улица", "7", "2"),
    Building("Садовая улица", "7"),
    Building("проспект Мира", "23"),
    Building("Лесная", "16"),
    Building("Лесной переулок", "16"),
    Building("ул. Строителей", "20"),
]


def test_normalize_street() -> None:
    assert normalize_street("ул. Ленина") == "ленина"
    assert normalize_street("Садовая улица") == "садовая"
    assert normalize_street("Зелёная") == "зеленая"


def test_exact_match() -> None:
    assert match_building(Address(street="ленина", house="5"), BUILDINGS) == BUILDINGS[0]


def test_corpus_decides() -> None:
    assert match_building(Address(street="садовая", house="7", building="2"), BUILDINGS) == BUILDINGS[2]
    assert match_building(Address(street="садовая", house="7"), BUILDINGS) == BUILDINGS[3]
    assert match_building(Address(street="садовая", house="7", building="5"), BUILDINGS) is None


def test_tolerates_asr_slips() -> None:
    assert match_building(Address(street="ленино", house="5"), BUILDINGS) == BUILDINGS[0]
    assert match_building(Address(street="строитилей", house="20"), BUILDINGS) == BUILDINGS[7]
    assert match_building(Address(street="мир", house="23"), BUILDINGS) == BUILDINGS[4]


def test_no_match_or_ambiguous() -> None:
    assert match_building(Address(street="гагарина", house="5"), BUILDINGS) is None
    assert match_building(Address(street="ленина", house="99"), BUILDINGS) is None
    assert match_building(Address(house="5"), BUILDINGS) is None
    assert match_building(None, BUILDINGS) is None
    # "лесн" is two edits from both "лесная" and "лесной": no guessing between them.
    assert match_building(Address(street="лесн", house="16"), BUILDINGS) is None


def test_one_normaliser_for_the_journal_and_for_speech() -> None:
    from journal.addresses import normalize_street as journal_normalize

    for street in ("ул. Ленина", "Садовая улица", "пр-т Мира", "Зелёная"):
        assert normalize_street(street) == journal_normalize(street)
    assert normalize_street("на проспекте мира") == normalize_street("на мира")


def test_declined_names_match_on_lemmas() -> None:
    assert match_building(Address(street="садовой", house="7", building="2"), BUILDINGS) == BUILDINGS[2]
    assert match_building(Address(street="строителям", house="20"), BUILDINGS) == BUILDINGS[7]


def test_a_name_said_for_the_avenue_named_after_it() -> None:
    avenue = Building("Ленинский проспект", "5")
    assert match_building(Address(street="ленина", house="5"), [avenue]) == avenue
    # Both exist: the street the caller named exactly wins over the avenue.
    both = [avenue, Building("ул. Ленина", "5")]
    assert match_building(Address(street="ленина", house="5"), both) == both[1]
    assert match_building(Address(street="ленинский", house="5"), both) == avenue


def test_a_missing_title_word() -> None:
    marshal = Building("ул. Маршала Жукова", "7")
    assert match_building(Address(street="жукова", house="7"), [marshal, *BUILDINGS]) == marshal


def test_ambiguity_gives_a_ranked_choice() -> None:
    from ivr.nlu.buildings import rank_buildings

    ranked = rank_buildings(Address(street="лесн", house="16"), BUILDINGS)
    assert {b.street for _, b in ranked[:2]} == {"Лесная", "Лесной переулок"}
    assert ranked[0][0] == ranked[1][0]
    assert match_building(Address(street="лесная", house="16"), BUILDINGS) == BUILDINGS[5]
