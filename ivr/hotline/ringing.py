"""Putting one caller through to a dispatcher: waiting in the queue, ringing, the bridge.

The call waits its turn in the shared ``DispatchQueue``; each dispatcher it is offered is rung
(an originated leg) for ``ring_each_seconds`` at most. The leg's answer is its StasisStart; its
end a hang-up or a final Dial status (the translation unit tells us through ``leg_event``). The
answered leg and the caller meet in a recorded mixing bridge. What the flow must know is
reported as flow events; what the console shows goes to the desk.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Awaitable, Callable

import structlog

from journal import CallAlreadyMissed
from journal.clock import utcnow

from ..ari.errors import AriError, AriNotFound, ChannelGone
from ..ari.session import CallHungUp, CallSession
from ..flow import ConnectToDispatcher, DispatcherAnswered, NoDispatcher, QueuePosition
from ..flow.events import Event as FlowEvent
from .desk import CallCard, DispatcherDesk
from .queue import DispatchQueue, Waiter
from .records import CallRecords

log = structlog.get_logger(__name__)

Report = Callable[[FlowEvent], None]
State = Callable[..., Awaitable[None]]
# A stopped recording's file appears a moment after the stop.
FETCH_DELAYS = (0.1, 0.3, 0.6, 1.0, 2.0)


class DispatcherRinger:
    def __init__(self, call: CallSession, desk: DispatcherDesk, queue: DispatchQueue, records: CallRecords, *,
                 report: Report, gone: Callable[[], None], state: State, silence: Callable[[], list[str]],
                 endpoint: str = "Local/{ext}@dispatchers", ring_each_seconds: int = 15,
                 position_after_seconds: float = 8.0, position_every_seconds: float = 30.0) -> None:
        self.call = call
        self.client = call.client
        self.desk = desk
        self.queue = queue
        self.records = records
        self.report = report
        self.gone = gone  # the caller's channel vanished under a command
        self.state = state
        self.silence = silence  # the prompts playing, stopped quietly
        self.endpoint = endpoint
        self.ring_each_seconds = ring_each_seconds
        # A caller who has waited this long without a phone ringing for them hears their place
        # in the queue, and again when it changed, at most this often.
        self.position_after_seconds = position_after_seconds
        self.position_every_seconds = position_every_seconds
        self.ringing_now = False
        self.legs: dict[str, str] = {}  # leg channel id -> extension
        self.leg_events: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self.dispatcher: str | None = None
        self.answered_leg: str | None = None
        self.dispatcher_left = False
        self.bridge_id: str | None = None
        self.conversation: str | None = None  # the live recording of the bridged conversation
        self.conversation_error: str | None = None
        self.waiter: Waiter | None = None
        # When the caller first joined the queue (ISO, UTC): a second turn in the queue (a
        # dispatcher who hung up early) keeps it, so the console shows the whole wait.
        self.waiting_since: str | None = None

    # -- Legs (for the translation unit) ---------------------------------------------------
    def is_leg(self, channel_id: str) -> bool:
        return channel_id in self.legs

    def leg_event(self, leg_id: str, what: str) -> None:
        self.leg_events.put_nowait((leg_id, what))
        if what == "ended" and leg_id == self.answered_leg and not self.dispatcher_left:
            # The dispatcher hung up. Asterisk keeps the resident in Stasis, alone in the
            # bridge, until we act: end the call, or it hangs there for good.
            self.dispatcher_left = True
            asyncio.get_running_loop().create_task(self._hangup_caller(), name=f"dispatcher-left-{leg_id}")

    async def _hangup_caller(self) -> None:
        with contextlib.suppress(AriError, CallHungUp):
            await self.call.hangup()

    # -- connecting ----------------------------------------------------------------------
    def card(self, cmd: ConnectToDispatcher) -> CallCard:
        r = self.records
        return CallCard(call_id=self.call.channel_id, caller_number=r.caller_number, caller_name=r.caller_name,
                        emergency=cmd.emergency, reason=cmd.reason.value, related_ticket=cmd.related_ticket,
                        ticket_id=r.ticket_id, ticket_number=r.ticket_number)

    async def connect(self, cmd: ConnectToDispatcher) -> None:
        """Wait in the queue and ring the dispatchers offered until one answers or the ring time
        is up; reports DispatcherAnswered or NoDispatcher."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + cmd.ring_seconds
        card = self.card(cmd)
        self.waiter = waiter = self.queue.join(self.call.channel_id, cmd.emergency)
        self.waiting_since = self.waiting_since or utcnow().isoformat()
        waiting = {"emergency": cmd.emergency, "waiting_since": self.waiting_since}
        await self.state("waiting", **waiting, position=self.queue.position(waiter))
        teller = asyncio.create_task(self._tell_position(waiter, waiting), name=f"position-{self.call.channel_id}")
        try:
            if cmd.emergency:
                await self.desk.ringing(None, card)
            while loop.time() < deadline and not self.call.hung_up:
                ext = await self.queue.next_dispatcher(waiter, deadline - loop.time())
                if ext is None:
                    break
                self.ringing_now = True
                try:
                    ring = int(max(1, min(self.ring_each_seconds, deadline - loop.time())))
                    if await self.ring(ext, ring, card):
                        return
                finally:
                    self.ringing_now = False
                    self.queue.release(ext)
            self.report(NoDispatcher())
        except ChannelGone:
            self.gone()
        except AriError as exc:
            log.warning("ivr.dispatcher_call_failed", error=str(exc))
            self.report(NoDispatcher())
        finally:
            teller.cancel()
            self.queue.leave(waiter)

    async def _tell_position(self, waiter: Waiter, waiting: dict[str, object]) -> None:
        """The caller hears their place in the queue; the consoles see it."""
        loop = asyncio.get_running_loop()
        told, told_at = 0, -math.inf
        await asyncio.sleep(self.position_after_seconds)
        while True:
            position = self.queue.position(waiter)
            if (position and position != told and not self.ringing_now
                    and loop.time() - told_at >= self.position_every_seconds):
                told, told_at = position, loop.time()
                log.info("ivr.queue_position", position=position)
                self.report(QueuePosition(position))
                await self.state("waiting", **waiting, position=position)
            await asyncio.sleep(min(1.0, self.position_every_seconds))

    async def ring(self, ext: str, seconds: int, card: CallCard) -> bool:
        """Ring one dispatcher; True when the call is settled (answered, or the caller left)."""
        r = self.records
        try:
            leg = await self.call.originate_leg(self.endpoint.format(ext=ext), app_args="dispatcher",
                                                caller_id=f'"{r.caller_name}" <{r.caller_number}>', timeout=seconds)
        except ChannelGone:
            raise
        except AriError as exc:
            # One phone that cannot be rung (not registered: 500 "Allocation failed") must not
            # end the round: the next free dispatcher is tried for the rest of the ring time.
            log.warning("ivr.dispatcher_unreachable", dispatcher=ext, status=exc.status, error=str(exc))
            return False
        self.legs[leg.id] = ext
        await self.desk.ringing(ext, card)
        if not await self._answered(leg.id, seconds + 5):
            self.legs.pop(leg.id, None)
            with contextlib.suppress(AriError):
                await self.client.hangup(leg.id)
            return False
        await self.bridge(leg.id)
        self.dispatcher, self.answered_leg = ext, leg.id
        try:
            card = await r.ticket_for_dispatcher(ext, card)
        except CallAlreadyMissed:
            # The caller hung up as the dispatcher answered: the missed call (with its
            # callback) is the record; the dispatcher's phone is released.
            log.info("ivr.answered_after_hangup", dispatcher=ext)
            await self.cancel_legs()
            return True
        await self.desk.answered(ext, card)
        await self.state("talking", dispatcher=ext, ticket_number=card.ticket_number)
        self.report(DispatcherAnswered(ext))
        return True

    async def _answered(self, leg_id: str, seconds: float) -> bool:
        try:
            async with asyncio.timeout(seconds):
                while True:
                    got, what = await self.leg_events.get()
                    if got == leg_id:
                        return what == "answered"
        except TimeoutError:
            return False

    async def bridge(self, leg_id: str) -> None:
        cid = self.call.channel_id
        # proxy_media: the audio passes through Asterisk (it is recorded), and the recording is
        # started before anyone joins, so the bridge mixes from the first frame on. Started
        # after the two phones, it switched the bridge from native RTP to mixing mid-call:
        # the RTP sequence a phone receives jumps, and a phone may drop the rest of the call.
        bridge = await self.client.create_bridge(type="mixing,proxy_media", name=f"hotline-{cid}")
        self.bridge_id = bridge.id
        await self._record_conversation(bridge.id)
        # Asterisk adds a channel to a bridge only once its playback has ended: the "connecting"
        # prompt is cut so the dispatcher who answers at once is heard at once.
        for pid in self.silence():
            with contextlib.suppress(AriError):
                await self.client.stop_playback(f"{cid}:{pid}")
        with contextlib.suppress(AriError):
            await self.client.moh_stop(cid)
        await self.client.add_channel(bridge.id, cid)
        await self.client.add_channel(bridge.id, leg_id)

    async def _record_conversation(self, bridge_id: str) -> None:
        """The whole conversation, both voices, for QA and the ПП 416 report."""
        name = f"conversation-{self.call.channel_id}"
        try:
            await self.client.record_bridge(bridge_id, name)
        except AriError as exc:
            log.error("ivr.conversation_not_recorded", error=str(exc))
            self.conversation_error = str(exc)
            return
        self.conversation = name

    async def cancel_legs(self) -> None:
        for leg in list(self.legs):
            with contextlib.suppress(AriError):
                await self.client.hangup(leg)
        self.legs.clear()

    async def close(self) -> None:
        """The call ended: legs down, the bridge gone, the conversation kept on the ticket."""
        if self.conversation:
            with contextlib.suppress(AriError):
                await self.client.stop_recording(self.conversation)
        await self.cancel_legs()
        if self.bridge_id:
            with contextlib.suppress(AriError):
                await self.client.destroy_bridge(self.bridge_id)
        if self.dispatcher:
            self.queue.wake()  # their phone is free again
        if self.conversation or self.conversation_error:
            stored = await self.records.store_conversation(self.conversation, self.conversation_error,
                                                           self._fetch_finished)
            if stored and self.conversation:
                with contextlib.suppress(AriError):
                    await self.client.delete_stored_recording(self.conversation)

    async def _fetch_finished(self, name: str) -> bytes:
        for delay in FETCH_DELAYS:
            try:
                return await self.client.download_recording(name)
            except AriNotFound:
                await asyncio.sleep(delay)
        return await self.client.download_recording(name)
