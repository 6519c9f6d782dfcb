"""UnderstandRecording, executed: the caller's recording transcribed and understood during the
call, answered to the flow as RecordingUnderstood. Any failure answers "nothing understood"
(the flow then registers the ticket as the keys said): a recogniser problem never costs a
request."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

import structlog

from ..asr import Transcriber
from ..flow import Category, RecordingUnderstood
from ..nlu import Understanding, understand
from .mapping import JOURNAL_TO_FLOW

log = structlog.get_logger(__name__)

NOTHING = RecordingUnderstood(None, None, confident=False)


def understood_event(u: Understanding) -> RecordingUnderstood:
    category: Category | None = JOURNAL_TO_FLOW.get(u.category)
    return RecordingUnderstood(
        topic=u.category,
        category=category,
        confident=u.confident,
        emergency=u.emergency,
        possibly_emergency=u.possibly_emergency,
    )


async def understand_recording(
    download: Callable[[str], Awaitable[bytes]],
    transcriber: Transcriber,
    name: str,
    understand_text: Callable[[str], Understanding] = understand,
) -> RecordingUnderstood:
    try:
        data = await download(name)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"{name}.wav"
            await asyncio.to_thread(path.write_bytes, data)
            transcript = await transcriber.transcribe(path)
        if not transcript.text:
            return NOTHING
        u = await asyncio.to_thread(understand_text, transcript.text)
    except Exception:
        log.exception("ivr.understanding_failed", recording=name)
        return NOTHING
    event = understood_event(u)
    log.info("ivr.recording_understood", topic=event.topic, confident=event.confident,
             confidence=u.category_confidence, emergency=event.emergency)
    return event
