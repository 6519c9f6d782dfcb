"""Grammar mode for menu answers: restrict Vosk to known phrases and map the answer to a key.

Vosk silently drops grammar words missing from the model's vocabulary, and ``[unk]`` only
exists in some models; so the grammar is built from what the model knows, and the answer is
checked as whole phrases rather than trusted as is.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import structlog

from .transcript import Transcript

log = structlog.get_logger(__name__)

UNKNOWN = "[unk]"
Phrases = Mapping[str, Sequence[str]]


def _norm(phrase: str) -> str:
    return " ".join(phrase.lower().replace("ё", "е").split())


def grammar_phrases(phrases: Phrases, known: Callable[[str], bool] | None = None) -> list[str]:
    """The phrase list to give Vosk: every phrase whose words the model knows, plus [unk] if it exists."""
    out: list[str] = []
    for key, options in phrases.items():
        for option in options:
            phrase = _norm(option)
            missing = [w for w in phrase.split() if known is not None and not known(w)]
            if missing:
                log.warning("asr.grammar_word_unknown", key=key, phrase=phrase, missing=missing)
                continue
            if phrase and phrase not in out:
                out.append(phrase)
    if not out:
        raise ValueError("no grammar phrase is in the model's vocabulary")
    if known is None or known(UNKNOWN):
        out.append(UNKNOWN)
    return out


def grammar_json(phrases: list[str]) -> str:
    return json.dumps(phrases, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class Choice:
    key: str | None
    confidence: float


def match_choice(transcript: Transcript, phrases: Phrases) -> Choice:
    """The key whose phrase was said, or None when nothing or several different keys were heard."""
    words = [_norm(w.word) for w in transcript.words]
    confs = [w.conf for w in transcript.words]
    if not words:
        return Choice(None, 0.0)
    hits: dict[str, float] = {}
    for key, options in phrases.items():
        for option in options:
            target = _norm(option).split()
            n = len(target)
            for i in range(len(words) - n + 1):
                if n and words[i : i + n] == target:
                    conf = sum(confs[i : i + n]) / n
                    # Words beyond the phrase (noise, [unk]) lower the confidence.
                    conf *= n / len(words) if len(words) > n else 1.0
                    hits[key] = max(hits.get(key, 0.0), conf)
    if len(hits) != 1:
        if len(hits) > 1:
            log.info("asr.choice_ambiguous", keys=sorted(hits), text=transcript.text)
        return Choice(None, 0.0)
    (key, conf), = hits.items()
    return Choice(key, round(conf, 3))
