"""Targets on the labelled sample (tests/fixtures/transcripts) and on our own wordings (extra_transcripts.jsonl)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.nlu.evaluation import evaluate, load_cases
from tests.fixture_files import LABELLED_TRANSCRIPTS as LABELLED

HERE = Path(__file__).parent
EXTRA = HERE / "extra_transcripts.jsonl"


@pytest.fixture(params=["labelled", "extra"])
def dataset(request: pytest.FixtureRequest) -> Path:
    return LABELLED if request.param == "labelled" else EXTRA


def test_targets(dataset: Path) -> None:
    m = evaluate(load_cases(dataset))
    detail = "\n".join(m.misses)
    assert m.category_accuracy >= 0.9, detail
    assert m.emergency_recall == 1.0, detail
    assert m.emergency_precision >= 0.9, detail
    assert m.address_accuracy >= 0.9, detail


def test_extra_set_is_ours_and_large_enough() -> None:
    cases = load_cases(EXTRA)
    assert len(cases) >= 60
    assert not {c.text for c in cases} & {c.text for c in load_cases(LABELLED)}


FIXTURES = HERE.parent / "fixtures" / "nlu"


@pytest.mark.parametrize(
    ("name", "category", "recall", "precision", "address"),
    [
        # Floors at what BENCHMARKS.md reports, so a change that loses ground shows here. The
        # blind split misses its emergency targets (recall 100 %, precision 90 %): see there why.
        ("dev.jsonl", 0.99, 0.99, 0.96, 0.99),
        ("dev_asr.jsonl", 0.95, 0.92, 0.94, 0.78),
        ("blind.jsonl", 0.96, 0.93, 0.82, 0.98),
        ("blind_asr.jsonl", 0.88, 0.79, 0.78, 0.90),
    ],
)
def test_no_ground_lost(name: str, category: float, recall: float, precision: float, address: float) -> None:
    m = evaluate(load_cases(FIXTURES / name))
    detail = "\n".join(m.misses)
    assert m.category_accuracy >= category, detail
    assert m.emergency_recall >= recall, detail
    assert m.emergency_precision >= precision, detail
    assert m.address_accuracy >= address, detail
