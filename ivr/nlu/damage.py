"""ASR-like damage for measuring understanding on what a recogniser really prints.

Deterministic (seeded by the sentence itself): a word dropped, a vowel reduced or a final
consonant devoiced as Vosk mishears them, a long word split in two, a short word merged
with the next. The labels stay those of the clean sentence.
"""

from __future__ import annotations

import random
import zlib

# Unstressed vowels and final consonants as a recogniser confuses them.
_VOWEL_SWAPS = {"о": "а", "а": "о", "е": "и", "и": "е", "я": "е", "ё": "о"}
_DEVOICE = {"б": "п", "в": "ф", "г": "к", "д": "т", "ж": "ш", "з": "с"}


def _misspell(word: str, rng: random.Random) -> str:
    if word[-1] in _DEVOICE and rng.random() < 0.5:
        return word[:-1] + _DEVOICE[word[-1]]
    spots = [i for i, c in enumerate(word) if c in _VOWEL_SWAPS and i > 0]
    if not spots:
        return word
    i = rng.choice(spots)
    return word[:i] + _VOWEL_SWAPS[word[i]] + word[i + 1:]


def damage(text: str, rate: float = 0.2) -> str:
    """The sentence with about ``rate`` of its words damaged one way or another."""
    rng = random.Random(zlib.crc32(text.encode("utf-8")))
    words = text.split()
    out: list[str] = []
    i = 0
    while i < len(words):
        w = words[i]
        if rng.random() >= rate or len(words) < 4:
            out.append(w)
            i += 1
            continue
        kind = rng.choice(("drop", "misspell", "misspell", "split", "merge"))
        if kind == "drop" and len(w) <= 6:
            pass  # short words are the ones a recogniser swallows
        elif kind == "split" and len(w) >= 7:
            cut = rng.randint(3, len(w) - 3)
            out += [w[:cut], w[cut:]]
        elif kind == "merge" and len(w) <= 3 and i + 1 < len(words):
            out.append(w + words[i + 1])
            i += 1
        elif len(w) >= 3:
            out.append(_misspell(w, rng))
        else:
            out.append(w)
        i += 1
    return " ".join(out) if out else text
