"""The residents' feedback call: we call the resident back when the work on their ticket is
done (``Stasis(hotline,rating,<ticket id>,<attempt id>)``); they confirm the work (1 yes, 2 no)
and rate it 1-5 by keypress. The answer lands on the ticket and on the attempt's row.

A short linear dialogue written straight over the call session, like the executors' line."""

from __future__ import annotations

import contextlib

import structlog

from journal import Actor, Journal, NotFound
from journal.feedback import FeedbackCalls

from ..ari import ChannelGone
from ..ari.errors import AriError
from ..ari.session import CallHungUp, CallSession
from ..flow.media import digits, prompt
from .desk import NoChanges, TicketChanges
from .mapping import spoken_number

log = structlog.get_logger(__name__)
RATING = Actor.system("rating")


def parse_args(args: tuple[str, ...] | list[str]) -> tuple[int, int | None] | None:
    """``("rating", "<ticket id>", "<attempt id>")``; the attempt is optional."""
    try:
        ticket_id = int(args[1])
        attempt_id = int(args[2]) if len(args) > 2 and args[2] else None
    except (IndexError, ValueError):
        return None
    return ticket_id, attempt_id


class RatingLine:
    def __init__(self, journal: Journal, feedback: FeedbackCalls, *, lang: str = "ru", key_timeout: float = 15.0,
                 tries: int = 2, changes: TicketChanges | None = None) -> None:
        self.journal = journal
        self.changes = changes or NoChanges()
        self.feedback = feedback
        self.lang = lang
        self.key_timeout = key_timeout
        self.tries = tries

    async def __call__(self, call: CallSession) -> None:
        parsed = parse_args(list(call.args))
        ticket = None
        if parsed is not None:
            with contextlib.suppress(NotFound):
                ticket = await self.journal.tickets.get(parsed[0])
        if parsed is None or ticket is None:
            log.warning("rating.bad_call", args=list(call.args))
            await call.hangup()
            return
        ticket_id, attempt_id = parsed
        outage = ticket.outage_id is not None and ticket.parent_id is not None
        structlog.contextvars.bind_contextvars(ticket_id=ticket_id)
        confirmed: bool | None = None
        rating: int | None = None
        outcome = "no_input"
        try:
            await call.answer()
            # A resident counted in a mass outage is asked only whether the service is back.
            intro = [prompt("outage-restored-ask")] if outage else [
                prompt("rating-intro"), digits(spoken_number(ticket.number)), prompt("rating-confirm")]
            key = await self._ask(call, intro, "12")
            if key:
                confirmed = key == "1"
                key = None if outage else await self._ask(call, [prompt("rating-ask")], "12345")
                rating = int(key) if key else None
            outcome = "rated" if confirmed is not None else "no_input"
            closing = prompt("rating-thanks")
            if confirmed is False:
                closing = prompt("outage-not-restored") if outage else prompt("rating-not-confirmed")
            await call.play(closing, lang=self.lang, wait=True)
            await call.hangup()
        except (CallHungUp, ChannelGone):
            outcome = "rated" if confirmed is not None else "hung_up"
        finally:
            await self._save(ticket_id, attempt_id, outcome, confirmed, rating)
            if outage and confirmed is False:
                await self.journal.outages.not_restored(ticket_id, RATING)

    async def _save(self, ticket_id: int, attempt_id: int | None, outcome: str, confirmed: bool | None,
                    rating: int | None) -> None:
        if confirmed is not None:
            comment = "Оценка по телефону (обратный звонок)"
            if confirmed is False:
                comment = "Житель не подтвердил выполнение работ (обратный звонок)"
            async with self.changes.together():  # the rating and the consoles' update commit together
                await self.journal.tickets.record_feedback(ticket_id, RATING, confirmed=confirmed, rating=rating,
                                                           comment=comment)
                await self.changes.ticket_changed(ticket_id, "rating")
        if attempt_id is not None:
            await self.feedback.answered(attempt_id, outcome=outcome, confirmed=confirmed, rating=rating)
        log.info("rating.finished", outcome=outcome, confirmed=confirmed, rating=rating)

    async def _ask(self, call: CallSession, media: list[str], allowed: str) -> str | None:
        """Play the question and take one allowed key (the first key cuts the prompt); asked again
        on a wrong key or silence."""
        for _ in range(self.tries):
            playback = await call.play(media, lang=self.lang)
            try:
                key = await call.wait_dtmf(timeout=self.key_timeout)
            except TimeoutError:
                continue
            with contextlib.suppress(AriError):
                await call.client.stop_playback(playback.id)
            if key in allowed:
                return key
        return None
