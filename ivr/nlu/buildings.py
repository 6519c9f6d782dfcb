"""Matching a spoken address to the buildings we serve, tolerant of recognition errors."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Protocol, TypeVar

from journal.addresses import normalize_street as journal_normalize_street

from .address import STREET_TYPES, Address
from .morph import lemma


class KnownBuilding(Protocol):
    @property
    def street(self) -> str: ...

    @property
    def house(self) -> str: ...

    @property
    def building(self) -> str | None: ...


B = TypeVar("B", bound=KnownBuilding)

# Declined type words as they are spoken ("на проспекте мира"), beyond the journal's forms.
_SPOKEN_TYPES = frozenset(STREET_TYPES)
_TITLES = frozenset({"маршала", "генерала", "адмирала", "академика", "героя", "космонавта", "имени"})
_ADJ_SUFFIXES = ("ский", "ская", "ское", "ской", "ского", "ском", "скую")


def normalize_street(street: str) -> str:
    """"ул. Ленина" -> "ленина": the journal's normal form (the same for the buildings we
    serve and for what callers say), declined type words dropped too ("проспекте")."""
    return " ".join(w for w in journal_normalize_street(street).split() if w not in _SPOKEN_TYPES)


def street_lemmas(street: str) -> str:
    """The street's words as lemmas: "садовой" and "садовая" are both "садовый"."""
    return " ".join(lemma(w) for w in normalize_street(street).split())


def _norm_number(value: str | None) -> str:
    return re.sub(r"\s+", "", (value or "").lower())


def edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _word_distance(a: str, b: str) -> float:
    whole = float(edit_distance(a, b))
    # Declension leaves the stem: compare without the last two letters too.
    if len(a) > 4 and len(b) > 4:
        whole = min(whole, edit_distance(a[:-2], b[:-2]) + 1.0)
    # A name and the adjective made from it: "ленина" and "ленинский проспект".
    for short, long in ((a, b), (b, a)):
        root = short[:-1] if len(short) > 4 and short[-1] in "аяыи" else short
        if len(root) >= 4 and long.startswith(root) and long.endswith(_ADJ_SUFFIXES):
            whole = min(whole, 1.0)
    return whole


def street_distance(spoken: str, known: str) -> float:
    """Edits between two street names, on lemmas (surface letters only break ties), with a
    title word ("маршала") or a street-type word allowed to be missing."""
    sa, sb = normalize_street(spoken).split(), normalize_street(known).split()
    wa = [lemma(w) for w in sa if w not in _TITLES]
    wb = [lemma(w) for w in sb if w not in _TITLES]
    title_gap = 0.5 if (len(wa) != len(sa)) != (len(wb) != len(sb)) else 0.0
    base = _word_distance(" ".join(wa), " ".join(wb)) + title_gap
    surface = edit_distance(normalize_street(spoken), normalize_street(known))
    return base + 0.01 * surface


def _limit(spoken: str, known: str, max_ratio: float) -> float:
    return max(1.0, int(max_ratio * max(len(spoken), len(known))))


def rank_buildings(
    address: Address | None, buildings: Iterable[B], *, max_ratio: float = 0.34, limit: int = 5
) -> list[tuple[float, B]]:
    """Buildings the address may name, nearest first: same house (and корпус if said), street
    within ``max_ratio`` of its length in edits. The dispatcher picks from these when the first
    two are equally near."""
    if address is None or address.street is None or address.house is None:
        return []
    spoken = normalize_street(address.street)
    house = _norm_number(address.house)
    corpus = _norm_number(address.building)
    scored: list[tuple[float, B]] = []
    for b in buildings:
        if _norm_number(b.house) != house:
            continue
        known_corpus = _norm_number(b.building)
        if corpus and known_corpus != corpus:
            continue
        known = normalize_street(b.street)
        distance = street_distance(spoken, known)
        if distance > _limit(spoken, known, max_ratio) + 0.5:
            continue
        # Without a корпус in speech, prefer the building that has none.
        scored.append((round(distance + (0.5 if known_corpus and not corpus else 0.0), 3), b))
    scored.sort(key=lambda s: s[0])
    return scored[:limit]


def match_building(address: Address | None, buildings: Iterable[B], *, max_ratio: float = 0.34) -> B | None:
    """The one building the address names, or None when none is near or two are equally near.

    The street may differ by up to ``max_ratio`` of its length in edits (ASR slips such as
    "ленино" for "ленина"), on lemmas.
    """
    ranked = rank_buildings(address, buildings, max_ratio=max_ratio)
    if not ranked:
        return None
    if len(ranked) > 1 and ranked[1][0] == ranked[0][0]:
        return None
    return ranked[0][1]
