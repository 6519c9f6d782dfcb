"""Recordings and photos: served only through journal.files.path (which refuses anything outside
the store) and only to those allowed to hear or see them."""

from __future__ import annotations

from pathlib import Path

import structlog
from aiohttp import web

from cti.web.auth import remote_address
from cti.web.errors import Forbidden, Gone
from cti.web.keys import ATTACHMENTS_KEY, JOURNAL_KEY, USER_KEY
from cti.web.params import path_id
from cti.web.quality_keys import QUALITY_KEY
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


def _stored(request: web.Request, relpath: str, what: str, row_id: int) -> web.FileResponse:
    return web.FileResponse(_file(request, relpath, what, row_id))


def _file(request: web.Request, relpath: str, what: str, row_id: int) -> Path:
    try:
        path = request.app[JOURNAL_KEY].files.path(relpath)
    except InvalidValue:
        # A path that leaves the store means a tampered row: refuse and say so in the log.
        log.warning("download.path_refused", what=what, id=row_id, path=relpath)
        raise Forbidden("Нет доступа к этому файлу") from None
    if not path.is_file():
        raise Gone("Файл удалён или ещё не сохранён")
    return path


async def recording(request: web.Request) -> web.StreamResponse:
    rec = await request.app[JOURNAL_KEY].calls.recording(path_id(request))
    await _executor_may_see(request, rec.ticket_id)
    if rec.deleted_at is not None:
        raise Gone("Запись удалена по сроку хранения")
    path = _file(request, rec.path, "recording", rec.id)
    response = web.FileResponse(path)
    response.content_type = AUDIO_TYPES.get(rec.format, "application/octet-stream")
    # Not kept by the browser or a proxy (Cache-Control: no-store is set for every answer).
    if _returns_bytes(request, path):
        await _log_access(request, rec.id, rec.format)
    if request.query.get("download") == "1":
        response.headers["Content-Disposition"] = f'attachment; filename="recording-{rec.id}.{rec.format}"'
    return response


def _returns_bytes(request: web.Request, path: Path) -> bool:
    """Whether this request will be answered with any byte of the file: every such request is
    logged, whatever its Range (``bytes=00-``, a suffix ``bytes=-500``, a middle part), before a
    byte leaves. Only a HEAD and a range the file cannot satisfy (answered 416) return none."""
    if request.method == "HEAD":
        return False
    size = path.stat().st_size
    if size == 0:
        return False
    try:
        wanted = request.http_range
    except ValueError:
        return False  # malformed: aiohttp answers 416
    start = wanted.start
    return not (start is not None and start >= 0 and start >= size)


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
    response = _stored(request, row.path, "attachment", row.id)
    response.content_type = row.content_type if row.content_type.startswith("image/") else "application/octet-stream"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
