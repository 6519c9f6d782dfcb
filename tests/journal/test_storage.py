"""The filesystem backend of the storage interface: today's layout, read by byte range, deleted
by retention; a row written before the interface (a plain relative path) reads the same."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from journal import InvalidValue
from journal.storage import FileStore

DATA = bytes(range(256)) * 100


async def test_put_read_range_delete(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "files")
    stored = await store.put(DATA, ".wav")
    digest = hashlib.sha256(DATA).hexdigest()
    assert stored.relpath == f"{digest[:2]}/{digest[2:4]}/{digest}.wav"
    assert (tmp_path / "files" / stored.relpath).read_bytes() == DATA  # the layout of every existing row
    assert await store.size(stored.relpath) == len(DATA)
    assert b"".join([p async for p in store.read_range(stored.relpath, 300, 20_000)]) == DATA[300:20_000]
    assert await store.read(stored.relpath) == DATA
    async with store.local_copy(stored.relpath) as path:
        assert path == tmp_path / "files" / stored.relpath  # no copy for a local file
    assert await store.delete(stored.relpath) is True
    assert await store.size(stored.relpath) is None
    assert await store.delete(stored.relpath) is False
    with pytest.raises(FileNotFoundError):
        async with store.local_copy(stored.relpath):
            pass


async def test_a_file_stored_by_an_older_version_reads(tmp_path: Path) -> None:
    old = tmp_path / "files" / "2024" / "call-17.wav"
    old.parent.mkdir(parents=True)
    old.write_bytes(DATA[:1000])
    store = FileStore(tmp_path / "files")
    assert await store.size("2024/call-17.wav") == 1000
    assert await store.read("2024/call-17.wav") == DATA[:1000]


async def test_keys_that_leave_the_store_are_refused(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "files")
    for key in ("../../etc/passwd", "/etc/passwd", ""):
        with pytest.raises(InvalidValue):
            await store.size(key)
