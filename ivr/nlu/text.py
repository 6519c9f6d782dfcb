"""Transcript normalisation: the shape Vosk prints (lower case, no punctuation), ё folded to е."""

from __future__ import annotations

import re

_NON_WORD = re.compile(r"[^0-9a-zа-я/\-]+")


def tokens(text: str) -> list[str]:
    """Lower-case word tokens; 'ё' becomes 'е' so rules need one spelling."""
    folded = text.lower().replace("ё", "е")
    return [t for t in _NON_WORD.sub(" ", folded).replace("-", " ").split() if t]
