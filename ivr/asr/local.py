"""In-process recognition: the shared model, decoding in the engine's bounded thread pool."""

from __future__ import annotations

import time
from functools import partial
from pathlib import Path

import structlog

from .decode import decode_wav
from .engine import VoskEngine
from .grammar import Phrases, grammar_json, grammar_phrases, match_choice
from .model import has_word
from .transcript import Transcript

log = structlog.get_logger(__name__)


class LocalTranscriber:
    def __init__(self, engine: VoskEngine) -> None:
        self.engine = engine

    async def start(self) -> None:
        """Load the model now rather than on the first call (ModelMissing surfaces at start-up)."""
        await self.engine.model()

    async def transcribe(self, path: Path | str) -> Transcript:
        return await self._decode(Path(path), None)

    async def recognize_choice(self, path: Path | str, phrases: Phrases) -> tuple[str | None, float]:
        model = await self.engine.model()
        grammar = grammar_phrases(phrases, lambda w: has_word(model, w))
        transcript = await self._decode(Path(path), grammar_json(grammar))
        choice = match_choice(transcript, phrases)
        log.info("asr.choice", path=str(path), text=transcript.text, key=choice.key, confidence=choice.confidence)
        return choice.key, choice.confidence

    async def _decode(self, path: Path, grammar: str | None) -> Transcript:
        model = await self.engine.model()
        started = time.perf_counter()
        # A grammar decode is the voice menu's: the caller is waiting on the line.
        transcript = await self.engine.run(
            partial(decode_wav, model, path, model_name=self.engine.model_name, grammar=grammar),
            interactive=grammar is not None,
        )
        log.info(
            "asr.transcribed",
            path=str(path),
            grammar=grammar is not None,
            audio_seconds=round(transcript.duration, 2),
            seconds=round(time.perf_counter() - started, 3),
            words=len(transcript.words),
        )
        return transcript

    async def close(self) -> None:
        self.engine.close()
