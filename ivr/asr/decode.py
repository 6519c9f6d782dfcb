"""Blocking decoding with a fresh KaldiRecognizer per job (run it in the engine's pool).

A recogniser grows with the audio it has seen, so one is never reused across recordings.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import vosk  # type: ignore[import-untyped]

from .audio import read_chunks
from .transcript import ResultCollector, Transcript


class RecognizerSession:
    """One utterance: feed PCM chunks, get Vosk's JSON replies (what vosk-server sends back)."""

    def __init__(self, model: vosk.Model, sample_rate: float, grammar: str | None = None, words: bool = True) -> None:
        if grammar is None:
            self._rec = vosk.KaldiRecognizer(model, sample_rate)
        else:
            self._rec = vosk.KaldiRecognizer(model, sample_rate, grammar)
        self._rec.SetWords(words)

    def accept(self, pcm: bytes) -> tuple[bool, str]:
        """(True, result JSON) at an endpoint, else (False, partial JSON)."""
        if self._rec.AcceptWaveform(pcm):
            return True, str(self._rec.Result())
        return False, str(self._rec.PartialResult())

    def feed(self, pcm: bytes) -> str | None:
        """The result JSON at an endpoint, else None (no partial: computing one costs a search)."""
        return str(self._rec.Result()) if self._rec.AcceptWaveform(pcm) else None

    def final(self) -> str:
        return str(self._rec.FinalResult())


def decode_wav(model: vosk.Model, path: Path, *, model_name: str, grammar: str | None = None) -> Transcript:
    info, chunks = read_chunks(path)
    session = RecognizerSession(model, info.sample_rate, grammar)
    collector = ResultCollector()
    for chunk in chunks:
        result = session.feed(chunk)
        if result is not None:
            collector.add(_loads(result))
    collector.add(_loads(session.final()))
    return collector.build(duration=info.duration, engine="vosk-local", model=model_name)


def _loads(reply: str) -> dict[str, Any]:
    value = json.loads(reply)
    return value if isinstance(value, dict) else {}
