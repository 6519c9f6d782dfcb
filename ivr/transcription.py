"""The transcription worker: takes recordings from the journal's durable queue, runs the
recogniser off the event loop, files the transcript on the ticket and lets the transcript
correct what the keypad could not say (emergency, address, a category that disagrees).

A failure is recorded on the job (retried with backoff, then marked failed on the ticket with
its reason); the ticket and the recording are never touched by a failure.

The worker runs inside the service (``asr.in_process``) or as ``hotline worker`` processes, any
number of them on any machine sharing the journal: each claim is a lease the worker renews
while it decodes (journal/transcription.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import asdict
from datetime import timedelta
from typing import Protocol

import structlog

from journal import Actor, ClaimedJob, Journal
from journal.addresses import format_address
from journal.models import Building, Ticket
from journal.transcription import DEFAULT_LEASE, default_worker_id

from .asr import Transcriber, Transcript
from .nlu import Address, Understanding, match_building, understand
from .nlu import load as load_understanding
from .nlu.buildings import rank_buildings

log = structlog.get_logger(__name__)
ASR = Actor.system("asr")


class TicketEvents(Protocol):
    """Where the worker reports (the console pushes these to dispatchers' screens)."""

    async def transcript_ready(self, ticket: Ticket) -> None: ...

    async def emergency_detected(self, ticket: Ticket, reasons: Sequence[str]) -> None: ...

    def together(self) -> AbstractAsyncContextManager[object]:
        """A scope whose journal changes commit together with the reports made in it (the
        console outbox); where the consoles are told otherwise, it adds nothing."""
        ...


class NoEvents:
    async def transcript_ready(self, ticket: Ticket) -> None:
        return None

    async def emergency_detected(self, ticket: Ticket, reasons: Sequence[str]) -> None:
        return None

    def together(self) -> AbstractAsyncContextManager[object]:
        return nullcontext()


class TranscriptionWorker:
    def __init__(
        self,
        journal: Journal,
        transcriber: Transcriber,
        *,
        events: TicketEvents | None = None,
        concurrency: int = 2,
        poll_seconds: float = 5.0,
        understand_text: Callable[[str], Understanding] = understand,
        worker_id: str | None = None,
        lease: timedelta = DEFAULT_LEASE,
    ) -> None:
        self.journal = journal
        self.transcriber = transcriber
        self.events = events or NoEvents()
        self.concurrency = max(1, concurrency)
        self.poll_seconds = poll_seconds
        self.understand = understand_text
        self.worker_id = worker_id or default_worker_id()
        self.lease = lease
        self._wake = asyncio.Event()
        self._running: dict[asyncio.Task[None], ClaimedJob] = {}
        self._idle = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._renewer: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """A job was queued: look now rather than at the next poll."""
        self._wake.set()

    async def start(self) -> None:
        if self.understand is understand:
            # Morphology, word vectors and weights: about a second and ~150 MB, once, in a thread.
            await asyncio.to_thread(load_understanding)
        recovered = await self.journal.transcription.recover(worker_id=self.worker_id)
        if recovered:
            log.info("transcription.recovered", jobs=recovered)
        self._task = asyncio.create_task(self._loop(), name="transcription-worker")
        self._renewer = asyncio.create_task(self._renew_leases(), name="transcription-leases")
        log.info("transcription.worker_started", worker=self.worker_id, concurrency=self.concurrency)

    async def stop(self) -> None:
        for task in (self._task, self._renewer):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        unfinished = list(self._running.values())
        for t in list(self._running):
            t.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)
        if unfinished:
            # Given back now rather than when the lease runs out.
            try:
                released = await self.journal.transcription.release(unfinished)
                log.info("transcription.released", jobs=released)
            except Exception:
                log.exception("transcription.release_failed")

    async def drain(self, timeout: float) -> None:
        """Wait until no job is pending or running (tests, benchmarks, shutdown)."""
        async def idle() -> None:
            while await self.journal.transcription.pending_count() > 0 or self._running:
                self.wake()
                await asyncio.sleep(0.05)
        await asyncio.wait_for(idle(), timeout)

    async def _loop(self) -> None:
        while True:
            free = self.concurrency - len(self._running)
            jobs = await self.journal.transcription.claim(free, worker_id=self.worker_id, lease=self.lease)
            for job in jobs:
                task = asyncio.create_task(self._process(job), name=f"transcribe-{job.id}")
                self._running[task] = job
                task.add_done_callback(self._done)
            self._wake.clear()
            if jobs and len(self._running) < self.concurrency:
                continue
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for drops a cancellation (stop)
            # that lands with a wake, and the worker would poll on.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_seconds):
                    await self._wake.wait()

    def _done(self, task: asyncio.Task[None]) -> None:
        self._running.pop(task, None)
        self._wake.set()

    async def _renew_leases(self) -> None:
        """Three renewals per lease: a busy database may delay one without losing the job."""
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            try:
                await self.journal.transcription.renew(list(self._running.values()), self.lease)
            except Exception:
                log.exception("transcription.lease_renewal_failed")

    async def _process(self, job: ClaimedJob) -> None:
        with structlog.contextvars.bound_contextvars(ticket_id=job.ticket_id, recording=job.recording_name):
            try:
                # Through the store: a local file as it is, an S3 object as a temporary copy.
                async with self.journal.files.local_copy(job.recording_path) as path:
                    transcript = await self.transcriber.transcribe(path)
            except Exception as exc:  # any recogniser failure is recorded, never raised
                await self._fail(job, f"{type(exc).__name__}: {exc}")
                return
            try:
                await self._file(job, transcript)
            except Exception:
                log.exception("transcription.filing_failed")
                await self._fail(job, "не удалось сохранить расшифровку")

    async def _fail(self, job: ClaimedJob, reason: str) -> None:
        if await self.journal.transcription.fail(job, reason) or job.ticket_id is None:
            return  # tried again later
        # Given up: open cards stop saying "ожидается…" and say why there is no transcript.
        try:
            await self.events.transcript_ready(await self.journal.tickets.get(job.ticket_id))
        except Exception:
            log.exception("transcription.failure_not_shown")

    async def _file(self, job: ClaimedJob, transcript: Transcript) -> None:
        u = await asyncio.to_thread(self.understand, transcript.text) if transcript.text else None
        # The transcript, what the words change, and the consoles' updates: one transaction.
        async with self.events.together():
            ticket = await self.journal.transcription.complete(
                job, text=transcript.text, words=[asdict(w) for w in transcript.words],
                suggested_category=u.category if u and u.category_confidence > 0 else None,
                suggested_confidence=u.category_confidence if u else None,
            )
            if ticket is None:
                return
            if u is not None:
                ticket = await self._apply(ticket, u)
            await self.events.transcript_ready(ticket)

    async def _apply(self, ticket: Ticket, u: Understanding) -> Ticket:
        """What the words add: an address the keypad can't give, an emergency the caller didn't
        press 0 for. A category that disagrees with the key pressed is only suggested: the
        dispatcher decides (the card flags it)."""
        changes: dict[str, object] = {}
        if ticket.building_id is None and u.address is not None:
            buildings = await self.journal.people.buildings()
            match: Building | None = match_building(u.address, buildings)
            if match is not None:
                changes["building_id"] = match.id
                if u.address.apartment and not ticket.apartment:
                    changes["apartment"] = u.address.apartment
            if not ticket.address_text:
                text = _address_text(u.address)
                ranked = rank_buildings(u.address, buildings) if match is None else []
                if len(ranked) > 1:
                    # Two of our buildings are equally near what was heard: the dispatcher picks.
                    options = "; ".join(format_address(b.street_type, b.street, b.house, b.building) for _, b in ranked[:3])
                    text = f"{text} (уточнить: {options})"
                changes["address_text"] = text
        if ticket.category == "other" and u.category != "other" and u.category_confidence >= 0.5:
            # Nobody chose a category (an emergency put straight through): the words choose it.
            changes["category"] = u.category
        if u.emergency and ticket.priority != "emergency":
            changes["priority"] = "emergency"
            if u.problem and u.problem in self.journal.sla.problems and ticket.problem is None:
                changes["problem"] = u.problem
        if changes:
            ticket = await self.journal.tickets.edit(ticket.id, ASR, **changes)
        if u.emergency:
            await self.events.emergency_detected(ticket, u.emergency_reasons)
        return ticket


def _address_text(a: Address) -> str:
    """As a dispatcher writes it: 'улица садовая, д. 7, корп. 2, кв. 5'."""
    parts = []
    if a.street:
        parts.append(f"{a.street_type or ''} {a.street}".strip())
    for label, value in (("д.", a.house), ("корп.", a.building), ("стр.", a.structure), ("кв.", a.apartment)):
        if value:
            parts.append(f"{label} {value}")
    return ", ".join(parts)
