"""Consoles across service instances: the hub fed by the PostgreSQL outbox (``[console] bus = "postgres"``).

Publishing (the notifier's ``hub.publish``) never touches the database on the caller's path.
**A message published inside a journal write transaction** (the notifier's ``together``: a
ticket changed from the console, registered or changed on the phone, a transcript filed) is
staged in it and inserted at its commit, in it: the change and its console message commit
together or not at all, and an instance that dies after the commit has already written both.
Any other message (calls in progress, rings, cards: no journal change behind them) is
serialised and queued, and one writer task per instance inserts what is queued in a batch
(journal/outbox.py: one transaction, ids in commit order) and then notifies. A transaction
with staged messages first lets the writer finish what was queued before, so one instance's
messages keep the order they were published in.

Every instance, the writer's own included, reads the outbox in id order and delivers each row to
its local hub with the row's id as the message id: the rings, the calls in progress and the
cards of ``hello`` are the same on every instance, and the epoch is the outbox's, so a console
carries its ``last_id`` from one instance to another. Its replay is read from the outbox
(``backlog``) and joined with what the local hub delivered while that read ran.

Reads are woken by the instance's own writer, by ``NOTIFY`` (a dedicated listening connection,
reconnected when lost) and, whatever happens to those, by a poll every ``poll_seconds``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog

from cti.console.hub import ALL, Client, ConsoleHub, Socket, Subscriber, _audience
from cti.console.messages import ConsoleMessage, Resync
from journal.outbox import Outbox, OutboxEntry, OutboxListener, OutboxMessage, asyncpg_dsn

log = structlog.get_logger(__name__)

BATCH = 500  # rows a writer inserts in one transaction at most
READ_LIMIT = 1000
# A replay longer than this is not sent message by message: the console reloads instead.
BACKLOG_LIMIT = 5000


@dataclass(frozen=True)
class Backlog:
    entries: list[OutboxEntry]
    complete: bool  # False: rows the console never got are gone (trimmed) or too many


class OutboxHub(ConsoleHub):
    """A :class:`ConsoleHub` whose messages go through the outbox; ``start``/``stop`` run its tasks."""

    def __init__(self, outbox: Outbox, *, poll_seconds: float = 1.0, keep: timedelta = timedelta(minutes=10),
                 keep_rows: int = 100_000, pending_limit: int = 10_000, buffer_size: int = 200,
                 queue_size: int = 256) -> None:
        super().__init__(buffer_size=buffer_size, queue_size=queue_size)
        self.outbox = outbox
        self.poll_seconds, self.keep, self.keep_rows = poll_seconds, keep, keep_rows
        self._pending: asyncio.Queue[OutboxMessage] = asyncio.Queue(pending_limit)
        self._wake = asyncio.Event()
        self.listener = OutboxListener(asyncpg_dsn(outbox.db), self._wake.set, retry=min(1.0, poll_seconds))
        self._tasks: list[asyncio.Task[None]] = []
        self._idle = asyncio.Event()  # nothing queued, nothing being written
        self._idle.set()
        self._ready = False  # the epoch is the outbox's and the recent rows are delivered
        self.polls = 0

    # -- lifecycle ----------------------------------------------------------------------------
    async def start(self, *, deliver: bool = True) -> None:
        """Take the outbox's epoch and deliver its recent rows (no console is attached yet:
        this fills the rings and the calls in progress), then read and write in the
        background. The journal away at start does not stop the service: the reader does this
        once it can, and messages queue meanwhile. ``deliver`` false: a process with no
        consoles of its own (a transcription worker) only writes."""
        if not deliver:
            self._tasks = [asyncio.create_task(self._write_loop(), name="outbox-writer")]
            log.info("console.outbox_started", mode="publish_only")
            return
        try:
            async with asyncio.timeout(10):
                await self._catch_up()
        except Exception:
            log.warning("console.outbox_unavailable", exc_info=True)
        self.listener.start()
        self._tasks = [asyncio.create_task(self._write_loop(), name="outbox-writer"),
                       asyncio.create_task(self._read_loop(), name="outbox-reader"),
                       asyncio.create_task(self._trim_loop(), name="outbox-trim")]
        log.info("console.outbox_started", epoch=self.epoch, last_id=self._last_id)

    async def _catch_up(self, warm_rows: int = 2000) -> None:
        epoch = await self.outbox.epoch()
        _, high = await self.outbox.bounds()
        self._last_id = max(self._last_id, high - warm_rows)
        await self._read()
        self.epoch, self._ready = epoch, True

    async def stop(self) -> None:
        # What is queued is written before the writer goes (a few seconds at most).
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                await self._idle.wait()
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)
        await self.listener.stop()

    # -- publishing ---------------------------------------------------------------------------
    transactional = True

    def publish(self, message: ConsoleMessage, to: str | Iterable[str] = ALL) -> int:
        """Stage the message in this task's journal transaction, or queue it for the outbox; 0
        (its id is known once written)."""
        payload = json.dumps(message.body(), ensure_ascii=False, default=str)
        entry = OutboxMessage(message.TYPE, _audience(to), payload)
        if self.outbox.stage(entry, first=self._queued_written, committed=self._wake.set):
            return 0
        try:
            self._pending.put_nowait(entry)
            self._idle.clear()
        except asyncio.QueueFull:
            log.error("console.publish_failed", message_type=message.TYPE, reason="outbox writer behind")
        return 0

    async def _queued_written(self, bound: float = 2.0) -> None:
        """What was queued before is written first (bounded: a writer stuck on a database
        that refuses does not hold a transaction up for long)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(bound):
                await self._idle.wait()

    async def _write_loop(self) -> None:
        backoff = 0.1
        while True:
            batch = [await self._pending.get()]
            while len(batch) < BATCH and not self._pending.empty():
                batch.append(self._pending.get_nowait())
            while True:  # the database away: keep the batch (order kept) and try again
                try:
                    await self.outbox.append(batch)
                    backoff = 0.1
                    break
                except Exception:
                    log.exception("console.publish_failed", messages=len(batch), retry_in=backoff)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 5.0)
            if self._pending.empty():
                self._idle.set()
            self._wake.set()  # our own rows need no round trip through NOTIFY

    # -- reading ------------------------------------------------------------------------------
    async def _read_loop(self) -> None:
        while True:
            # asyncio.timeout, not wait_for: on 3.11 a cancellation that meets wait_for's own
            # timeout can be swallowed, and this loop would never end.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_seconds):
                    await self._wake.wait()
            self._wake.clear()
            self.polls += 1
            try:
                await (self._read() if self._ready else self._catch_up())
            except Exception:
                log.warning("console.outbox_read_failed", exc_info=True)

    async def _read(self) -> None:
        while True:
            rows = await self.outbox.read_after(self._last_id, READ_LIMIT)
            for row in rows:
                self._deliver_row(row)
            if len(rows) < READ_LIMIT:
                return

    def _deliver_row(self, row: OutboxEntry) -> None:
        body: dict[str, Any] = json.loads(row.payload)
        body["id"], body["type"] = row.id, row.type
        self.deliver(row.id, row.type, body, row.mailboxes, json.dumps(body, ensure_ascii=False))

    async def _trim_loop(self) -> None:
        while True:
            await asyncio.sleep(max(10.0, min(60.0, self.keep.total_seconds() / 10)))
            try:
                gone = await self.outbox.trim(keep=self.keep, keep_rows=self.keep_rows)
                if gone:
                    log.info("console.outbox_trimmed", rows=gone)
            except Exception:
                log.warning("console.outbox_trim_failed", exc_info=True)

    # -- a console attaching: its replay comes from the outbox ----------------------------------
    async def backlog(self, last_id: int | None, epoch: str | None) -> Backlog | None:
        if last_id is None or (epoch is not None and epoch != self.epoch):
            return None
        try:
            low, _ = await self.outbox.bounds()
            entries = await self.outbox.read_after(last_id, BACKLOG_LIMIT)
        except Exception:  # the journal away: the console reloads what it shows instead
            log.warning("console.backlog_failed", last_id=last_id, exc_info=True)
            return None
        complete = (low == 0 or low <= last_id + 1) and len(entries) < BACKLOG_LIMIT
        return Backlog(entries, complete)

    def attach(self, socket: Socket, who: Subscriber, last_id: int | None, epoch: str | None = None,
               backlog: Any = None) -> Client:
        """Hello, then what the console missed after ``last_id`` up to what this instance has
        delivered (the outbox's rows read just before, and the rings for anything delivered
        since that read), then live messages above ``last_id``: no gap, none twice."""
        client = super().attach(socket, who, None)
        if last_id is None or client.dropped:
            return client
        if not isinstance(backlog, Backlog):  # another outbox (epoch) or none: reload all
            self._offer(client, json.dumps({"id": 0, "type": Resync.TYPE}))
            return client
        client.after = max(last_id, self._last_id)
        missed = {e.id: e for e in backlog.entries if e.id <= self._last_id and not e.mailboxes.isdisjoint(client.mailboxes)}
        texts: dict[int, str] = {}
        for message_id, entry in missed.items():
            body: dict[str, Any] = json.loads(entry.payload)
            body["id"], body["type"] = entry.id, entry.type
            texts[message_id] = json.dumps(body, ensure_ascii=False)
        ring_texts, _ = self._missed(client, max([last_id, *missed]))
        for text in ring_texts:
            texts.setdefault(int(json.loads(text)["id"]), text)
        ordered = [texts[i] for i in sorted(texts) if i > last_id]
        if not backlog.complete:
            ordered.insert(0, json.dumps({"id": 0, "type": Resync.TYPE}))
        for text in ordered:
            if not self._offer(client, text):
                break
        return client


def make_hub(bus: str, outbox: Outbox | None, *, poll_seconds: float, keep_minutes: float,
             keep_rows: int) -> ConsoleHub:
    """The hub the settings ask for: in memory (one instance), or through the outbox."""
    if bus == "memory":
        return ConsoleHub()
    if outbox is None:
        raise ValueError("the console outbox needs a PostgreSQL journal")
    return OutboxHub(outbox, poll_seconds=poll_seconds, keep=timedelta(minutes=keep_minutes), keep_rows=keep_rows)
