"""The executors' service line: a plumber in the field dials 113 from their SIP extension,
is recognised by it, keys in a ticket number and sets its status by keypress, confirmed by voice.

A short linear dialogue, so it is written straight over the call session rather than as a
state machine; every branch is exercised end to end through the stand-in.
"""

from __future__ import annotations

import contextlib

import structlog

from journal import Actor, IllegalTransition, Journal
from journal.models import User

from ..ari.errors import AriError
from ..ari.events import ChannelDtmfReceived, Event, PlaybackFinished
from ..ari.session import CallSession
from ..flow.media import digits, prompt
from .desk import NoChanges, TicketChanges
from .mapping import spoken_number

log = structlog.get_logger(__name__)

KEY_TO_STATUS = {"1": "in_progress", "2": "done", "3": "cannot_be_done"}
SPOKEN_STATUS = {
    "new": "new", "accepted": "new", "reopened": "new", "assigned": "assigned", "in_progress": "in_progress",
    "postponed": "postponed", "done": "done", "cannot_be_done": "cannot_be_done",
}


class ExecutorLine:
    def __init__(self, journal: Journal, *, lang: str = "ru", key_timeout: float = 10.0, attempts: int = 3,
                 prompt_limit: float = 120.0, changes: TicketChanges | None = None) -> None:
        self.journal = journal
        self.changes = changes or NoChanges()
        self.lang = lang
        self.key_timeout = key_timeout
        # A prompt that never reports its end (an events gap) still stops waiting after this.
        self.prompt_limit = prompt_limit
        self.attempts = attempts

    async def __call__(self, call: CallSession) -> None:
        await call.answer()
        extension = call.channel.caller.number
        user = await self.journal.people.user_by_extension(extension)
        if user is None or user.role != "executor" or not user.is_active:
            log.info("executor_line.unknown_extension", extension=extension)
            await call.play(prompt("exec-unknown"), lang=self.lang, wait=True)
            await call.hangup()
            return
        structlog.contextvars.bind_contextvars(executor=user.login)
        for _ in range(self.attempts):
            if await self._one_ticket(call, user):
                break
        await call.play(prompt("exec-goodbye"), lang=self.lang, wait=True)
        await call.hangup()

    async def _one_ticket(self, call: CallSession, user: User) -> bool:
        entered = await self._keys(call, [prompt("exec-welcome")], until="#")
        ticket = await self.journal.tickets.by_spoken_number(entered) if entered else None
        if ticket is None:
            await call.play(prompt("exec-not-found"), lang=self.lang, wait=True)
            return False
        if ticket.executor_id not in (None, user.id):
            await call.play(prompt("exec-not-yours"), lang=self.lang, wait=True)
            return False
        media = [prompt("exec-ticket"), digits(spoken_number(ticket.number)), *self._status(ticket.status),
                 prompt("exec-status-menu")]
        key = await self._keys(call, media, single=True)
        if key not in KEY_TO_STATUS:
            return False
        actor = Actor(user.full_name, user.id)
        try:
            async with self.changes.together():  # the change and the consoles' update commit together
                if ticket.executor_id is None:
                    ticket = await self.journal.tickets.assign(ticket.id, user.id, actor)
                ticket = await self.journal.tickets.change_status(
                    ticket.id, KEY_TO_STATUS[key], actor, comment="Изменено по телефону (служебная линия)"
                )
                await self.changes.ticket_changed(ticket.id, "status")
        except IllegalTransition:
            current = await self.journal.tickets.get(ticket.id)
            await call.play([prompt("exec-status-refused"), *self._status(current.status)], lang=self.lang, wait=True)
            return False
        log.info("executor_line.status_set", ticket_id=ticket.id, ticket=ticket.number, status=ticket.status)
        await call.play([prompt("exec-status-set"), *self._status(ticket.status)], lang=self.lang, wait=True)
        return True

    def _status(self, status: str) -> list[str]:
        name = SPOKEN_STATUS.get(status)
        return [prompt(f"status-{name}")] if name else []

    async def _keys(self, call: CallSession, media: list[str], *, until: str = "", single: bool = False) -> str:
        """Play the prompt and collect keys typed over it (the first key cuts the prompt).

        The key timeout counts from the end of the prompt, not its start: the ticket's status
        menu alone takes ~9 s to say, and an executor answers after hearing it out."""
        playback = await call.play(media, lang=self.lang)
        playing = True
        typed = ""

        def wanted(event: Event) -> bool:
            return ((isinstance(event, ChannelDtmfReceived) and event.channel.id == call.channel_id)
                    or (isinstance(event, PlaybackFinished) and event.playback.id == playback.id))

        try:
            while True:
                event = await call.wait_for(Event, wanted, self.prompt_limit if playing else self.key_timeout)
                if isinstance(event, PlaybackFinished):
                    playing = False
                    continue
                assert isinstance(event, ChannelDtmfReceived)
                if playing:
                    playing = False
                    with contextlib.suppress(AriError):
                        await call.client.stop_playback(playback.id)
                if single:
                    return event.digit
                if event.digit == until:
                    return typed
                typed += event.digit
        except TimeoutError:
            return typed
