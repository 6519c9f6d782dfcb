"""The listening unit on its own: what it asks Asterisk to record, and what the flow hears."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, cast

from ivr.ari.client import AriClient
from ivr.ari.events import Channel, RecordingFailed, RecordingFinished, parse_event
from ivr.ari.session import CallSession
from ivr.asr import Phrases, Transcript
from ivr.flow import Category, SpokenChoice
from ivr.flow.events import Event as FlowEvent
from ivr.hotline.listening import ChoiceListener
from tests.asterisk_fixtures import SPEECH_WAV, load_trace


class Client:
    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        self.deleted: list[str] = []

    async def record(self, channel_id: str, name: str, **options: Any) -> None:
        self.records.append({"channel": channel_id, "name": name, **options})

    async def download_recording(self, name: str) -> bytes:
        return SPEECH_WAV.read_bytes()

    async def delete_stored_recording(self, name: str) -> None:
        self.deleted.append(name)


class Ear:
    """Hears "heating" in any recording, and records the phrases it was given."""

    def __init__(self) -> None:
        self.phrases: list[Phrases] = []

    async def transcribe(self, path: Path | str) -> Transcript:
        raise AssertionError("a menu choice is recognised in grammar mode")

    async def recognize_choice(self, path: Path | str, phrases: Phrases) -> tuple[str | None, float]:
        assert Path(path).read_bytes() == SPEECH_WAV.read_bytes()
        self.phrases.append(phrases)
        return "heating", 0.9

    async def close(self) -> None:
        return None


def _finished(name: str, failed: bool = False) -> RecordingFinished | RecordingFailed:
    raw = next(r["data"] for r in load_trace("resident-dtmf-record.jsonl")
               if r["kind"] == "ari_event" and r["data"]["type"] == "RecordingFinished")
    event = parse_event({**raw, "type": "RecordingFailed" if failed else "RecordingFinished",
                         "recording": {**raw["recording"], "name": name}})
    assert isinstance(event, (RecordingFinished, RecordingFailed))
    return event


async def test_a_spoken_choice_is_recorded_keys_live_and_recognised_in_grammar_mode() -> None:
    first = next(r["data"] for r in load_trace("resident-dtmf-record.jsonl") if r["kind"] == "ari_event")
    client, ear = Client(), Ear()
    session = CallSession(cast(AriClient, client), Channel.from_json(first["channel"]))
    heard: list[FlowEvent] = []
    tasks: list[asyncio.Task[None]] = []
    listener = ChoiceListener(session, ear, {"heating": ("отопление", "батарея")}, heard.append,
                              lambda coro, name: tasks.append(asyncio.create_task(coro)))
    await listener.listen(("heating", "lift"), 2.4)
    [rec] = client.records
    assert rec["name"] == f"choice-{session.channel_id}-1"
    assert (rec["terminate_on"], rec["max_duration"], rec["beep"]) == ("none", 3, False)
    listener.recorded(_finished("choice-someone-else-1"))
    assert tasks == [] and heard == []
    listener.recorded(_finished(rec["name"]))
    await asyncio.gather(*tasks)
    assert heard == [SpokenChoice(Category.HEATING, 0.9)]
    assert "отопление" in str(ear.phrases[0]) and client.deleted == [rec["name"]]
    # A second listening that Asterisk could not record: the flow hears "nothing understood".
    await listener.listen(("heating",), 2.0)
    listener.recorded(_finished(client.records[-1]["name"], failed=True))
    assert heard[-1] == SpokenChoice(None, 0.0)
