"""The system page: what an administrator checks first when dispatchers complain — the PBX
link, speech recognition and its queue, the database, disk space for recordings and the
retention horizon, the version, the last errors logged."""

from __future__ import annotations

import importlib.metadata
import time
from datetime import timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import func, select, text

from cti.logs import recent_errors
from cti.web.keys import HUB_KEY, JOURNAL_KEY, LOOP_LAG_KEY, SETTINGS_KEY, TRAINING_KEY
from cti.web.spec import BOOL, INT, NINT, NSTR, STR, Op, array, obj
from journal.clock import utcnow
from journal.models import Recording
from journal.storage import FileStore

GB = 1024 ** 3


def _version() -> str:
    try:
        return importlib.metadata.version("hotline")
    except importlib.metadata.PackageNotFoundError:
        return "неизвестна"


async def system_status(request: web.Request) -> dict[str, Any]:
    app = request.app
    journal = app[JOURNAL_KEY]
    settings = app[SETTINGS_KEY]
    hub = app[HUB_KEY]
    db_ok, db_error, db_ms, revision = True, None, None, None
    rec_count, rec_bytes, oldest = 0, 0, None
    try:
        started = time.perf_counter()
        async with journal.db.read() as s:
            await s.execute(text("SELECT 1"))
            db_ms = round((time.perf_counter() - started) * 1000, 1)
            revision = (await s.execute(text("SELECT version_num FROM alembic_version"))).scalar_one_or_none()
            rec_count, rec_bytes, oldest = (await s.execute(
                select(func.count(), func.coalesce(func.sum(Recording.size_bytes), 0), func.min(Recording.created_at))
                .where(Recording.deleted_at.is_(None)))).one()
    except Exception as exc:  # the page must show a broken database, not fail with it
        db_ok, db_error = False, type(exc).__name__
    queue: int | None
    try:
        queue = await journal.transcription.pending_count()
    except Exception:
        queue = None
    files = journal.files
    # A bucket has no free space to show; a directory shows its volume's.
    total, free = files.disk_usage() if isinstance(files, FileStore) else (0, 0)
    retention = settings.recordings.retention_days
    url = journal.db.engine.url
    tz = journal.config.tz
    monitor = app.get(LOOP_LAG_KEY)
    return {
        "pbx": {"connected": hub.pbx_connected, "nodes": hub.pbx_nodes, "standin": app[TRAINING_KEY].calls.available,
                "url": settings.ari.url or None},
        "asr": {"backend": settings.asr.backend,
                "where": settings.asr.server_url if settings.asr.backend == "server" else settings.asr.model_dir,
                "queue": queue},
        "database": {"ok": db_ok, "error": db_error, "dialect": url.get_backend_name(),
                     "url": url.render_as_string(hide_password=True),
                     "ping_ms": db_ms, "revision": revision},
        "recordings": {"dir": files.where(), "backend": files.backend, "count": rec_count,
                       "gb": round(rec_bytes / GB, 2),
                       "free_gb": round(free / GB, 1) if total else None, "total_gb": round(total / GB, 1) if total else None,
                       "free_percent": round(100 * free / total, 1) if total else None,
                       "retention_days": retention,
                       "horizon": (utcnow() - timedelta(days=retention)).astimezone(tz).date().isoformat(),
                       "oldest": oldest.astimezone(tz).date().isoformat() if oldest else None},
        # The event loop's wake-up lag over the last minute, and since the start (ivr/looplag.py).
        "loop": ({**monitor.figures().as_dict(), "threshold_ms": monitor.threshold_ms,
                  "since_start": monitor.run_figures().as_dict()} if monitor is not None else None),
        "version": _version(),
        "errors": recent_errors(),
    }


async def system(request: web.Request) -> web.Response:
    return web.json_response(await system_status(request))


SYSTEM_OPS = (
    Op("GET", "/api/admin/system", system, "Состояние системы: АТС, распознавание, база, диск, версия, ошибки",
       ("admin",), response=obj(
           pbx=obj(connected={"type": "boolean", "nullable": True}, standin=BOOL, url=NSTR),
           asr=obj(backend=STR, where=STR, queue=NINT),
           database={"type": "object"}, recordings={"type": "object"}, version=STR,
           loop={"type": "object", "nullable": True},
           errors=array(obj(at=STR, event=STR, level=STR, message=NSTR)), count=INT)),
)
