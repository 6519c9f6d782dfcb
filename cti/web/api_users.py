"""Administration of staff accounts over the API: end a user's sessions, switch an account off
or change its role. Every open console of the user sees it at once (sessions are checked
against the journal on every request and the user's websockets are closed here)."""

from __future__ import annotations

import structlog
from aiohttp import web

from . import serialize
from .errors import BadRequest
from .keys import HUB_KEY, JOURNAL_KEY, USER_KEY
from .params import json_body, opt_str, path_id

log = structlog.get_logger(__name__)


async def end_sessions(request: web.Request) -> web.Response:
    user_id = path_id(request)
    user = await request.app[JOURNAL_KEY].sessions.end_all(user_id)
    closed = await request.app[HUB_KEY].close_user(user_id)
    log.warning("sessions.ended", user_id=user_id, login=user.login, by=request[USER_KEY].login, consoles=closed)
    return web.json_response({"user": serialize.user(user), "consoles_closed": closed})


async def update_user(request: web.Request) -> web.Response:
    data = await json_body(request)
    user_id = path_id(request)
    active = data.get("active")
    if active is not None and not isinstance(active, bool):
        raise BadRequest("Поле «active» должно быть true или false")
    user = await request.app[JOURNAL_KEY].people.update_user(user_id, role=opt_str(data, "role", max_len=20),
                                                             active=active)
    closed = 0
    if not user.is_active:
        closed = await request.app[HUB_KEY].close_user(user_id)
    log.warning("user.updated", user_id=user_id, login=user.login, role=user.role, active=user.is_active,
                by=request[USER_KEY].login)
    return web.json_response({**serialize.user(user), "consoles_closed": closed})
