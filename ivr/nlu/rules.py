"""Stem patterns over tokens: prefixes that must co-occur within a window, with negation.

Russian inflects heavily, so a stem prefix ("батаре") stands for all its forms; a rule of
several stems fires when all occur close together, in any order ("батарея холодная",
"холодные батареи").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .morph import lemma

NEGATIONS = frozenset({"не", "нет", "ни", "нету", "без"})
# Words that may stand between a negation and what it negates: "не очень сильно искрит".
_FILLERS = frozenset({"уже", "больше", "сильно", "особо", "совсем", "так", "очень", "то", "вроде", "пока", "еще", "вообще", "было", "и"})


@dataclass(frozen=True, slots=True)
class Stem:
    """A token matcher: any prefix, except the excluded prefixes; '=word' matches exactly."""

    prefixes: tuple[str, ...]
    exclude: tuple[str, ...] = ()

    def matches(self, token: str) -> bool:
        """The word form, or its lemma for prefixes ("потекла" -> "потечь" for "потек")."""
        if self._matches(token, exact=True):
            return True
        base = lemma(token)
        return base != token and self._matches(base, exact=False)

    def _matches(self, token: str, *, exact: bool) -> bool:
        if any(token.startswith(x) for x in self.exclude):
            return False
        for p in self.prefixes:
            if p.startswith("="):
                if exact and token == p[1:]:
                    return True
            elif token.startswith(p):
                return True
        return False


def stem(spec: str, exclude: str = "") -> Stem:
    """``stem("батаре|радиатор", exclude="батарейк")``."""
    return Stem(tuple(spec.split("|")), tuple(exclude.split("|")) if exclude else ())


@dataclass(frozen=True, slots=True)
class Rule:
    parts: tuple[Stem, ...]
    weight: float = 1.0
    window: int = 3  # every part within this many tokens of the first part
    trailing_negation: bool = False  # "запаха газа нет"
    blockers: frozenset[str] = frozenset()  # extra words that cancel it like a negation ("плохо топят")


def rule(*specs: str | Stem, weight: float = 1.0, window: int = 3, trailing_negation: bool = False, blockers: str = "") -> Rule:
    parts = tuple(s if isinstance(s, Stem) else stem(s) for s in specs)
    return Rule(parts, weight, window, trailing_negation, frozenset(blockers.split("|")) if blockers else frozenset())


def _negated(tokens: Sequence[str], i: int, extra: frozenset[str]) -> bool:
    stop = NEGATIONS | extra
    if i >= 1 and tokens[i - 1] in stop:
        return True
    return i >= 2 and tokens[i - 2] in stop and tokens[i - 1] in _FILLERS


def matches(r: Rule, tokens: Sequence[str], *, negation: bool = False) -> list[tuple[int, ...]]:
    """Every placement of the rule: the token indices of its parts (negated ones left out if asked)."""
    found: list[tuple[int, ...]] = []
    first, rest = r.parts[0], r.parts[1:]
    for i, tok in enumerate(tokens):
        if not first.matches(tok):
            continue
        lo, hi = max(0, i - r.window), min(len(tokens), i + r.window + 1)
        idx = [i]
        for part in rest:
            near = [j for j in range(lo, hi) if j not in idx and part.matches(tokens[j])]
            if not near:
                break
            idx.append(min(near, key=lambda j: abs(j - i)))
        else:
            placement = tuple(idx)
            if negation and _is_negated(r, tokens, placement):
                continue
            found.append(placement)
    return found


def _is_negated(r: Rule, tokens: Sequence[str], placement: tuple[int, ...]) -> bool:
    if any(_negated(tokens, j, r.blockers) for j in placement):
        return True
    last = max(placement)
    return r.trailing_negation and last + 1 < len(tokens) and tokens[last + 1] in {"нет", "нету"}


def fires(r: Rule, tokens: Sequence[str], *, negation: bool = False) -> bool:
    return bool(matches(r, tokens, negation=negation))
