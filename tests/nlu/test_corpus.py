"""The labelled corpus: built reproducibly from its sources, a blind split apart from the rest."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from ivr.nlu import CATEGORIES
from ivr.nlu.damage import damage
from ivr.nlu.evaluation import load_cases

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "fixtures" / "nlu"


def test_the_committed_corpus_is_what_the_sources_give() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from nlu_corpus import build
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    for name, rows in build(ROOT).items():
        committed = [json.loads(line) for line in (DATA / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()]
        assert committed == rows, f"{name}.jsonl is stale: run make nlu-corpus"


def test_sizes_and_coverage() -> None:
    dev, blind = load_cases(DATA / "dev.jsonl"), load_cases(DATA / "blind.jsonl")
    assert len(blind) >= 200
    assert len(dev) + len(blind) >= 800
    for cases in (dev, blind):
        counts = Counter(c.category for c in cases)
        assert set(counts) == set(CATEGORIES)
        assert sum(c.emergency for c in cases) >= 40
        assert sum(c.address is not None for c in cases) >= 30


def test_the_blind_split_shares_no_sentence_with_what_the_models_learn_from() -> None:
    blind = {c.text for c in load_cases(DATA / "blind.jsonl")}
    for other in ("dev.jsonl", "dev_asr.jsonl", "shared_sample.jsonl"):
        assert not blind & {c.text for c in load_cases(DATA / other)}, other


def test_damage_is_deterministic_and_keeps_the_labels() -> None:
    text = "у нас в подвале прорвало трубу вода хлещет улица садовая дом семь квартира двенадцать"
    assert damage(text) == damage(text) != text
    clean, damaged = load_cases(DATA / "blind.jsonl"), load_cases(DATA / "blind_asr.jsonl")
    assert [(c.category, c.emergency, c.address) for c in clean] == [(c.category, c.emergency, c.address) for c in damaged]
    assert sum(a.text != b.text for a, b in zip(clean, damaged, strict=False)) > len(clean) // 2
