"""Which instance runs a periodic job (rating calls, residents' notifications, retention).

On PostgreSQL several service instances share the journal, and each job must run on one of them
at a time: a rating call dialled twice, or two retention sweeps racing, is a fault a resident or
an auditor sees. The instance that takes a job's session advisory lock runs it and keeps it
while it lives; the others check at each of their own steps and take over when the holder's
session ends. The lock lives on one connection of its own (autocommit, so it never sits idle in
a transaction) with TCP keepalives and ``tcp_user_timeout`` set on the server's side of it: a
holder that dies without closing is noticed in seconds, not after the kernel's two hours.

On SQLite there is one instance (``hotline run`` holds the file), which runs everything.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable

import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from .db import Database

log = structlog.get_logger(__name__)

# How soon PostgreSQL notices a holder gone without a word: ~5 s idle, 3 probes 1 s apart, and
# unacknowledged data dropped after 8 s.
KEEPALIVE = {"tcp_keepalives_idle": "5", "tcp_keepalives_interval": "1", "tcp_keepalives_count": "3",
             "tcp_user_timeout": "8000"}


def job_key(name: str) -> int:
    """A stable 64-bit advisory lock key for a job's name."""
    return int.from_bytes(hashlib.sha256(f"hotline.job:{name}".encode()).digest()[:8], "big", signed=True)


def node_key(name: str) -> int:
    """A stable 64-bit advisory lock key for an Asterisk node's name (apart from the jobs')."""
    return int.from_bytes(hashlib.sha256(f"hotline.node:{name}".encode()).digest()[:8], "big", signed=True)


class JobLocks:
    """``key``/``taken_event``: the same locks hold Asterisk nodes (``node_key``, cti/telephony/nodes.py)."""

    def __init__(self, db: Database, *, key: Callable[[str], int] = job_key,
                 taken_event: str = "periodic.job_taken") -> None:
        self.db = db
        self.key = key
        self.taken_event = taken_event
        self._conn: AsyncConnection | None = None
        self._held: set[str] = set()
        self._mutex = asyncio.Lock()

    async def hold(self, name: str) -> bool:
        """True when this instance runs job ``name`` now: it held the lock already (and its
        session is alive), or has just taken it."""
        if self.db.dialect != "postgresql":
            return True
        async with self._mutex:
            try:
                conn = await self._connection()
                if name in self._held:
                    await conn.execute(text("SELECT 1"))  # the session, and so the lock, is alive
                    return True
                key = self.key(name)
                taken = bool((await conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key})).scalar())
            except Exception:
                log.warning("periodic.lock_connection_lost", job=name, held=sorted(self._held), exc_info=True)
                await self._drop()
                return False
            if taken:
                self._held.add(name)
                log.info(self.taken_event, job=name)
            return taken

    async def _connection(self) -> AsyncConnection:
        if self._conn is None:
            conn = await self.db.engine.connect()
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            for setting, value in KEEPALIVE.items():
                await conn.execute(text(f"SET {setting} = {value}"))
            self._conn = conn
        return self._conn

    async def _drop(self) -> None:
        self._held.clear()
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await conn.invalidate()
            except Exception:
                log.debug("periodic.lock_connection_invalidate_failed", exc_info=True)

    async def close(self) -> None:
        """Give every job up (the connection closes, PostgreSQL frees the locks)."""
        async with self._mutex:
            conn, self._conn = self._conn, None
            self._held.clear()
            if conn is not None:
                await conn.invalidate()  # a pooled connection must not go back with the locks
