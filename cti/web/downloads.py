"""Recordings and photos: served only through the journal's store (which refuses any key that
leaves it), from a directory or an S3 bucket alike, by byte range, and only to those allowed to
hear or see them."""

from __future__ import annotations

import structlog
from aiohttp import web

from cti.web.auth import remote_address
from cti.web.errors import Forbidden, Gone, Unavailable
from cti.web.keys import ATTACHMENTS_KEY, JOURNAL_KEY, USER_KEY
from cti.web.params import path_id
from cti.web.quality_keys import QUALITY_KEY
from cti.web.ranged import Span, send
from journal import InvalidValue, Role

log = structlog.get_logger(__name__)

AUDIO_TYPES = {"wav": "audio/wav", "mp3": "audio/mpeg", "ogg": "audio/ogg", "gsm": "audio/x-gsm"}


async def _executor_may_see(request: web.Request, ticket_id: int | None) -> None:
    user = request[USER_KEY]
    if user.role != Role.EXECUTOR:
        return
    if ticket_id is None:
        raise Forbidden("Нет доступа к этому файлу")
    ticket = await request.app[JOURNAL_KEY].tickets.get(ticket_id)
    if ticket.executor_id != user.user_id:
        raise Forbidden("Нет доступа к этому файлу")


async def _size(request: web.Request, relpath: str, what: str, row_id: int) -> int:
    try:
        size = await request.app[JOURNAL_KEY].files.size(relpath)
    except InvalidValue:
        # A path that leaves the store means a tampered row: refuse and say so in the log.
        log.warning("download.path_refused", what=what, id=row_id, path=relpath)
        raise Forbidden("Нет доступа к этому файлу") from None
    except Exception:
        log.exception("download.store_failed", what=what, id=row_id)
        raise Unavailable("Хранилище записей недоступно, попробуйте позже") from None
    if size is None:
        raise Gone("Файл удалён или ещё не сохранён")
    return size


async def recording(request: web.Request) -> web.StreamResponse:
    rec = await request.app[JOURNAL_KEY].calls.recording(path_id(request))
    await _executor_may_see(request, rec.ticket_id)
    if rec.deleted_at is not None:
        raise Gone("Запись удалена по сроку хранения")
    size = await _size(request, rec.path, "recording", rec.id)
    # Not kept by the browser or a proxy (Cache-Control: no-store is set for every answer).
    headers = {}
    if request.query.get("download") == "1":
        headers["Content-Disposition"] = f'attachment; filename="recording-{rec.id}.{rec.format}"'

    async def logged(_: Span) -> None:
        # Every request answered with any byte of the file is logged, whatever its Range
        # (``bytes=00-``, a suffix ``bytes=-500``, a middle part), before a byte leaves. A HEAD
        # and a range the file cannot satisfy (416) return none.
        await _log_access(request, rec.id, rec.format)

    return await send(request, request.app[JOURNAL_KEY].files, rec.path, size,
                      content_type=AUDIO_TYPES.get(rec.format, "application/octet-stream"), headers=headers,
                      before_bytes=logged)


async def _log_access(request: web.Request, recording_id: int, fmt: str) -> None:
    """Every listening and download is logged (personal data), once per request that returns
    any of its bytes (a player fetching one listening in parts makes a row per part)."""
    download = request.query.get("download") == "1"
    user = request[USER_KEY]
    await request.app[QUALITY_KEY].quality.log_access(
        recording_id, user_id=user.user_id, login=user.login, action="download" if download else "listen",
        remote=remote_address(request))


async def attachment(request: web.Request) -> web.StreamResponse:
    row = await request.app[ATTACHMENTS_KEY].get(path_id(request))
    await _executor_may_see(request, row.ticket_id)
    size = await _size(request, row.path, "attachment", row.id)
    return await send(request, request.app[JOURNAL_KEY].files, row.path, size,
                      content_type=row.content_type if row.content_type.startswith("image/") else
                      "application/octet-stream", headers={"X-Content-Type-Options": "nosniff"})
