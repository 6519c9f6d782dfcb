"""Listening for a spoken menu choice while the keypad stays live.

A few seconds are recorded with no terminate key (keys still arrive as events); when the
recording ends, its words are recognised in grammar mode against the choices' phrases and the
flow hears ``SpokenChoice`` (None when nothing was understood).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import structlog

from ..ari.errors import AriError
from ..ari.events import RecordingFailed, RecordingFinished
from ..ari.session import CallSession
from ..asr.base import Transcriber
from ..flow import SpokenChoice, parse_choice
from ..flow.events import Event as FlowEvent
from .speech import phrases_for
from .translate import CHOICE_PREFIX

log = structlog.get_logger(__name__)


class ChoiceListener:
    def __init__(self, call: CallSession, transcriber: Transcriber | None,
                 phrases: Mapping[str, Sequence[str]], report: Callable[[FlowEvent], None],
                 spawn: Callable[..., None]) -> None:
        self.call = call
        self.client = call.client
        self.transcriber = transcriber
        self.phrases = phrases
        self.report = report
        self.spawn = spawn  # runs a coroutine beside the call (the recogniser takes time)
        self.listening: str | None = None  # the recording that listens now
        self.choices: tuple[str, ...] = ()
        self.count = 0

    async def listen(self, choices: tuple[str, ...], seconds: float) -> None:
        self.count += 1
        name = f"{CHOICE_PREFIX}{self.call.channel_id}-{self.count}"
        self.listening, self.choices = name, choices
        await self.client.record(self.call.channel_id, name, max_duration=max(1, math.ceil(seconds)),
                                 max_silence=1, terminate_on="none", beep=False, if_exists="overwrite")

    async def stop(self) -> None:
        name, self.listening = self.listening, None
        if name is not None:
            with contextlib.suppress(AriError):
                await self.client.stop_recording(name)

    def recorded(self, event: RecordingFinished | RecordingFailed) -> None:
        if event.recording.name != self.listening:
            return  # stopped by a key press or the flow moved on: nothing to report
        self.listening = None
        if isinstance(event, RecordingFailed):
            self.report(SpokenChoice(None, 0.0))
            return
        self.spawn(self.recognise(event.recording.name, self.choices), "choice")

    async def recognise(self, name: str, choices: tuple[str, ...]) -> None:
        choice, confidence = None, 0.0
        try:
            if self.transcriber is None:
                raise RuntimeError("no recogniser for spoken choices")
            data = await self.client.download_recording(name)
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / f"{name}.wav"
                await asyncio.to_thread(path.write_bytes, data)
                key, confidence = await self.transcriber.recognize_choice(path, phrases_for(choices, self.phrases))
            choice = parse_choice(key) if key else None
            with contextlib.suppress(AriError):
                await self.client.delete_stored_recording(name)
        except Exception:
            log.exception("ivr.choice_recognition_failed")
        log.info("ivr.spoken_choice", choice=choice.value if choice else None, confidence=round(confidence, 2))
        self.report(SpokenChoice(choice, confidence))
