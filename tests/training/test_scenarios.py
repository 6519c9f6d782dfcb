"""The training library parses, every shipped scenario is playable against the demo journal,
and scoring compares field by field."""

from __future__ import annotations

from pathlib import Path

import pytest

from cti.app.demo import BUILDINGS, EXECUTOR_CATEGORIES
from cti.training.scenarios import ScenarioError, load_library, parse
from cti.training.scoring import Actual, score, total
from journal import CATEGORIES

LIBRARY = Path(__file__).resolve().parents[2] / "config" / "training"


def test_the_shipped_library_has_the_five_required_scenarios_and_each_is_consistent() -> None:
    library = load_library(LIBRARY)
    assert {"burst-pipe-night", "lift-stuck", "angry-repeat-caller", "gas-smell", "half-address"} <= set(library)
    streets = {(street, house, building) for street, house, building, _ in BUILDINGS}
    for s in library.values():
        e = s.expected
        assert e.category in CATEGORIES and e.priority in {"emergency", "urgent", "planned"}, s.id
        assert (e.street, e.house, e.building) in streets, s.id
        assert e.executor == "" or e.category in EXECUTOR_CATEGORIES[e.executor], s.id
        assert s.text and s.caller_number.isdigit()


def test_a_bad_scenario_is_refused_by_name() -> None:
    with pytest.raises(ScenarioError, match=r"caller\.keys"):
        parse("x", {"title": "t", "caller": {"number": "1", "text": "a", "keys": "1a"},
                    "expected": {"category": "water", "priority": "urgent"}})
    with pytest.raises(ScenarioError, match="'expected'"):
        parse("x", {"title": "t", "caller": {"number": "1", "text": "a"}})


def test_a_broken_file_is_skipped_and_the_rest_load(tmp_path: Path) -> None:
    (tmp_path / "good.toml").write_text((LIBRARY / "gas-smell.toml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "bad.toml").write_text("title = ", encoding="utf-8")
    assert list(load_library(tmp_path)) == ["good"]


def test_scoring_field_by_field() -> None:
    e = load_library(LIBRARY)["burst-pipe-night"].expected
    right = Actual("water", "emergency", "Ленина", "5", None, "12", "plumber", "30m")
    fields = score(e, right, {})
    assert total(fields) == (6, 6)
    wrong = Actual("water", "urgent", "Мира", "23", None, None, "", None)
    fields = score(e, wrong, {"priority": {"urgent": "Срочная", "emergency": "Аварийная"}})
    assert total(fields) == (1, 6)
    by = {f.field: f for f in fields}
    assert by["priority"].expected == "Аварийная" and by["priority"].actual == "Срочная"
    assert not by["deadline_told"].ok and by["deadline_told"].actual == "не назван"
