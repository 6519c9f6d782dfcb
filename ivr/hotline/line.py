"""The hotline as a line: what every call on it shares (the flow's settings, the journal, the
dispatchers' desk and the queue for them). Each call runs in ``call.CallRun``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from journal import Journal

from ..ari.session import CallSession
from ..asr.base import Transcriber
from ..flow import FlowConfig
from .call import CallRun
from .desk import DispatcherDesk
from .outage import OutageLine
from .queue import DispatchQueue
from .speech import DEFAULT_CHOICE_PHRASES


class HotlineCall:
    """The CallHandler plugged into ivr.ari's dispatcher: one instance serves every call.

    ``ticket_channel`` is the journal channel of every ticket this line registers (None:
    phone_ivr, or phone_dispatcher once a dispatcher answers; the training line: training)."""

    def __init__(self, journal: Journal, desk: DispatcherDesk, *, config: FlowConfig | None = None,
                 on_recording_queued: Callable[[], None] = lambda: None, lang: str = "ru",
                 dispatcher_endpoint: str = "Local/{ext}@dispatchers", ring_each_seconds: int = 15,
                 ticket_channel: str | None = None, transcriber: Transcriber | None = None,
                 choice_phrases: Mapping[str, Sequence[str]] = DEFAULT_CHOICE_PHRASES,
                 position_after_seconds: float = 8.0, position_every_seconds: float = 30.0,
                 outages: OutageLine | None = None) -> None:
        self.config = config or FlowConfig()
        if (self.config.speech_enabled or self.config.confirm_understanding) and transcriber is None:
            raise ValueError("the flow listens for spoken choices or understands recordings, but no recogniser "
                             "was given")
        self.journal, self.desk, self.transcriber, self.choice_phrases = journal, desk, transcriber, choice_phrases
        self.on_recording_queued, self.lang, self.ticket_channel = on_recording_queued, lang, ticket_channel
        self.dispatcher_endpoint, self.ring_each_seconds = dispatcher_endpoint, ring_each_seconds
        self.position_after_seconds, self.position_every_seconds = position_after_seconds, position_every_seconds
        # What a call starts with (the open ticket, an outage at the building) and counting.
        self.outages = outages or OutageLine(journal)
        # One queue for every call of this line: the order in which callers get dispatchers.
        self.queue = DispatchQueue(desk.free_dispatchers)

    async def __call__(self, call: CallSession) -> None:
        await CallRun(self, call).run()
