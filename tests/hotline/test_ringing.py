"""The ringing unit on its own, against a scripted ARI client: the order of the REST calls a
real Asterisk needs to bridge a dispatcher in, the next dispatcher after a refused or busy phone,
and two callers never ringing one phone at once."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest

from ivr.ari.client import AriClient
from ivr.ari.errors import AriError
from ivr.ari.events import Bridge, Channel
from ivr.ari.session import CallSession
from ivr.flow import ConnectToDispatcher, DispatcherAnswered, DispatcherReason, NoDispatcher
from ivr.flow.events import Event as FlowEvent
from ivr.hotline.desk import StaticDesk
from ivr.hotline.queue import DispatchQueue
from ivr.hotline.records import CallRecords
from ivr.hotline.ringing import DispatcherRinger
from journal import Journal
from tests.asterisk_fixtures import SPEECH_WAV, load_trace

CALLER = next(r["data"] for r in load_trace("dispatcher-pjsip-answers.jsonl") if r["kind"] == "ari_event")["channel"]


class Phones:
    """What each dispatcher's phone does when rung: "answer", "busy" or "refuse" (not registered)."""

    def __init__(self, **behaviour: str) -> None:
        self.behaviour = behaviour
        self.ringing: dict[str, str] = {}  # leg -> extension, while it rings
        self.overlaps: list[str] = []
        self.calls: list[tuple[str, Any]] = []
        self.ringers: dict[str, DispatcherRinger] = {}

    async def originate(self, endpoint: str, **kw: Any) -> Channel:
        ext = endpoint.split("/")[1].split("@")[0]
        self.calls.append(("originate", ext))
        if self.behaviour.get(ext) == "refuse":
            raise AriError(500, "Allocation failed")
        if ext in self.ringing.values():
            self.overlaps.append(ext)
        leg = kw["channel_id"]
        self.ringing[leg] = ext
        owner = next(r for cid, r in self.ringers.items() if leg.startswith(cid))
        what = "answered" if self.behaviour.get(ext) == "answer" else "ended"
        asyncio.get_running_loop().call_later(0.05, self._settle, owner, leg, what)
        return Channel.from_json({**CALLER, "id": leg, "name": f"PJSIP/{ext}-0001"})

    def _settle(self, owner: DispatcherRinger, leg: str, what: str) -> None:
        if what == "ended":
            self.ringing.pop(leg, None)
        owner.leg_event(leg, what)

    async def hangup(self, channel_id: str, reason: str = "normal") -> None:
        self.calls.append(("hangup", channel_id))
        self.ringing.pop(channel_id, None)

    async def create_bridge(self, **kw: Any) -> Bridge:
        self.calls.append(("create_bridge", kw["type"]))
        return Bridge.from_json({"id": "b1", "technology": "simple_bridge", "bridge_type": "mixing",
                                 "bridge_class": "stasis", "channels": []})

    async def record_bridge(self, bridge_id: str, name: str) -> None:
        self.calls.append(("record_bridge", name))

    async def stop_playback(self, playback_id: str) -> None:
        self.calls.append(("stop_playback", playback_id))

    async def moh_stop(self, channel_id: str) -> None:
        self.calls.append(("moh_stop", channel_id))

    async def add_channel(self, bridge_id: str, channel_id: str) -> None:
        self.calls.append(("add_channel", channel_id))


def _ringer(phones: Phones, journal: Journal, queue: DispatchQueue, desk: StaticDesk, call_id: str,
            heard: list[FlowEvent], states: list[tuple[str, dict[str, object]]] | None = None) -> DispatcherRinger:
    session = CallSession(cast(AriClient, phones), Channel.from_json({**CALLER, "id": call_id}))

    async def state(name: str, **info: object) -> None:
        if states is not None:
            states.append((name, info))

    async def download(name: str) -> bytes:
        return SPEECH_WAV.read_bytes()

    records = CallRecords(journal, download)
    ringer = DispatcherRinger(session, desk, queue, records, report=heard.append, gone=lambda: None, state=state,
                              silence=lambda: ["p7"], endpoint="PJSIP/{ext}", ring_each_seconds=1)
    phones.ringers[call_id] = ringer
    return ringer


pytestmark = pytest.mark.parametrize("backend", ["sqlite"])  # the queue and legs, not the database

CONNECT = ConnectToDispatcher(DispatcherReason.REQUESTED, False, 5, None)


async def test_a_refused_and_a_busy_phone_pass_the_call_on_and_the_answer_is_bridged_recorded_first(
        journal: Journal) -> None:
    phones = Phones(**{"101": "refuse", "102": "busy", "103": "answer"})
    desk = StaticDesk(["101", "102", "103"])
    heard: list[FlowEvent] = []
    ringer = _ringer(phones, journal, DispatchQueue(desk.free_dispatchers, poll_seconds=0.05), desk, "c1", heard)
    await ringer.records.start(ringer.call.channel)
    await ringer.connect(CONNECT)
    assert heard == [DispatcherAnswered("103")]
    assert [c for c in phones.calls if c[0] == "originate"] == [("originate", "101"), ("originate", "102"),
                                                                ("originate", "103")]
    after = [c[0] for c in phones.calls[phones.calls.index(("originate", "103")) + 1:]]
    # The recording starts before anyone joins (a mixing bridge from the first frame), and the
    # "connecting" prompt is cut so the dispatcher is heard at once.
    assert after == ["create_bridge", "record_bridge", "stop_playback", "moh_stop", "add_channel", "add_channel"]
    assert ("create_bridge", "mixing,proxy_media") in phones.calls
    assert [(kind, ext) for kind, ext, _ in desk.log] == [("ringing", "102"), ("ringing", "103"), ("answered", "103")]
    card = desk.log[-1][2]
    assert card.ticket_id is not None and (await journal.tickets.get(card.ticket_id)).channel == "phone_dispatcher"


async def test_nobody_answering_reports_no_dispatcher_when_the_time_is_up(journal: Journal) -> None:
    phones = Phones(**{"101": "busy"})
    desk = StaticDesk(["101"])
    heard: list[FlowEvent] = []
    queue = DispatchQueue(desk.free_dispatchers, poll_seconds=0.05, round_pause_seconds=0.2)
    ringer = _ringer(phones, journal, queue, desk, "c1", heard)
    await ringer.records.start(ringer.call.channel)
    await ringer.connect(ConnectToDispatcher(DispatcherReason.REQUESTED, False, 1, None))
    assert heard == [NoDispatcher()]
    assert len([c for c in phones.calls if c == ("originate", "101")]) >= 2  # tried again within the time
    assert queue.waiters == [] and queue.claimed == {}


async def test_a_second_turn_in_the_queue_keeps_the_wait_from_the_first(journal: Journal) -> None:
    """The console counts a caller's wait from the first time they joined the queue: a caller
    back in the queue (nobody answered, or the dispatcher hung up early) is not reset to 0:00."""
    phones = Phones(**{"101": "busy"})
    desk = StaticDesk(["101"])
    heard: list[FlowEvent] = []
    states: list[tuple[str, dict[str, object]]] = []
    queue = DispatchQueue(desk.free_dispatchers, poll_seconds=0.05, round_pause_seconds=0.2)
    ringer = _ringer(phones, journal, queue, desk, "c1", heard, states)
    await ringer.records.start(ringer.call.channel)
    turn = ConnectToDispatcher(DispatcherReason.REQUESTED, False, 1, None)
    await ringer.connect(turn)
    await asyncio.sleep(0.05)
    await ringer.connect(turn)
    assert heard == [NoDispatcher(), NoDispatcher()]
    since = [info["waiting_since"] for name, info in states if name == "waiting"]
    assert len(since) >= 2 and len(set(since)) == 1


async def test_two_callers_never_ring_one_phone_at_once(journal: Journal) -> None:
    phones = Phones(**{"101": "busy", "102": "busy"})
    desk = StaticDesk(["101", "102"])
    queue = DispatchQueue(desk.free_dispatchers, poll_seconds=0.05, round_pause_seconds=0.1)
    heard: list[FlowEvent] = []
    ringers = [_ringer(phones, journal, queue, desk, f"c{i}", heard) for i in range(3)]
    for r in ringers:
        await r.records.start(r.call.channel)
    await asyncio.gather(*(r.connect(ConnectToDispatcher(DispatcherReason.REQUESTED, False, 1, None))
                           for r in ringers))
    assert heard == [NoDispatcher()] * 3
    assert phones.overlaps == []
    assert len([c for c in phones.calls if c[0] == "originate"]) >= 4
