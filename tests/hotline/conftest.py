"""End-to-end fixtures: the Asterisk stand-in over real sockets, the real ARI client, the voice
menu, and a journal on SQLite."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from ivr.ari import AriService
from ivr.asr import Phrases, Transcript
from ivr.flow import FlowConfig
from ivr.hotline import ExecutorLine, HotlineCall, LineRouter, StaticDesk
from journal import BlobStore, Database, Journal, JournalConfig, SlaPolicy
from pbxsim import PbxSim, SimConfig
from pbxsim.media import sounds_from_dir
from tests.asterisk_fixtures import SPEECH_WAV
from tests.speech_fixtures import ko_model_dir, loaded_model, speech

__all__ = ["hotline", "hotline_files", "ko_model_dir", "loaded_model", "speech", "speech_wav"]

REPO = Path(__file__).resolve().parents[2]
PROMPTS = REPO / "ivr" / "prompts"
TIME_SCALE = 0.05


# Real-time flow timers, scaled like the stand-in's clock.
FAST_FLOW = FlowConfig(
    input_timeout_seconds=7.0 * TIME_SCALE * 4,
    dispatcher_ring_seconds=3,
    dispatcher_grace_seconds=2.0,
    recording_grace_seconds=1.0,
    max_recording_seconds=30,
    outage_wait_seconds=5.0 * TIME_SCALE * 4,
)


@dataclass
class Hotline:
    sim: PbxSim
    journal: Journal
    desk: StaticDesk
    ari: AriService

    async def settle(self, timeout: float = 15.0) -> None:
        """Wait until every call's flow has finished."""
        await self.ari.dispatcher.drain(timeout)
        assert not self.ari.dispatcher.sessions, "a call flow is still running"

    async def wait_played(self, channel_id: str, predicate: Callable[[list[str]], bool], timeout: float = 10.0) -> None:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while not predicate(self.sim.played(channel_id)):
            if loop.time() > end:
                raise AssertionError(f"not played in time; played: {self.sim.played(channel_id)}")
            await asyncio.sleep(0.01)


class FixedTranscript:
    """A recogniser that hears the same words in every recording."""

    def __init__(self, text: str) -> None:
        self.text = text

    async def transcribe(self, path: Path | str) -> Transcript:
        assert Path(path).stat().st_size > 44  # a real wav came from the stand-in
        return Transcript(self.text, (), 3.0, "fixed", "fixed")

    async def recognize_choice(self, path: Path | str, phrases: Phrases) -> tuple[str | None, float]:
        return None, 0.0

    async def close(self) -> None:
        return None


@pytest.fixture
def speech_wav(tmp_path: Path) -> Path:
    target = tmp_path / "problem.wav"
    shutil.copy(SPEECH_WAV, target)
    return target


@pytest.fixture
def hotline_files(tmp_path: Path) -> Path | BlobStore:
    """Where the journal keeps recordings (a test module may give another store)."""
    return tmp_path / "files"


@pytest.fixture
async def hotline(tmp_path: Path, sqlite_template: Path, sla: SlaPolicy, hotline_files: Path | BlobStore,
                  request: pytest.FixtureRequest) -> AsyncIterator[Hotline]:
    db_file = tmp_path / "journal.sqlite3"
    shutil.copy(sqlite_template, db_file)
    journal = Journal.build(Database.from_url(f"sqlite+aiosqlite:///{db_file}"), sla, JournalConfig(),
                            hotline_files)
    config = SimConfig(recordings_dir=tmp_path / "recordings", time_scale=TIME_SCALE)
    config.sounds.update(sounds_from_dir(PROMPTS, "hotline"))
    marker = request.node.get_closest_marker("extensions")
    if marker is not None:
        config.extensions.update(marker.args[0])
    desk = StaticDesk(["101", "102"])
    speech = request.node.get_closest_marker("speech")
    extra: dict[str, object] = {}
    if speech is not None:
        from ivr.asr import LocalTranscriber, VoskEngine

        # Grammar recognition of the spoken category, with the phrases the test gives.
        extra = {"transcriber": LocalTranscriber(VoskEngine(request.getfixturevalue("loaded_model"), 1)),
                 "choice_phrases": speech.args[0]}
    understanding = request.node.get_closest_marker("understanding")
    if understanding is not None:
        # The recogniser "hears" the marker's text: what follows is the real understanding.
        extra = {"transcriber": FixedTranscript(understanding.args[0])}
    async with PbxSim(config) as sim:
        flow = replace(FAST_FLOW, speech_enabled=True, listen_seconds=3.0) if speech is not None else FAST_FLOW
        if understanding is not None:
            flow = replace(flow, confirm_understanding=True, understand_timeout_seconds=5.0)
        ring = request.node.get_closest_marker("ring_endpoint")
        if ring is not None:
            extra["dispatcher_endpoint"] = ring.args[0]
        options = request.node.get_closest_marker("line_options")
        if options is not None:
            given = dict(options.kwargs)
            flow = replace(flow, **given.pop("flow", {}))
            extra.update(given)
        handler = LineRouter(HotlineCall(journal, desk, config=flow, ring_each_seconds=2, **extra),  # type: ignore[arg-type]
                             {"executor": ExecutorLine(journal, key_timeout=2.0)})
        async with AriService(sim.ari_settings(), handler, initial_backoff=0.05) as ari:
            await ari.state.wait_connected(5)
            yield Hotline(sim, journal, desk, ari)
    await journal.close()
