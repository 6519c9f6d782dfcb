"""GET /ws: the console's event stream (see hub.py for addressing and replay).

Authenticated by the session cookie; the Origin must match the Host, because browsers send
cookies with cross-site websocket handshakes (SameSite does not cover them reliably)."""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from aiohttp import WSMsgType, web
from yarl import URL

from cti.console.hub import Subscriber
from cti.web.auth import session_user
from cti.web.errors import Forbidden, WebError
from cti.web.keys import HUB_KEY, SETTINGS_KEY, USER_KEY
from cti.web.params import opt_int

log = structlog.get_logger(__name__)

HEARTBEAT = 20.0  # seconds; a dead browser is noticed within two of these
# How often an open console asks the journal whether its session still holds (an account
# switched off, sessions ended from the command line or another process).
SESSION_RECHECK = 10.0
SESSION_ENDED = 4401


class TooMany(WebError):
    status = 429


def origin_allowed(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if not origin:
        return False
    try:
        o = URL(origin)
    except ValueError:
        return False
    allowed = {request.host.lower()}
    public = request.app[SETTINGS_KEY].server.public_url
    if public:
        allowed.add(URL(public).raw_authority.lower())
    return o.raw_authority.lower() in allowed and o.scheme in ("http", "https")


async def websocket(request: web.Request) -> web.StreamResponse:
    if not origin_allowed(request):
        log.warning("ws.origin_refused", origin=request.headers.get("Origin"), host=request.host)
        raise Forbidden("Подключение с чужого сайта запрещено")
    user = request[USER_KEY]
    hub = request.app[HUB_KEY]
    server = request.app[SETTINGS_KEY].server
    if hub.client_count >= server.ws_total:
        log.warning("ws.refused", user_id=user.user_id, reason="total limit", limit=server.ws_total)
        raise TooMany("Слишком много подключений к серверу, попробуйте позже")
    if hub.user_client_count(user.user_id) >= server.ws_per_user:
        log.warning("ws.refused", user_id=user.user_id, reason="per-user limit", limit=server.ws_per_user)
        raise TooMany("Слишком много открытых вкладок пульта: закройте лишние")
    last_id = opt_int(dict(request.query), "last_id")
    epoch = request.query.get("epoch") or None
    # No permessage-deflate: it roughly triples latency for small JSON (shared/PITFALLS.md).
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT, compress=False, max_msg_size=64 * 1024)
    await ws.prepare(request)
    backlog = await hub.backlog(last_id, epoch)  # the outbox's rows, when consoles span instances
    client = hub.attach(ws, Subscriber(user.user_id, user.role, user.extension), last_id, epoch, backlog)
    log.info("ws.connected", user_id=user.user_id, extension=user.extension, last_id=last_id, clients=hub.client_count)
    watch = asyncio.create_task(_watch_session(request, ws, user.role, user.extension))
    try:
        async for msg in ws:
            # The protocol is server-to-client; a client message is only a liveness sign.
            if msg.type == WSMsgType.ERROR:
                break
    finally:
        watch.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watch
        hub.detach(client)
        log.info("ws.closed", user_id=user.user_id, code=ws.close_code)
    return ws


async def _watch_session(request: web.Request, ws: web.WebSocketResponse, role: str, extension: str | None) -> None:
    """Close the console when its session no longer holds or the user's role or phone changed
    (the page then reloads and logs in again, with what the user may see now)."""
    while not ws.closed:
        await asyncio.sleep(SESSION_RECHECK)
        try:
            now = await session_user(request)
        except Exception:  # the journal unreachable: keep the console, check again later
            log.warning("ws.session_check_failed", exc_info=True)
            continue
        if now is None or now.role != role or now.extension != extension:
            log.info("ws.session_ended", user_id=request[USER_KEY].user_id)
            await ws.close(code=SESSION_ENDED, message=b"session ended")
            return
