"""A stored file sent to the browser in full or by byte range (RFC 9110 single ranges), from any
storage backend: the console's audio player seeks with ``Range: bytes=N-`` and must get a 206 from
an S3 bucket exactly as from a directory."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass

from aiohttp import web

from journal.storage import BlobStore


@dataclass(frozen=True)
class Span:
    """What a request asks of a file of ``size`` bytes: ``start`` up to ``end`` (exclusive),
    ``partial`` for a 206; ``satisfiable`` False for a 416."""

    start: int
    end: int
    size: int
    partial: bool
    satisfiable: bool = True

    @property
    def returns_bytes(self) -> bool:
        return self.satisfiable and self.end > self.start


def span(request: web.Request, size: int) -> Span:
    try:
        wanted = request.http_range  # one range; a list of ranges or a malformed one: ValueError
    except ValueError:
        return Span(0, 0, size, partial=False, satisfiable=False)
    start, stop = wanted.start, wanted.stop
    if start is None and stop is None:
        return Span(0, size, size, partial=False)
    if start is None:  # "bytes=-0"
        return Span(0, 0, size, partial=False, satisfiable=False)
    if start < 0:  # a suffix: the last N bytes
        start = max(0, size + start)
        return Span(start, size, size, partial=True, satisfiable=size > 0)
    end = size if stop is None else min(stop, size)
    if start >= size or end <= start:
        return Span(0, 0, size, partial=False, satisfiable=False)
    return Span(start, end, size, partial=True)


async def send(request: web.Request, store: BlobStore, key: str, size: int, *, content_type: str,
               headers: dict[str, str] | None = None,
               before_bytes: Callable[[Span], Awaitable[None]] | None = None) -> web.StreamResponse:
    """Answer with the file (200), a part of it (206) or 416. ``before_bytes`` runs before the
    first byte of an answer that carries any (the access log of recordings)."""
    s = span(request, size)
    if not s.satisfiable:
        return web.Response(status=416, headers={"Content-Range": f"bytes */{size}"})
    response = web.StreamResponse(status=206 if s.partial else 200, headers=headers)
    response.content_type = content_type
    response.headers["Accept-Ranges"] = "bytes"
    if s.partial:
        response.headers["Content-Range"] = f"bytes {s.start}-{s.end - 1}/{size}"
    response.content_length = s.end - s.start
    if request.method == "HEAD" or not s.returns_bytes:
        await response.prepare(request)
        await response.write_eof()
        return response
    if before_bytes is not None:
        await before_bytes(s)
    await response.prepare(request)
    # Closed at once when the browser goes away mid-file (the player seeks elsewhere).
    async with aclosing(store.read_range(key, s.start, s.end)) as parts:
        async for part in parts:
            await response.write(part)
    await response.write_eof()
    return response
