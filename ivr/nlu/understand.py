"""One call's words turned into what the dispatcher files."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import structlog

from .address import Address, parse_address
from .categories import classify
from .emergency import detect
from .problems import problem_for
from .text import tokens

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Understanding:
    category: str
    category_confidence: float
    scores: Mapping[str, float]
    emergency: bool
    emergency_reasons: tuple[str, ...]
    problem: str | None
    address: Address | None


def understand(text: str) -> Understanding:
    toks = tokens(text)
    category = classify(toks)
    reasons = tuple(detect(toks))
    result = Understanding(
        category=category.category,
        category_confidence=category.confidence,
        scores=category.scores,
        emergency=bool(reasons),
        emergency_reasons=reasons,
        problem=problem_for(category.category, toks),
        address=parse_address(toks),
    )
    log.debug("nlu.understood", category=result.category, emergency=result.emergency, problem=result.problem)
    return result
