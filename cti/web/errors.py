"""Web-layer errors and the ONE middleware that turns every error into a response.

Domain errors (journal.errors) carry no HTTP codes; they are mapped here. Clients never see a
stack trace: an unexpected error is logged with a request id and answered with that id only.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web

from cti.console import labels
from cti.web.keys import REQUEST_ID_KEY
from cti.web.render import render
from journal import IllegalTransition, InvalidValue, JournalError, NotFound

log = structlog.get_logger(__name__)

_CYRILLIC = re.compile("[а-яА-ЯёЁ]")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class WebError(Exception):
    """An error of the web layer with a Russian message for the user."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(WebError):
    status = 400


class Unauthorized(WebError):
    status = 401


class Forbidden(WebError):
    status = 403


class Gone(WebError):
    status = 410


class Conflict(WebError):
    status = 409


class Unavailable(WebError):
    status = 503


def domain_status(exc: JournalError) -> tuple[int, str]:
    if isinstance(exc, NotFound):
        return 404, f"Не найдено: {labels.WHAT.get(exc.what, exc.what)} {exc.key}"
    if isinstance(exc, IllegalTransition):
        return 409, labels.illegal_transition(exc)
    if isinstance(exc, InvalidValue):
        message = f"Недопустимое значение поля «{labels.FIELDS.get(exc.field, exc.field)}»"
        # The administration services explain themselves in Russian: show why.
        detail = str(exc).split(": ", 1)[-1]
        return 422, f"{message}: {detail}" if _CYRILLIC.search(detail) else message
    return 400, "Запрос отклонён журналом"


def wants_json(request: web.Request) -> bool:
    path = request.path
    return path.startswith(("/api/", "/ws", "/recordings/", "/attachments/")) or (
        "application/json" in request.headers.get("Accept", "") and "text/html" not in request.headers.get("Accept", "")
    )


def error_response(request: web.Request, status: int, message: str, **extra: object) -> web.Response:
    if wants_json(request):
        return web.json_response({"error": message, **extra}, status=status)
    if status == 401:
        raise web.HTTPFound(f"/login?next={request.path_qs}" if request.method == "GET" else "/login")
    try:
        return render(request, "error.html", status=status, code=status, message=message,
                      request_id=extra.get("request_id"))
    except Exception:
        # The error page itself failed: still answer, and without details.
        log.exception("web.error_page_failed")
        return web.Response(text=message, status=status, content_type="text/plain")


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    request_id = request.headers.get("X-Request-Id", "")[:64] or secrets.token_hex(8)
    request[REQUEST_ID_KEY] = request_id
    structlog.contextvars.bind_contextvars(request_id=request_id)
    try:
        return await handler(request)
    except web.HTTPRedirection:
        raise
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        message = labels.HTTP_STATUS.get(exc.status, exc.reason)
        return error_response(request, exc.status, message)
    except WebError as exc:
        return error_response(request, exc.status, exc.message)
    except JournalError as exc:
        status, message = domain_status(exc)
        log.info("web.domain_error", status=status, error=str(exc), path=request.path)
        extra: dict[str, object] = {}
        if isinstance(exc, IllegalTransition):
            extra["allowed"] = sorted(exc.allowed)
        return error_response(request, status, message, **extra)
    except Exception:
        log.exception("web.unhandled", path=request.path, method=request.method)
        return error_response(request, 500, "Внутренняя ошибка", request_id=request_id)
    finally:
        structlog.contextvars.unbind_contextvars("request_id")
