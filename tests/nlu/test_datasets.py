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
