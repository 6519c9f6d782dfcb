"""One call's words turned into what the dispatcher files.

Rules and learned models together: the rules decide what they are sure of (a gas smell, a
person stuck in a lift), and their scores are features of a small model over word vectors,
which decides the rest and says how sure it is. An emergency is flagged when a rule finds one
or the model thinks it likely; the model's threshold is set for recall.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import structlog

from .address import Address, parse_address
from .categories import CATEGORIES, classify
from .emergency import detect, negated
from .features import Featurizer
from .model import Weights
from .morph import analyzer, lemmas, repair
from .problems import problem_for
from .text import tokens
from .vectors import EmbeddingsMissing
from .vectors import load as load_vectors

log = structlog.get_logger(__name__)

# Below this the caller is asked to confirm (the voice menu) and the card shows a guess.
CONFIDENT = 0.6
THIN = 0.55  # nearest-seed similarity below which a call says nothing of a service
# Reasons the rules are sure of: these decide the category whatever the model says.
_SURE = {"gas_smell": "gas", "lift_person_stuck": "elevator"}
MODEL_REASON = "meaning"  # an emergency found by the model alone


@dataclass(frozen=True, slots=True)
class Understanding:
    category: str
    category_confidence: float
    scores: Mapping[str, float]  # probability per category
    emergency: bool
    emergency_reasons: tuple[str, ...]
    problem: str | None
    address: Address | None
    emergency_probability: float = 0.0
    rule_category: str | None = None  # what the rules alone would have said

    @property
    def confident(self) -> bool:
        return self.category_confidence >= CONFIDENT

    @property
    def possibly_emergency(self) -> bool:
        """Worth a dispatcher's ear: flagged, or not far below the model's threshold."""
        return self.emergency or self.emergency_probability >= 0.2


class _Engine:
    def __init__(self) -> None:
        analyzer()
        self.weights = Weights.load()
        if self.weights.categories != CATEGORIES:
            raise RuntimeError("model.npz was trained for other categories: run make nlu-model")
        self.featurizer = Featurizer(load_vectors(), CATEGORIES)


_lock = threading.Lock()
_engine: _Engine | None = None
_unavailable: str | None = None  # why the models could not be loaded (rules alone then)


def load() -> None:
    """Load the morphology, vectors and weights (about a second): call once at start, in a thread.

    Without the vectors or the weights (an install step missed) the service still answers calls:
    the rules alone decide, as before the models, and the logged error says what to install."""
    global _engine, _unavailable
    if _engine is None and _unavailable is None:
        with _lock:
            if _engine is None and _unavailable is None:
                try:
                    _engine = _Engine()
                except (EmbeddingsMissing, OSError, RuntimeError, KeyError) as exc:
                    _unavailable = str(exc)
                    log.error("nlu.models_unavailable", error=_unavailable)
                    return
                log.info("nlu.loaded")


def understand(text: str) -> Understanding:
    load()
    toks = repair(tokens(text))
    rules = classify(toks)
    reasons = list(detect(toks))
    engine = _engine
    if engine is None:
        return _rules_alone(toks, rules.category, rules.confidence, dict(rules.scores), reasons)
    lems = lemmas(toks)
    x = engine.featurizer.features(toks, lems, dict(rules.scores), bool(reasons))
    probs = engine.weights.category_probabilities(x[None, :].astype(np.float64))[0]
    p_em = float(engine.weights.emergency_probability(x[None, :].astype(np.float64))[0])
    scores = {c: round(float(p), 4) for c, p in zip(CATEGORIES, probs, strict=False)}
    sure = next((_SURE[r] for r in reasons if r in _SURE), None)
    if sure is not None:
        category, confidence = sure, 1.0
    elif not toks:
        category, confidence = "other", 0.0
    else:
        best = int(np.argmax(probs))
        category, confidence = CATEGORIES[best], float(probs[best])
        if max(rules.scores.values()) <= 0 and engine.featurizer.nearest_seed(x) < THIN:
            # No rule and no word near any service's vocabulary: a guess, whatever its odds.
            confidence = min(confidence, 0.4)
    # The model never overrules a caller who denies the danger, nor the rules where they are
    # sure (gas and lifts: a gas or lift call without a smell or a person stuck is routine).
    if not reasons and p_em >= engine.weights.emergency_threshold and category not in _SURE.values() and not negated(toks):
        reasons.append(MODEL_REASON)
    result = Understanding(
        category=category,
        category_confidence=round(confidence, 3),
        scores=scores,
        emergency=bool(reasons),
        emergency_reasons=tuple(reasons),
        problem=problem_for(category, toks),
        address=parse_address(toks),
        emergency_probability=round(p_em, 3),
        rule_category=rules.category if rules.confidence > 0.2 else None,
    )
    log.debug("nlu.understood", category=result.category, confidence=result.category_confidence,
              emergency=result.emergency, problem=result.problem)
    return result


def _rules_alone(toks: list[str], category: str, confidence: float, scores: dict[str, float], reasons: list[str]) -> Understanding:
    sure = next((_SURE[r] for r in reasons if r in _SURE), None)
    return Understanding(
        category=sure or category,
        # The rules' own measure, as before the models (margin over the runner-up, damped when thin).
        category_confidence=confidence if sure is None else 1.0,
        scores=scores,
        emergency=bool(reasons),
        emergency_reasons=tuple(reasons),
        problem=problem_for(sure or category, toks),
        address=parse_address(toks),
        rule_category=category,
    )
