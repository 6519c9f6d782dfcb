"""Scoring understanding against labelled transcripts (the labelled.jsonl format)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .address import parse_address
from .categories import classify
from .emergency import detect
from .text import tokens
from .understand import Understanding, understand


@dataclass(frozen=True, slots=True)
class LabelledCase:
    text: str
    category: str
    emergency: bool
    address: Mapping[str, str | None] | None


def load_cases(path: Path) -> list[LabelledCase]:
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            d: dict[str, Any] = json.loads(line)
            cases.append(LabelledCase(d["text"], d["category"], bool(d["emergency"]), d.get("address")))
    return cases


@dataclass
class Metrics:
    total: int = 0
    category_hits: int = 0
    address_hits: int = 0
    true_pos: int = 0
    false_pos: int = 0
    false_neg: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def category_accuracy(self) -> float:
        return self.category_hits / self.total if self.total else 0.0

    @property
    def address_accuracy(self) -> float:
        return self.address_hits / self.total if self.total else 0.0

    @property
    def emergency_recall(self) -> float:
        found = self.true_pos + self.false_neg
        return self.true_pos / found if found else 1.0

    @property
    def emergency_precision(self) -> float:
        flagged = self.true_pos + self.false_pos
        return self.true_pos / flagged if flagged else 1.0


def rules_only(text: str) -> Understanding:
    """What the keyword rules alone made of a transcript (before the learned models), for comparison."""
    toks = tokens(text)
    c = classify(toks)
    reasons = tuple(detect(toks))
    return Understanding(c.category, c.confidence, c.scores, bool(reasons), reasons, None, parse_address(toks))


def evaluate(cases: Iterable[LabelledCase], understand_text: Callable[[str], Understanding] = understand) -> Metrics:
    m = Metrics()
    for case in cases:
        u = understand_text(case.text)
        m.total += 1
        address = u.address.as_labelled() if u.address else None
        ok_cat = u.category == case.category
        ok_addr = address == (dict(case.address) if case.address is not None else None)
        m.category_hits += ok_cat
        m.address_hits += ok_addr
        if u.emergency and case.emergency:
            m.true_pos += 1
        elif u.emergency:
            m.false_pos += 1
        elif case.emergency:
            m.false_neg += 1
        if not (ok_cat and ok_addr and u.emergency == case.emergency):
            m.misses.append(
                f"{case.text!r}: category {u.category} (want {case.category}), emergency {u.emergency} "
                f"(want {case.emergency}), address {address} (want {case.address})"
            )
    return m
