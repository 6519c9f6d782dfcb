"""One running service per SQLite journal.

SQLite serves one process well, and the service keeps state a second process would not see
(the console's websockets, the calls in progress): two services on one SQLite file would each
show half of the truth. ``hotline run`` therefore holds an exclusive lock on a file beside the
journal for as long as it runs; a second one is refused, naming the first one's pid. The lock
is the kernel's (flock), so it goes with the process however that ends: no stale lock after a
crash. Several instances share a PostgreSQL journal instead (docs/scaling.md).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.engine import make_url

from cti.settings import Settings, SettingsError


def sqlite_file(url: str) -> Path | None:
    """The journal's file when the journal is a SQLite file, else None."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    if (parsed.database or "").startswith("file:"):
        return None
    return Path(parsed.database or "")


@contextlib.contextmanager
def single_instance(settings: Settings) -> Iterator[None]:
    """Hold the journal's instance lock (SQLite only) for the duration of the block."""
    journal_file = sqlite_file(settings.database_url())
    if journal_file is None:
        yield
        return
    lock_path = journal_file.with_name(journal_file.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
            raise SettingsError(
                f"another hotline service (pid {holder}) is already running on the SQLite journal {journal_file}: "
                "a SQLite journal serves one instance. Stop that one first, or run several instances on "
                "PostgreSQL (docs/scaling.md)") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)  # closing the descriptor drops the lock
