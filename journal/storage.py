"""Files by content hash: recordings and photos are kept byte for byte as received, under
``<root>/<aa>/<bb>/<sha256><suffix>``. Hashing and writing run off the event loop."""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .errors import InvalidValue


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    relpath: str
    size: int


class FileStore:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    async def put(self, data: bytes, suffix: str = ".wav") -> StoredFile:
        return await asyncio.to_thread(self._put, data, suffix)

    def _put(self, data: bytes, suffix: str) -> StoredFile:
        if not suffix.startswith(".") or "/" in suffix or len(suffix) > 10:
            raise InvalidValue("suffix", f"bad file suffix {suffix!r}")
        digest = hashlib.sha256(data).hexdigest()
        rel = f"{digest[:2]}/{digest[2:4]}/{digest}{suffix}"
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
