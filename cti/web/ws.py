"""GET /ws: the console's event stream (see hub.py for addressing and replay).

Authenticated by the session cookie; the Origin must match the Host, because browsers send
cookies with cross-site websocket handshakes (SameSite does not cover them reliably)."""

from __future__ import annotations

import structlog
from aiohttp import WSMsgType, web
from yarl import URL

from .errors import Forbidden
from .hub import Subscriber
from .keys import HUB_KEY, SETTINGS_KEY, USER_KEY
from .params import opt_int

log = structlog.get_logger(__name__)

HEARTBEAT = 20.0  # seconds; a dead browser is noticed within two of these


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
    last_id = opt_int(dict(request.query), "last_id")
    epoch = request.query.get("epoch") or None
    # No permessage-deflate: it roughly triples latency for small JSON (shared/PITFALLS.md).
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT, compress=False, max_msg_size=64 * 1024)
    await ws.prepare(request)
    hub = request.app[HUB_KEY]
    client = hub.attach(ws, Subscriber(user.user_id, user.role, user.extension), last_id, epoch)
    log.info("ws.connected", user_id=user.user_id, extension=user.extension, last_id=last_id, clients=hub.client_count)
    try:
        async for msg in ws:
            # The protocol is server-to-client; a client message is only a liveness sign.
            if msg.type == WSMsgType.ERROR:
                break
    finally:
        hub.detach(client)
        log.info("ws.closed", user_id=user.user_id, code=ws.close_code)
    return ws
