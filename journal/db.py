"""Engine and transactions for SQLite (aiosqlite, the embedded default) and PostgreSQL (asyncpg).

SQLite needs care (see shared/PITFALLS.md): WAL, a busy timeout, and ``BEGIN IMMEDIATE`` for
write transactions, because a deferred transaction that upgrades from read to write fails at
once with "database is locked" whatever the busy timeout says. Python 3.11's sqlite3 module
also decides on its own when to send BEGIN, so we switch that off and emit BEGIN ourselves.

**One transaction for several steps.** ``Database.write()`` opened while the same task already
has a write transaction of this database open joins it (and ``read()`` reads in it: what the
transaction wrote is seen): ``async with db.write(): change(); other_change()`` commits both or
neither, although each repository method opens its own ``write()``. Only the task that opened
the transaction joins; a task it starts opens its own (a session is not shared across tasks).
Work that must be in the same commit as the change but is done elsewhere registers
``before_commit``/``after_commit`` callbacks on the open transaction (the console outbox:
journal/outbox.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

SQLITE_BUSY_TIMEOUT_MS = 30_000


def _sqlite_file(url: URL) -> Path | None:
    if url.database in (None, "", ":memory:") or (url.database or "").startswith("file:"):
        return None
    return Path(url.database or "")


def create_engine(url: str, *, echo: bool = False, pool_size: int = 10, max_overflow: int | None = None) -> AsyncEngine:
    parsed = make_url(url)
    overflow = pool_size if max_overflow is None else max_overflow
    if parsed.get_backend_name() == "sqlite":
        path = _sqlite_file(parsed)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        pool: dict[str, Any] = {} if path is None else {
            "pool_size": pool_size, "max_overflow": overflow, "pool_timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        engine = create_async_engine(
            parsed, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **pool
        )
        _configure_sqlite(engine)
        return engine
    return create_async_engine(parsed, echo=echo, pool_size=pool_size, max_overflow=overflow, pool_pre_ping=True)


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take over transaction control from the sqlite3 module.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@dataclass
class WriteScope:
    """A write transaction open in a task: its session and what runs at its commit."""

    db: Database
    session: AsyncSession
    task: asyncio.Task[Any] | None
    before_commit: list[Callable[[AsyncSession], Awaitable[None]]] = field(default_factory=list)
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    staged: dict[str, Any] = field(default_factory=dict)  # what the hooks' owners collect, by name


_open_write: ContextVar[WriteScope | None] = ContextVar("hotline_journal_write", default=None)


class Database:
    """The journal's database: an engine and the two kinds of transaction we use."""

    def __init__(self, engine: AsyncEngine, write_engine: AsyncEngine | None = None) -> None:
        self.engine = engine
        self.write_engine = write_engine or engine
        self.dialect = engine.dialect.name
        self._read = async_sessionmaker(engine, expire_on_commit=False)
        self._write = async_sessionmaker(
            self.write_engine.execution_options(sqlite_immediate=True), expire_on_commit=False
        )

    @classmethod
    def from_url(cls, url: str, *, echo: bool = False) -> Database:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and _sqlite_file(parsed) is not None:
            # SQLite runs one writer at a time. Writers share one connection and wait their turn
            # in the pool's queue, in order, instead of each holding a connection while SQLite's
            # busy handler sleeps and polls (up to 100 ms a nap): under a burst that starved the
            # readers (a screen-pop's card) of connections and gave writers a long tail.
            return cls(create_engine(url, echo=echo, pool_size=10, max_overflow=10),
                       create_engine(url, echo=echo, pool_size=1, max_overflow=0))
        return cls(create_engine(url, echo=echo))

    def current_write(self) -> WriteScope | None:
        """The write transaction this task has open on this database, if any."""
        scope = _open_write.get()
        if scope is None or scope.db is not self or scope.task is not asyncio.current_task():
            return None
        return scope

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A write transaction: committed on success, rolled back on error. Inside another of
        this task's write transactions, that one (its commit commits both)."""
        outer = self.current_write()
        if outer is not None:
            yield outer.session
            return
        async with self._write() as session:
            scope = WriteScope(self, session, asyncio.current_task())
            token = _open_write.set(scope)
            try:
                async with session.begin():
                    yield session
                    for hook in scope.before_commit:
                        await hook(session)
            finally:
                _open_write.reset(token)
        for done in scope.after_commit:
            done()

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """Inside a write transaction: a step whose failure undoes only itself (on PostgreSQL a
        failed statement would otherwise fail the whole transaction's commit). Outside: nothing."""
        scope = self.current_write()
        if scope is None:
            yield
            return
        async with scope.session.begin_nested():
            yield

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A read transaction; inside this task's write transaction, that one (its changes seen)."""
        scope = self.current_write()
        if scope is not None:
            yield scope.session
            return
        async with self._read() as session, session.begin():
            yield session

    @asynccontextmanager
    async def read_rows(self) -> AsyncIterator[AsyncConnection]:
        """A read transaction on a plain connection: Core statements whose rows come back as
        tuples, without the ORM's per-row work (reports of tens of thousands of rows)."""
        scope = self.current_write()
        if scope is not None:
            yield await scope.session.connection()
            return
        async with self.engine.connect() as conn, conn.begin():
            yield conn

    async def close(self) -> None:
        await self.engine.dispose()
        if self.write_engine is not self.engine:
            await self.write_engine.dispose()
