"""Matching a spoken address to the buildings we serve, tolerant of recognition errors."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Protocol, TypeVar

from journal.addresses import normalize_street as normalize_street  # the one normaliser, shared

from .address import Address


class KnownBuilding(Protocol):
    @property
    def street(self) -> str: ...

    @property
    def house(self) -> str: ...

    @property
    def building(self) -> str | None: ...


B = TypeVar("B", bound=KnownBuilding)


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


def _street_distance(spoken: str, known: str) -> int:
    # Declension leaves the stem: compare whole names, and without the last two letters.
    whole = edit_distance(spoken, known)
    if len(spoken) > 4 and len(known) > 4:
        return min(whole, edit_distance(spoken[:-2], known[:-2]) + 1)
    return whole


def match_building(address: Address | None, buildings: Iterable[B], *, max_ratio: float = 0.34) -> B | None:
    """The one building the address names: same house (and корпус if said), nearest street name.

    The street may differ by up to ``max_ratio`` of its length in edits (ASR slips such as
    "ленино" for "ленина"); a tie between two buildings is no answer.
    """
    if address is None or address.street is None or address.house is None:
        return None
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
        distance = _street_distance(spoken, known)
        if distance > max(1, int(max_ratio * max(len(spoken), len(known)))):
            continue
        # Without a корпус in speech, prefer the building that has none.
        scored.append((distance + (0.5 if known_corpus and not corpus else 0.0), b))
    if not scored:
        return None
    scored.sort(key=lambda s: s[0])
    if len(scored) > 1 and scored[1][0] == scored[0][0]:
        return None
    return scored[0][1]
