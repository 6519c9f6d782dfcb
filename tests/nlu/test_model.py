"""The learned side of the understanding: weights rebuilt from the corpus, meaning from vectors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ivr.nlu import understand
from ivr.nlu.model import WEIGHTS_FILE, Weights
from ivr.nlu.morph import lemma, repair

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_weights_are_what_the_corpus_gives() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "nlu_model.py"), "--check"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "model.npz is reproduced" in done.stdout
    assert WEIGHTS_FILE.stat().st_size < 100_000  # small enough to keep in git


def test_weights_know_every_category() -> None:
    from ivr.nlu import CATEGORIES

    w = Weights.load()
    assert w.categories == CATEGORIES and w.category.shape[1] == len(CATEGORIES)
    assert 0.1 <= w.emergency_threshold <= 0.9


def test_lemmas() -> None:
    assert lemma("затопило") == "затопить"
    assert lemma("батареи") == "батарея"
    assert lemma("подъёмник".replace("ё", "е")) == "подъемник"


def test_split_and_merged_words_are_repaired() -> None:
    assert repair("застрял влифте квартира сточетыре".split()) == ["застрял", "в", "лифте", "квартира", "сто", "четыре"]
    assert repair("трубы отопле ния".split()) == ["трубы", "отопления"]
    assert repair("кран течёт".split()) == ["кран", "течёт"]  # known words are left alone


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # Words no rule names: the vectors carry the meaning.
        ("унитаз переполнился всё идёт обратно", "sewer"),
        ("в детской ледяной радиатор", "heating"),
        ("подъёмник не ходит", "elevator"),
        ("в парадной окошко разбито", "common_property"),
    ],
)
def test_unseen_wordings(text: str, category: str) -> None:
    assert understand(text).category == category


@pytest.mark.parametrize(
    ("text", "rules", "category"),
    [
        ("в щитке на этаже горит счётчик", "other", "electricity"),  # "счётчик" alone leans to billing
        ("у крыльца лёд очень скользко", "common_property", "cleaning"),  # "крыльцо" leans to the building
        ("в уборной опять засор", "cleaning", "sewer"),  # "убор-" is the cleaning rule's stem
    ],
)
def test_the_rules_no_longer_decide_alone(text: str, rules: str, category: str) -> None:
    u = understand(text)
    assert (u.rule_category, u.category) == (rules, category)


def test_rules_stay_sure_of_gas_and_people_in_lifts() -> None:
    gas = understand("чувствую запах газа")
    assert (gas.category, gas.category_confidence, gas.emergency) == ("gas", 1.0, True)
    lift = understand("застряли в лифте")
    assert (lift.category, lift.emergency) == ("elevator", True)


def test_a_denied_danger_is_not_an_emergency_whatever_the_model_thinks() -> None:
    u = understand("газом не пахнет просто плита плохо горит")
    assert not u.emergency


def test_confidence_and_possible_emergency() -> None:
    clear = understand("батареи холодные во всей квартире")
    assert clear.confident and not clear.possibly_emergency
    vague = understand("у нас опять что-то случилось")
    assert not vague.confident


def test_without_the_vectors_the_rules_alone_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    from ivr.nlu.vectors import EmbeddingsMissing

    u = importlib.import_module("ivr.nlu.understand")  # the module (the package re-exports a function of that name)

    def missing() -> None:
        raise EmbeddingsMissing("нет файла векторов navec")

    monkeypatch.setattr(u, "_engine", None)
    monkeypatch.setattr(u, "_unavailable", None)
    monkeypatch.setattr(u, "load_vectors", missing)
    result = u.understand("прорвало трубу в ванной квартира пять")
    assert u._unavailable == "нет файла векторов navec"
    assert (result.category, result.emergency, result.emergency_reasons) == ("water", True, ("burst_pipe",))
    assert result.address is not None and result.address.apartment == "5"
    assert u.understand("сильно пахнет газом").category_confidence == 1.0
