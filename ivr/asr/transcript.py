"""The result of one transcription, independent of the engine that made it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Word:
    word: str
    start: float  # seconds from the start of the recording
    end: float
    conf: float  # 0..1, as Vosk reports it


@dataclass(frozen=True, slots=True)
class Transcript:
    text: str
    words: tuple[Word, ...]
    duration: float  # seconds of audio
    engine: str  # "vosk-local" | "vosk-server"
    model: str  # model directory name, e.g. "vosk-model-small-ru-0.22"
    segments: tuple[str, ...] = field(default=())  # one per Vosk endpoint ("result")

    @property
    def confidence(self) -> float:
        """Mean word confidence; 0 for silence."""
        if not self.words:
            return 0.0
        return sum(w.conf for w in self.words) / len(self.words)


class ResultCollector:
    """Accumulates Vosk ``result`` objects (the JSON of Result()/FinalResult()) into a Transcript."""

    def __init__(self) -> None:
        self._segments: list[str] = []
        self._words: list[Word] = []

    def add(self, result: Mapping[str, Any]) -> None:
        text = str(result.get("text", "")).strip()
        if text:
            self._segments.append(text)
        self._words.extend(parse_words(result.get("result", ())))

    def build(self, *, duration: float, engine: str, model: str) -> Transcript:
        return Transcript(
            text=" ".join(self._segments),
            words=tuple(self._words),
            duration=duration,
            engine=engine,
            model=model,
            segments=tuple(self._segments),
        )


def parse_words(items: Sequence[Mapping[str, Any]]) -> list[Word]:
    return [
        Word(word=str(i["word"]), start=float(i["start"]), end=float(i["end"]), conf=float(i.get("conf", 1.0)))
        for i in items
    ]
