"""Where recordings and photos are kept: a storage interface with two backends.

Files are kept byte for byte as received under a key made of their content hash,
``<aa>/<bb>/<sha256><suffix>``: the same bytes stored twice are one file, and the key never
changes once a row points to it. The journal's rows hold the key (``recordings.path``,
``attachments.path``), so rows written before the S3 backend existed read the same.

- ``FileStore``: a directory (local, or shared between machines over NFS), the default.
- ``journal.storage_s3.S3Store``: an S3-compatible object store (``aiobotocore``, the
  ``hotline[s3]`` extra), which every instance and worker reaches without a shared filesystem.

Hashing and file work run off the event loop; reads stream in parts, by byte range (the
console's audio player seeks)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from .errors import InvalidValue

CHUNK = 256 * 1024
# Keys as this module makes them, and those of rows written by hand or by older versions that
# still stay inside the store: relative, no "..", no empty part, no backslash.
_KEY_PART = re.compile(r"^[A-Za-z0-9._-]+$")


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    relpath: str  # the key
    size: int


def content_key(data: bytes, suffix: str) -> tuple[str, str]:
    """The sha256 of ``data`` and the key it is stored under."""
    if not suffix.startswith(".") or "/" in suffix or len(suffix) > 10:
        raise InvalidValue("suffix", f"bad file suffix {suffix!r}")
    digest = hashlib.sha256(data).hexdigest()
    return digest, f"{digest[:2]}/{digest[2:4]}/{digest}{suffix}"


def check_key(key: str) -> str:
    """The key if it names a file inside the store; InvalidValue for anything that would leave it
    (a tampered row: ``../../etc/passwd``, ``/etc/passwd``)."""
    parts = key.split("/")
    if not key or any(p in ("", ".", "..") or not _KEY_PART.match(p) for p in parts):
        raise InvalidValue("path", f"{key!r} is outside the file store")
    return key


class BlobStore(ABC):
    """What the journal, the web and the workers need of a store."""

    backend: str  # "filesystem" | "s3", for the administrator's page and the log

    @abstractmethod
    async def put(self, data: bytes, suffix: str = ".wav") -> StoredFile:
        """Store ``data`` under its content key (a no-op when that key is there already)."""

    @abstractmethod
    async def size(self, key: str) -> int | None:
        """The stored size in bytes, None when the file is not there."""

    @abstractmethod
    def read_range(self, key: str, start: int, end: int) -> AsyncGenerator[bytes, None]:
        """Bytes ``start`` up to ``end`` (exclusive) of a stored file, in parts."""

    @abstractmethod
    async def delete(self, key: str) -> bool:
        """Remove a stored file; False when it was not there."""

    @abstractmethod
    def where(self) -> str:
        """Where files go, for the administrator (no credentials)."""

    async def close(self) -> None:  # noqa: B027  (a directory has nothing to let go)
        """Let connections go."""

    async def read(self, key: str) -> bytes:
        size = await self.size(key)
        if size is None:
            raise FileNotFoundError(key)
        async with aclosing(self.read_range(key, 0, size)) as parts:
            return b"".join([part async for part in parts])

    @asynccontextmanager
    async def local_copy(self, key: str) -> AsyncIterator[Path]:
        """A local file with the stored bytes, for a program that reads files (the recogniser).
        Backends that are not local write a temporary copy, removed at the end of the block."""
        size = await self.size(key)
        if size is None:
            raise FileNotFoundError(key)
        suffix = Path(key).suffix
        fd, name = tempfile.mkstemp(prefix="hotline-", suffix=suffix)
        tmp = Path(name)
        try:
            with os.fdopen(fd, "wb") as f:
                async with aclosing(self.read_range(key, 0, size)) as parts:
                    async for part in parts:
                        await asyncio.to_thread(f.write, part)
            yield tmp
        finally:
            await asyncio.to_thread(tmp.unlink, True)


class FileStore(BlobStore):
    """A directory: ``<root>/<aa>/<bb>/<sha256><suffix>``."""

    backend = "filesystem"

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def where(self) -> str:
        return str(self.root)

    async def put(self, data: bytes, suffix: str = ".wav") -> StoredFile:
        return await asyncio.to_thread(self._put, data, suffix)

    def _put(self, data: bytes, suffix: str) -> StoredFile:
        digest, rel = content_key(data, suffix)
        target = self.root / rel
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            # Write then rename: a crash never leaves a half file under the final name.
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        return StoredFile(digest, rel, len(data))

    def path(self, relpath: str) -> Path:
        """The file for a stored relative path; refuses anything that leaves the store."""
        candidate = (self.root / relpath).resolve()
        if not candidate.is_relative_to(self.root) or candidate == self.root:
            raise InvalidValue("path", f"{relpath!r} is outside the file store")
        return candidate

    async def size(self, key: str) -> int | None:
        p = self.path(key)
        return await asyncio.to_thread(lambda: p.stat().st_size if p.is_file() else None)

    async def read_range(self, key: str, start: int, end: int) -> AsyncGenerator[bytes, None]:
        p = self.path(key)
        offset = start
        while offset < end:
            # Each part opens and closes the file in its own thread: no file object outlives a
            # read that is cancelled (a player that seeks elsewhere, a client gone mid-file).
            part = await asyncio.to_thread(_read_part, p, offset, min(CHUNK, end - offset))
            if not part:
                break
            offset += len(part)
            yield part

    async def delete(self, key: str) -> bool:
        p = self.path(key)

        def unlink() -> bool:
            if not p.is_file():
                return False
            p.unlink()
            return True
        return await asyncio.to_thread(unlink)

    @asynccontextmanager
    async def local_copy(self, key: str) -> AsyncIterator[Path]:
        p = self.path(key)  # the file itself: nothing to copy
        if not await asyncio.to_thread(p.is_file):
            raise FileNotFoundError(key)
        yield p

    def disk_usage(self) -> tuple[int, int]:
        """(total, free) bytes of the volume the store is on (the root may not exist yet)."""
        probe = self.root if self.root.exists() else self.root.parent
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        usage = shutil.disk_usage(probe)
        return usage.total, usage.free


def _read_part(path: Path, offset: int, size: int) -> bytes:
    with path.open("rb") as f:
        f.seek(offset)
        return f.read(size)
