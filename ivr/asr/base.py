"""What the call flow needs from a recogniser, whichever backend serves it."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from .grammar import Phrases
from .transcript import Transcript


class Transcriber(Protocol):
    async def transcribe(self, path: Path | str) -> Transcript: ...

    async def recognize_choice(self, path: Path | str, phrases: Phrases) -> tuple[str | None, float]: ...

    async def close(self) -> None: ...
