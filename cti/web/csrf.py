"""CSRF: every unsafe request of a session carries the session's token, in the
``X-CSRF-Token`` header (API, fetch) or a ``csrf_token`` form field (HTML forms)."""

from __future__ import annotations

from aiohttp import web

from cti.web.errors import Forbidden, Handler
from cti.web.keys import SESSIONS_KEY, USER_KEY
from cti.web.params import form_body

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
HEADER = "X-CSRF-Token"


@web.middleware
async def csrf_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    user = request.get(USER_KEY)
    if request.method in SAFE_METHODS or user is None or request.path == "/login":
        # No session: only public routes get here. The log-in form has a token of its own.
        return await handler(request)
    token = request.headers.get(HEADER)
    if token is None and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        # Multipart bodies may be large: read the form only when the header is absent.
        form = await form_body(request)
        value = form.get("csrf_token")
        token = value if isinstance(value, str) else None
    if not request.app[SESSIONS_KEY].csrf_ok(user.sid, token):
        raise Forbidden("Запрос отклонён: неверный или отсутствующий CSRF-токен. Обновите страницу.")
    return await handler(request)
