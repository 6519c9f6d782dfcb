"""Lemmas with pymorphy3: "затопило" -> "затопить", "батареи" -> "батарея".

The analyser loads in well under a second and is shared by the process; lemmas are cached
(residents use a small vocabulary, so the cache stays small).
"""

from __future__ import annotations

import threading

import pymorphy3

_lock = threading.Lock()
_analyzer: pymorphy3.MorphAnalyzer | None = None
_cache: dict[str, str] = {}
_CACHE_LIMIT = 200_000


def analyzer() -> pymorphy3.MorphAnalyzer:
    global _analyzer
    if _analyzer is None:
        with _lock:
            if _analyzer is None:
                _analyzer = pymorphy3.MorphAnalyzer()
    return _analyzer


def lemma(token: str) -> str:
    """The dictionary form, ё folded to е; digits and unknown shapes come back unchanged."""
    found = _cache.get(token)
    if found is not None:
        return found
    found = analyzer().parse(token)[0].normal_form.replace("ё", "е") if token.isalpha() else token
    if len(_cache) < _CACHE_LIMIT:
        _cache[token] = found
    return found


def lemmas(tokens: list[str]) -> list[str]:
    return [lemma(t) for t in tokens]


def known(token: str) -> bool:
    return not token.isalpha() or analyzer().word_is_known(token)


def repair(tokens: list[str]) -> list[str]:
    """Undo a recogniser's split and merged words where the dictionary says so:
    "влифте" -> "в лифте", "сточетыре" -> "сто четыре", "отопле ния" -> "отопления".
    Known words are never touched."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if i + 1 < len(tokens) and tok.isalpha() and tokens[i + 1].isalpha():
            nxt = tokens[i + 1]
            joined = tok + nxt
            if (not known(tok) or not known(nxt)) and len(joined) >= 6 and known(joined):
                out.append(joined)
                i += 2
                continue
        if len(tok) >= 5 and tok.isalpha() and not known(tok):
            split = _split(tok)
            if split is not None:
                out += split
                i += 1
                continue
        out.append(tok)
        i += 1
    return out


def _split(tok: str) -> list[str] | None:
    best: list[str] | None = None
    for cut in range(1, len(tok) - 2):
        left, right = tok[:cut], tok[cut:]
        if len(left) < 3 and left not in _SHORT:
            continue
        if known(left) and known(right) and len(right) >= 3:
            # Prefer the longest right part: "влифте" is "в лифте", not "вли фте".
            if best is None or len(right) > len(best[1]):
                best = [left, right]
    return best


_SHORT = frozenset("в с к у о а и на по из за от до об со ко не ни".split())
