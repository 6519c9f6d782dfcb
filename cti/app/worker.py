"""``hotline worker``: a transcription worker process, out of the call path.

Any number of them, on any machine that reaches the journal's database and the recordings
(the shared directory, or the S3 bucket: journal/storage.py), take jobs from the journal's queue (leased, so a job is decoded by one worker and
redone by another only if its worker dies) and decode with the local Vosk model or a
vosk-server. The service then runs with ``asr.in_process = false`` and decodes nothing itself.
With ``console.bus = "postgres"`` a transcript also reaches the open cards of every console at
once, through the journal's outbox, as the service's own worker's does.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from datetime import timedelta

import structlog

from cti.app.compose import build_journal
from cti.console.outbox_bus import OutboxHub
from cti.settings import Settings, SettingsError
from cti.telephony.tickets import ConsoleTicketEvents
from ivr.asr import ModelMissing, make_transcriber
from ivr.transcription import TranscriptionWorker
from journal.outbox import Outbox

log = structlog.get_logger(__name__)


async def run_worker(settings: Settings, *, concurrency: int | None = None, worker_id: str | None = None,
                     drain: bool = False, stop: asyncio.Event | None = None) -> int:
    """Decode until stopped (SIGTERM/SIGINT or ``stop``); with ``drain``, until the queue is empty."""
    transcriber = make_transcriber(settings.asr, root=settings.path("."))
    if transcriber is None:
        raise SettingsError("setting 'asr.backend' is none: a worker has nothing to decode with")
    start = getattr(transcriber, "start", None)
    if start is not None:
        try:
            await start()
        except ModelMissing as exc:
            await transcriber.close()
            raise SettingsError(str(exc)) from exc
    journal = build_journal(settings)
    hub = OutboxHub(Outbox(journal.db)) if settings.console.bus == "postgres" else None
    worker = TranscriptionWorker(journal, transcriber, concurrency=concurrency or max(1, settings.asr.workers),
                                 worker_id=worker_id, lease=timedelta(seconds=settings.asr.lease_seconds),
                                 poll_seconds=min(5.0, settings.asr.lease_seconds / 2),
                                 events=ConsoleTicketEvents(hub, journal.db) if hub is not None else None)
    try:
        if hub is not None:
            await hub.start(deliver=False)
        await worker.start()
        if stop is None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
        if drain:
            waiting = asyncio.create_task(stop.wait())
            drained = asyncio.create_task(worker.drain(timeout=365 * 86400.0))
            await asyncio.wait({waiting, drained}, return_when=asyncio.FIRST_COMPLETED)
            for task in (waiting, drained):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        else:
            await stop.wait()
    finally:
        log.info("transcription.worker_stopping", worker=worker.worker_id)
        await worker.stop()
        if hub is not None:
            await hub.stop()  # what the worker published is written first
        with contextlib.suppress(Exception):
            await transcriber.close()
        await journal.close()
    return 0
