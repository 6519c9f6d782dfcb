"""The training line: a scripted call placed with Stasis arguments ``training,<ext>,<run id>``
runs through the real voice menu (ivr.hotline.HotlineCall), but with a desk of its own: only the
trainee's phone rings, only the trainee's console gets the card (marked as training), and every
ticket it registers has channel ``training``."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import asdict
from typing import Any

import structlog

from cti.console.hub import ConsoleHub
from cti.console.notifier import ConsoleNotifier
from cti.telephony import optional_text, ticket_card
from ivr.ari.session import CallSession
from ivr.hotline import CallCard, HotlineCall
from journal import Channel, Journal, NotFound

log = structlog.get_logger(__name__)

# (run id, ticket id): the run learns its ticket.
TicketSeen = Callable[[int, int], Awaitable[None]]
# run id -> extra fields of the card (scenario title, what the caller says)
RunInfo = Callable[[int], dict[str, Any]]


class TrainingDesk:
    """DispatcherDesk of one training call."""

    def __init__(self, journal: Journal, hub: ConsoleHub, extension: str, run_id: int, *,
                 info: dict[str, Any], on_ticket: TicketSeen) -> None:
        self.journal, self.notify = journal, ConsoleNotifier(hub)
        self.extension, self.run_id = extension, run_id
        self.info = info
        self.on_ticket = on_ticket
        self.popped_ticket: int | None = None
        self.started = False

    async def free_dispatchers(self, emergency: bool) -> Sequence[str]:
        return [self.extension]

    async def ringing(self, extension: str | None, card: CallCard) -> None:
        await self._pop(card.call_id, "ringing", asdict(card))

    async def answered(self, extension: str, card: CallCard) -> None:
        await self._pop(card.call_id, "answered", asdict(card))

    async def call_state(self, call_id: str, state: str, info: dict[str, object]) -> None:
        self.notify.call_state(call_id, state, caller_number=optional_text(info.get("caller_number")),
                               caller_name=optional_text(info.get("caller_name")), extension=self.extension, training=True,
                               only_extension=True)
        if not self.started:
            # The card appears as the call comes in: the trainee "hears" it from the first second.
            self.started = True
            await self._pop(call_id, "ivr", {"call_id": call_id, "caller_number": info.get("caller_number"),
                                             "caller_name": info.get("caller_name"), "emergency": False})
        number = info.get("ticket_number")
        if state == "ended" and isinstance(number, str) and self.popped_ticket is None:
            with contextlib.suppress(NotFound):
                ticket = await self.journal.tickets.by_number(number)
                await self._pop(call_id, "registered", {"call_id": call_id, "ticket_id": ticket.id,
                                                        "ticket_number": ticket.number})

    async def _pop(self, call_id: str, stage: str, fields: dict[str, Any]) -> None:
        payload: dict[str, Any] = {**fields, "stage": stage, "kind": "resident", "extension": self.extension,
                                   "training": True, "training_run_id": self.run_id, **self.info}
        ticket_id = fields.get("ticket_id")
        if isinstance(ticket_id, int):
            ticket = await self.journal.tickets.get(ticket_id)
            if ticket.channel == Channel.TRAINING:
                payload.update(ticket_card(ticket))
                if self.popped_ticket is None:
                    self.popped_ticket = ticket.id
                    await self.on_ticket(self.run_id, ticket.id)
        # To the trainee only, emergencies included: the shift never sees a training call.
        self.notify.screen_pop(self.extension, payload, only_extension=True)

    async def ticket_registered(self, call_id: str, ticket_id: int) -> None:
        """The trainee's card gets its ticket when the call ends (call_state above): a training
        ticket never enters the shift's work queue."""
        return

    def together(self) -> AbstractAsyncContextManager[object]:
        return contextlib.nullcontext()  # nothing of a training call waits on a ticket's commit


class TrainingLine:
    """CallHandler for ``Stasis(hotline,training,<ext>,<run id>)``."""

    def __init__(self, journal: Journal, hub: ConsoleHub, *, run_info: RunInfo, on_ticket: TicketSeen,
                 hotline_options: dict[str, Any] | None = None) -> None:
        self.journal, self.hub = journal, hub
        self.run_info, self.on_ticket = run_info, on_ticket
        self.options = hotline_options or {}

    async def __call__(self, call: CallSession) -> None:
        try:
            _, extension, run = call.args[:3]
            run_id = int(run)
        except ValueError:
            log.warning("training.bad_args", args=call.args)
            await call.hangup()
            return
        desk = TrainingDesk(self.journal, self.hub, extension, run_id, info=self.run_info(run_id),
                            on_ticket=self.on_ticket)
        hotline = HotlineCall(self.journal, desk, ticket_channel=Channel.TRAINING.value, **self.options)
        structlog.contextvars.bind_contextvars(training_run=run_id)
        await hotline(call)
