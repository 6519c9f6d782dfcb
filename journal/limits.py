"""Counters that every service instance on one journal shares: the log-in throttle and the
call-back limits (their rules live in the web layer; the counts live here).

Kept in process memory, two instances on one PostgreSQL journal would each allow the whole quota.
Here a change of a count happens inside one write transaction that holds the rows it reads: the
rows are created if missing (``INSERT ... ON CONFLICT DO NOTHING``) and then locked with
``SELECT ... FOR UPDATE`` in a fixed order (scope, key), so concurrent requests on any instance
wait their turn and two transactions never wait for each other in a circle. SQLite runs one
writer at a time (``BEGIN IMMEDIATE``), which gives the same.

Times are wall-clock seconds (``time.time()``) chosen by the caller: instances on different
machines compare them, so a monotonic clock would not do. Rows carry ``expires_at`` and are
deleted once it has passed (at most once a minute per instance, on the next change).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy import Boolean, Float, Index, Integer, String, delete, func, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from .db import Database
from .models import Base

PURGE_EVERY = 60.0  # seconds between two sweeps of expired rows by one instance
KEY_LENGTH = 200


class LimitCounter(Base):
    """One counted subject: a (login, address) pair, an address, a login, a dispatcher."""

    __tablename__ = "limit_counters"
    __table_args__ = (Index("ix_limit_counters_expires", "expires_at"),)

    scope: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[float] = mapped_column(Float, default=0.0)
    last_at: Mapped[float] = mapped_column(Float, default=0.0)
    until: Mapped[float] = mapped_column(Float, default=0.0)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[float] = mapped_column(Float)


class LimitMark(Base):
    """A member seen for a subject at a time: the logins tried from one address, or one
    call-back (its own id) in a sliding hour."""

    __tablename__ = "limit_marks"
    __table_args__ = (Index("ix_limit_marks_at", "scope", "key", "at"), Index("ix_limit_marks_expires", "expires_at"))

    scope: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    member: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float)


@dataclass
class Counter:
    """A counter's values as read under its lock; change them and they are written back."""

    count: int = 0
    started_at: float = 0.0
    last_at: float = 0.0
    until: float = 0.0
    flagged: bool = False
    expires_at: float = 0.0


Key = tuple[str, str]


def _key(scope: str, key: str) -> Key:
    return scope, key[:KEY_LENGTH]


class Held:
    """Counters locked for one transaction, and the marks of their subjects."""

    def __init__(self, session: AsyncSession, counters: dict[Key, Counter], dialect: str) -> None:
        self._s = session
        self._counters = counters
        self._insert = postgresql.insert if dialect == "postgresql" else sqlite.insert

    def counter(self, scope: str, key: str) -> Counter:
        return self._counters[_key(scope, key)]

    async def mark(self, scope: str, key: str, member: str, *, at: float, expires_at: float) -> None:
        """Note ``member`` for the subject (seen again: its time moves on)."""
        scope, key = _key(scope, key)
        stmt = self._insert(LimitMark).values(scope=scope, key=key, member=member[:KEY_LENGTH], at=at,
                                              expires_at=expires_at)
        await self._s.execute(stmt.on_conflict_do_update(
            index_elements=[LimitMark.scope, LimitMark.key, LimitMark.member],
            set_={"at": stmt.excluded.at, "expires_at": stmt.excluded.expires_at}))

    async def marks_since(self, scope: str, key: str, since: float, *, inclusive: bool = True) -> int:
        """How many members were seen for the subject at ``since`` or later (or only later)."""
        scope, key = _key(scope, key)
        after = LimitMark.at >= since if inclusive else LimitMark.at > since
        return int((await self._s.execute(select(func.count()).select_from(LimitMark).where(
            LimitMark.scope == scope, LimitMark.key == key, after))).scalar_one())


class SharedLimits:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._insert = postgresql.insert if db.dialect == "postgresql" else sqlite.insert
        self._purged_at = float("-inf")

    async def get(self, scope: str, key: str) -> Counter | None:
        """A counter as it stands (no lock: for a look, not for a change)."""
        scope, key = _key(scope, key)
        async with self.db.read() as s:
            row = await s.get(LimitCounter, (scope, key))
            return None if row is None else _values(row)

    async def drop(self, scope: str, key: str) -> None:
        scope, key = _key(scope, key)
        async with self.db.write() as s:
            await s.execute(delete(LimitCounter).where(LimitCounter.scope == scope, LimitCounter.key == key))

    @asynccontextmanager
    async def hold(self, keys: Iterable[Key], *, now: float) -> AsyncIterator[Held]:
        """Lock the counters ``keys`` (created empty if missing) for one write transaction;
        what the caller changes in them is written when the block ends without an error."""
        if now - self._purged_at >= PURGE_EVERY:
            await self.purge(now)
        wanted = sorted({_key(*k) for k in keys})
        async with self.db.write() as s:
            for scope, key in wanted:
                await s.execute(self._insert(LimitCounter).values(scope=scope, key=key, expires_at=now)
                                .on_conflict_do_nothing(index_elements=[LimitCounter.scope, LimitCounter.key]))
            rows = (await s.execute(
                select(LimitCounter).where(tuple_(LimitCounter.scope, LimitCounter.key).in_(wanted))
                .order_by(LimitCounter.scope, LimitCounter.key).with_for_update())).scalars().all()
            by_key = {(r.scope, r.key): r for r in rows}
            counters = {k: _values(by_key[k]) for k in wanted}
            yield Held(s, counters, self.db.dialect)
            for k, c in counters.items():
                row = by_key[k]
                row.count, row.started_at, row.last_at = c.count, c.started_at, c.last_at
                row.until, row.flagged, row.expires_at = c.until, c.flagged, c.expires_at

    async def purge(self, now: float) -> int:
        """Delete the counters and marks whose time has passed; how many went."""
        self._purged_at = now
        async with self.db.write() as s:
            gone = await s.execute(delete(LimitCounter).where(LimitCounter.expires_at < now))
            marks = await s.execute(delete(LimitMark).where(LimitMark.expires_at < now))
        return int(gone.rowcount or 0) + int(marks.rowcount or 0)  # type: ignore[attr-defined]


def _values(row: LimitCounter) -> Counter:
    return Counter(count=row.count or 0, started_at=row.started_at or 0.0, last_at=row.last_at or 0.0,
                   until=row.until or 0.0, flagged=bool(row.flagged), expires_at=row.expires_at)
