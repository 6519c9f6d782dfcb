"""One call's view of ARI: its own event queue and commands bound to its channel.

A call flow (the voice menu) receives a ``CallSession`` and either reads ``next_event()`` or
uses the helpers that wait for the matching event (``play(..., wait=True)``, ``wait_dtmf``).
Events it did not wait for stay pending, so a key pressed during a prompt is not lost.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from typing import TypeVar

from ivr.ari.client import AriClient
from ivr.ari.errors import ChannelGone
from ivr.ari.events import (
    Channel,
    ChannelDestroyed,
    ChannelDtmfReceived,
    ChannelHangupRequest,
    Event,
    LiveRecording,
    Playback,
    PlaybackFinished,
    RecordingFailed,
    RecordingFinished,
    StasisEnd,
)

E = TypeVar("E", bound=Event)


class CallHungUp(Exception):
    """The caller's channel hung up or vanished while the flow waited on it."""


class _Lost:
    """Queue marker: the channel disappeared while we were disconnected."""


class CallSession:
    def __init__(self, client: AriClient, channel: Channel, *, args: Sequence[str] = (), resumed: bool = False,
                 claim: Callable[[str, CallSession], None] | None = None) -> None:
        self.client = client
        self.channel = channel
        self.args = tuple(args)
        self.resumed = resumed
        self.on_resync: Callable[[], None] | None = None
        self.call_id = channel.id
        self.hung_up = False
        self._queue: asyncio.Queue[Event | _Lost] = asyncio.Queue()
        self._pending: deque[Event] = deque()
        self._claim = claim
        self.legs: set[str] = {channel.id}

    @property
    def channel_id(self) -> str:
        return self.channel.id

    # -- event intake (called by the dispatcher, never blocks) ---------------------------

    def deliver(self, event: Event) -> None:
        self._queue.put_nowait(event)

    def mark_lost(self) -> None:
        self._queue.put_nowait(_Lost())

    def resynced(self) -> None:
        """The events websocket came back and the channel is still ours; events in between
        (a playback or a recording that finished) may be lost. ``on_resync`` looks them up."""
        if self.on_resync is not None:
            self.on_resync()

    def _ends_call(self, event: Event) -> bool:
        return (isinstance(event, (StasisEnd, ChannelHangupRequest, ChannelDestroyed))
                and event.channel_ids() == (self.channel.id,))

    async def next_event(self, timeout: float | None = None) -> Event:
        """The next event of this call; raises CallHungUp once after the channel is gone."""
        if self._pending:
            return self._pending.popleft()
        # asyncio.timeout, not wait_for: a get that completes as the time runs out keeps its
        # event (wait_for could drop it, or swallow a cancellation, on Python 3.11).
        async with asyncio.timeout(timeout):
            item = await self._queue.get()
        if isinstance(item, _Lost):
            self.hung_up = True
            raise CallHungUp(self.channel.id)
        if self._ends_call(item):
            self.hung_up = True
        return item

    async def wait_for(self, kind: type[E], predicate: Callable[[E], bool] = lambda e: True,
                       timeout: float | None = None) -> E:
        """The first event of ``kind`` matching ``predicate``; others stay pending.

        Raises CallHungUp when the call's channel ends first, TimeoutError on timeout.
        """
        for event in list(self._pending):
            if isinstance(event, kind) and predicate(event):
                self._pending.remove(event)
                return event
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            if self.hung_up:
                raise CallHungUp(self.channel.id)
            remaining = None if deadline is None else max(0.0, deadline - loop.time())
            async with asyncio.timeout(remaining):
                item = await self._queue.get()
            if isinstance(item, _Lost):
                self.hung_up = True
                raise CallHungUp(self.channel.id)
            if isinstance(item, kind) and predicate(item):
                if self._ends_call(item):
                    self.hung_up = True
                return item
            if self._ends_call(item):
                self.hung_up = True
                self._pending.append(item)
                raise CallHungUp(self.channel.id)
            self._pending.append(item)

    # -- commands on this call's channel -------------------------------------------------

    async def answer(self) -> None:
        await self.client.answer(self.channel.id)

    async def play(self, media: str | Sequence[str], *, lang: str | None = None, wait: bool = False,
                   timeout: float | None = None) -> Playback:
        playback = await self.client.play(self.channel.id, media, lang=lang or self.channel.language or None,
                                          playback_id=str(uuid.uuid4()))
        if wait:
            finished = await self.wait_for(PlaybackFinished, lambda e: e.playback.id == playback.id, timeout)
            return finished.playback
        return playback

    async def wait_dtmf(self, timeout: float | None = None) -> str:
        event = await self.wait_for(ChannelDtmfReceived, lambda e: e.channel.id == self.channel.id, timeout)
        return event.digit

    async def record(self, name: str, *, max_duration: int = 60, max_silence: int = 3, terminate_on: str = "#",
                     beep: bool = False, if_exists: str = "overwrite", wait: bool = True,
                     timeout: float | None = None) -> LiveRecording:
        live = await self.client.record(self.channel.id, name, max_duration=max_duration, max_silence=max_silence,
                                        terminate_on=terminate_on, beep=beep, if_exists=if_exists)
        if not wait:
            return live
        return await self.wait_for_recording(name, timeout)

    async def wait_for_recording(self, name: str, timeout: float | None = None) -> LiveRecording:
        """RecordingFinished/Failed for ``name``; Asterisk sends it before StasisEnd on hangup."""
        event = await self.wait_for(Event, lambda e: isinstance(e, (RecordingFinished, RecordingFailed))
                                    and e.recording.name == name, timeout)
        assert isinstance(event, (RecordingFinished, RecordingFailed))
        return event.recording

    async def hangup(self, reason: str = "normal") -> None:
        try:
            await self.client.hangup(self.channel.id, reason)
        except ChannelGone:
            pass
        self.hung_up = True

    async def originate_leg(self, endpoint: str, *, app_args: str = "", caller_id: str | None = None,
                            timeout: int = 30) -> Channel:
        """Originate another channel into our app whose events come to this session."""
        leg_id = f"{self.channel.id}-leg-{uuid.uuid4().hex[:8]}"
        for cid in (leg_id, leg_id + ";2"):
            self.legs.add(cid)
            if self._claim is not None:
                self._claim(cid, self)
        return await self.client.originate(endpoint, app_args=app_args or None, caller_id=caller_id,
                                           timeout=timeout, channel_id=leg_id, other_channel_id=leg_id + ";2")
