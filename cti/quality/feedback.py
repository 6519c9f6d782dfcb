"""The feedback-call scheduler: follows the ticket history for finished work, keeps the durable
schedule of calls (journal.feedback), and places due calls into our Stasis app through ARI;
the rating line (ivr.hotline.rating_line) runs the conversation and records the outcome."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

import structlog

from ivr.ari.client import AriClient
from journal.clock import utcnow
from journal.db import Database
from journal.feedback import FeedbackCalls
from journal.quality_models import FeedbackCall
from journal.ticket_events import CLOSED, COMPLETED, events_after, last_history_id

log = structlog.get_logger(__name__)


class FeedbackDialer(Protocol):
    async def __call__(self, attempt: FeedbackCall) -> str: ...  # returns the channel id


class AriFeedbackDialer:
    """Originate ``Local/<number>@callback-out`` into ``Stasis(app, rating, <ticket>, <attempt>)``."""

    def __init__(self, client: AriClient, *, endpoint: str = "Local/{number}@callback-out", ring_seconds: int = 30,
                 caller_id: str = '"АДС" <112>') -> None:
        self.client = client
        self.endpoint = endpoint
        self.ring_seconds = ring_seconds
        self.caller_id = caller_id

    async def __call__(self, attempt: FeedbackCall) -> str:
        number = attempt.phone.lstrip("+")
        channel = await self.client.originate(
            self.endpoint.format(number=number), app_args=f"rating,{attempt.ticket_id},{attempt.id}",
            caller_id=self.caller_id, timeout=self.ring_seconds,
            channel_id=f"rating-{attempt.id}-{attempt.attempt}")
        return str(channel.id)


# How far back a scheduler with no call scheduled ever looks for finished work.
FRESH_START_LOOKBACK = timedelta(hours=1)


class FeedbackScheduler:
    def __init__(self, db: Database, calls: FeedbackCalls, dial: FeedbackDialer, *, ring_seconds: int = 30) -> None:
        self.db = db
        self.calls = calls
        self.dial = dial
        # An attempt still 'calling' this long after it was placed never reached the flow.
        self.give_up_after = timedelta(seconds=ring_seconds + 30)
        self.cursor: int | None = None

    async def step(self) -> None:
        await self.scan()
        await self.expire()
        await self.place_due()

    async def scan(self) -> int:
        """Schedule a call for every ticket whose work was done or closed since the cursor."""
        if self.cursor is None:
            # Durable cursor: the last history row that asked for a call. With none yet (a fresh
            # install), work finished within FRESH_START_LOOKBACK is still called about, so a
            # restart right after the first tickets were closed does not skip them.
            self.cursor = await self.calls.cursor() or await last_history_id(
                self.db, before=utcnow() - FRESH_START_LOOKBACK)
        n = 0
        while True:
            events, cursor = await events_after(self.db, self.cursor)
            for e in events:
                if e.event in (COMPLETED, CLOSED) and await self.calls.enqueue(e.ticket_id, source_history_id=e.history_id):
                    n += 1
            if cursor == self.cursor:
                return n
            self.cursor = cursor

    async def expire(self, now: datetime | None = None) -> int:
        """Attempts that never reached the rating flow: nobody picked up (or the line failed)."""
        now = now or utcnow()
        stale = await self.calls.stale_calling(now - self.give_up_after)
        for attempt in stale:
            await self.calls.not_reached(attempt.id, outcome="no_answer", now=now)
        return len(stale)

    async def place_due(self) -> None:
        for attempt in await self.calls.claim_due():
            try:
                channel_id = await self.dial(attempt)
            except Exception as exc:
                log.warning("feedback.originate_failed", ticket_id=attempt.ticket_id, error=str(exc))
                await self.calls.not_reached(attempt.id, outcome="error")
                continue
            await self.calls.set_channel(attempt.id, channel_id)
            log.info("feedback.calling", ticket_id=attempt.ticket_id, attempt=attempt.attempt, channel=channel_id)
