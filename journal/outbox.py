"""The console outbox on PostgreSQL: every console message with a global increasing id.

Several service instances share one PostgreSQL journal; each writes the console messages it
publishes here and every instance delivers what the table says, in id order, with the row's id
as the message id. ``LISTEN/NOTIFY`` after commit only wakes the readers (:class:`OutboxListener`);
a reader that missed a wake-up finds the rows at its next poll.

**Why a reader never skips an id.** A reader asks for ``id > last`` and moves ``last`` to the
highest id it got. Ids come from a sequence when a row is inserted, but transactions commit in
any order: writer A takes id 7, writer B takes id 8 and commits first, a reader sees 8, moves
``last`` to 8, and 7 (committed a moment later) is never read. So every writer takes one
transaction-scoped advisory lock (:data:`WRITE_LOCK`) *before* its insert draws ids and keeps it
until its commit: ids are drawn and committed one writer at a time, so commit order is id order,
and any snapshot a reader takes holds a prefix of the ids (PostgreSQL makes a commit visible to
new snapshots before it releases the transaction's locks). The other way (read only below the
oldest transaction in flight, ``pg_snapshot_xmin``) costs every read a look at the snapshot and
delays every reader by the slowest writer; the lock costs a writer a wait only while another is
inserting, and the service's writer batches what it has, so the lock is taken once per batch.

The table is trimmed by age and count (:meth:`Outbox.trim`); a console whose ``last_id`` is older
than what is kept is told to reload (the hub's ``resync``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg  # type: ignore[import-untyped]
import structlog
from sqlalchemy import BigInteger, Index, Integer, String, Text, delete, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from .clock import UTCDateTime, utcnow
from .db import Database
from .models import Base

log = structlog.get_logger(__name__)

BigId = BigInteger().with_variant(Integer(), "sqlite")
# A fixed 64-bit key for the writers' lock (pg_advisory_xact_lock), "hotline.console.outbox".
WRITE_LOCK = 0x686F746C696E6531
CHANNEL = "hotline_console"


class OutboxRow(Base):
    """One console message: ``mailboxes`` space-separated (``ext:101 role:dispatcher``),
    ``payload`` the message's JSON body (without ``id``, which is the row's)."""

    __tablename__ = "console_outbox"
    __table_args__ = (Index("ix_console_outbox_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(40))
    mailboxes: Mapped[str] = mapped_column(String(1000))
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


@dataclass(frozen=True)
class OutboxMessage:
    """What a writer hands in: the message type, its mailboxes and its JSON body."""

    type: str
    mailboxes: frozenset[str]
    payload: str


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    type: str
    mailboxes: frozenset[str]
    payload: str
    created_at: datetime


class Outbox:
    """Writes and reads of the outbox table (PostgreSQL only)."""

    def __init__(self, db: Database) -> None:
        if db.dialect != "postgresql":
            raise ValueError("the console outbox needs a PostgreSQL journal")
        self.db = db

    async def write(self, conn: AsyncConnection, messages: Sequence[OutboxMessage]) -> list[int]:
        """Insert in the caller's transaction (a journal change and its console messages commit
        together). Takes the writers' lock, held until that transaction ends: keep it short."""
        if not messages:
            return []
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK})
        now = utcnow()
        rows = [{"type": m.type, "mailboxes": " ".join(sorted(m.mailboxes)), "payload": m.payload, "created_at": now}
                for m in messages]
        result = await conn.execute(insert(OutboxRow).returning(OutboxRow.id), rows)
        return sorted(int(i) for i in result.scalars())

    def stage(self, message: OutboxMessage, *, first: Callable[[], Awaitable[None]] | None = None,
              committed: Callable[[], None] | None = None) -> bool:
        """Into the journal's write transaction this task has open, if any (False when there is
        none: the caller writes it otherwise). The staged messages are inserted in that
        transaction just before it commits, so a change and its console messages commit
        together or not at all; a ``NOTIFY`` in the same transaction wakes the readers at the
        commit (the transaction already holds the writers' lock, so it serialises nothing
        more). ``first`` runs before the insert (the hub writes what it queued earlier, to keep
        its order); ``committed`` after the commit."""
        scope = self.db.current_write()
        if scope is None:
            return False
        staged: list[OutboxMessage] | None = scope.staged.get("console_outbox")
        if staged is None:
            staged = scope.staged["console_outbox"] = []
            messages = staged

            async def insert_staged(session: AsyncSession) -> None:
                if first is not None:
                    await first()
                conn = await session.connection()
                await self.write(conn, messages)
                await conn.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})

            scope.before_commit.append(insert_staged)
            if committed is not None:
                scope.after_commit.append(committed)
        staged.append(message)
        return True

    async def append(self, messages: Sequence[OutboxMessage]) -> list[int]:
        """Insert in a transaction of its own, then wake the readers (after the commit: a
        ``NOTIFY`` inside the transaction would serialise commits across the database)."""
        async with self.db.engine.connect() as conn:
            async with conn.begin():
                ids = await self.write(conn, messages)
            # The same connection, a transaction of its own: one pool checkout for both.
            await conn.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})
            await conn.commit()
        return ids

    async def read_after(self, last_id: int, limit: int = 1000) -> list[OutboxEntry]:
        async with self.db.engine.connect() as conn:
            rows = (await conn.execute(select(OutboxRow).where(OutboxRow.id > last_id)
                                       .order_by(OutboxRow.id).limit(limit))).all()
        return [OutboxEntry(r.id, r.type, frozenset(r.mailboxes.split()), r.payload, r.created_at) for r in rows]

    async def bounds(self) -> tuple[int, int]:
        """The oldest and the newest id kept (0, 0 when empty)."""
        async with self.db.engine.connect() as conn:
            low, high = (await conn.execute(select(func.min(OutboxRow.id), func.max(OutboxRow.id)))).one()
        return int(low or 0), int(high or 0)

    async def epoch(self) -> str:
        """Names this outbox: ids of another database (or of a table made again) are not ours."""
        async with self.db.engine.connect() as conn:
            value = (await conn.execute(text(
                "SELECT current_database() || '.' || 'console_outbox'::regclass::oid::text"))).scalar()
        return f"pg.{value}"

    async def trim(self, *, keep: timedelta, keep_rows: int) -> int:
        """Forget rows older than ``keep`` and all but the newest ``keep_rows``; how many went."""
        cutoff = utcnow() - keep
        async with self.db.engine.begin() as conn:
            high = (await conn.execute(select(func.max(OutboxRow.id)))).scalar() or 0
            result = await conn.execute(delete(OutboxRow).where(
                (OutboxRow.created_at < cutoff) | (OutboxRow.id <= int(high) - keep_rows)))
        return int(result.rowcount or 0)


def asyncpg_dsn(db: Database) -> str:
    """The journal's URL for a plain asyncpg connection (``postgresql+asyncpg://`` → ``postgresql://``)."""
    return db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


class OutboxListener:
    """``LISTEN`` on a dedicated asyncpg connection; each notification calls ``wake``.

    The connection is watched: when it is lost (the server restarted, the backend ended) it is
    opened again, every ``retry`` seconds until it works. Readers poll besides, so what arrives
    while no listener is up is read at the next poll; ``wake`` is also called on every
    reconnection so nothing waits for that poll needlessly."""

    def __init__(self, dsn: str, wake: Callable[[], None], *, retry: float = 1.0) -> None:
        self.dsn, self.wake, self.retry = dsn, wake, retry
        self.notifications = 0
        self.connections = 0
        self._conn: asyncpg.Connection | None = None
        self._lost = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()

    @property
    def backend_pid(self) -> int | None:
        """The server process of the listening connection (None while there is none)."""
        conn = self._conn
        return None if conn is None or conn.is_closed() else int(conn.get_server_pid())

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-listener")

    async def wait_listening(self, timeout: float) -> None:
        async with asyncio.timeout(timeout):
            await self._connected.wait()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait([self._task], timeout=5)
        await self._close()

    async def _run(self) -> None:
        while True:
            try:
                await self._listen()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
                log.warning("console.listener_failed", error=str(exc))
            self._connected.clear()
            await self._close()
            await asyncio.sleep(self.retry)

    async def _listen(self) -> None:
        self._lost.clear()
        conn = await asyncpg.connect(self.dsn, timeout=10)
        self._conn = conn
        conn.add_termination_listener(lambda _c: self._lost.set())
        await conn.add_listener(CHANNEL, self._on_notify)
        self.connections += 1
        log.info("console.listener_connected", pid=conn.get_server_pid(), connections=self.connections)
        self._connected.set()
        self.wake()  # what was written while nobody listened
        while not conn.is_closed():
            # The termination callback covers a backend that said goodbye; the timeout a socket
            # that died without a word (the check is cheap, one round trip every few seconds).
            with contextlib.suppress(TimeoutError):  # asyncio.timeout: never swallows a cancellation
                async with asyncio.timeout(5.0):
                    await self._lost.wait()
            if self._lost.is_set() or conn.is_closed():
                break
            await conn.execute("SELECT 1", timeout=5)
        log.warning("console.listener_lost")

    def _on_notify(self, _conn: object, _pid: int, _channel: str, _payload: str) -> None:
        self.notifications += 1
        self.wake()

    async def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), timeout=2)
        elif conn is not None:
            conn.terminate()
