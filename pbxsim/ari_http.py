"""ARI over HTTP: the REST resources and the events websocket under /ari, with Asterisk's auth,
status codes and error bodies ({"message": "Channel not found"})."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import WSMsgType, web

from pbxsim import ari_ops
from pbxsim.hub import RestRecord
from pbxsim.pbx import Pbx

PBX_KEY = web.AppKey("pbx", Pbx)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class AriFail(Exception):
    """An ARI error answer. Asterisk says most as ``{"message": ...}``, a few (originate's
    "Allocation failed") as ``{"error": ...}``: ``field`` is the one it uses."""

    def __init__(self, status: int, message: str, field: str = "message") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field


def message(status: int, text: str, field: str = "message") -> web.Response:
    return web.Response(status=status, text=json.dumps({field: text}), content_type="application/json")


def _authorized(request: web.Request, pbx: Pbx) -> bool:
    expected = f"{pbx.config.ari_user}:{pbx.config.ari_password}"
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        try:
            return base64.b64decode(header[6:]).decode() == expected
        except ValueError:
            return False
    return request.query.get("api_key") == expected


@web.middleware
async def ari_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith("/ari/"):
        return await handler(request)
    pbx = request.app[PBX_KEY]
    params = dict(request.query.items())
    path = request.path[len("/ari"):]
    if not _authorized(request, pbx):
        response: web.StreamResponse = web.Response(status=401, text='{"message":"Authentication required"}',
                                                    content_type="application/json")
    elif pbx.rest_fail_count > 0 and path != "/events":
        pbx.rest_fail_count -= 1
        response = message(pbx.rest_fail_status or 500, "Internal Server Error")
    else:
        if pbx.rest_delay > 0 and path != "/events":
            await asyncio.sleep(pbx.rest_delay)
        try:
            response = await handler(request)
        except AriFail as fail:
            response = message(fail.status, fail.message, fail.field)
        except web.HTTPNotFound:
            response = message(404, "Resource not found")
        except web.HTTPMethodNotAllowed:
            response = message(405, "Method not allowed")
    if path != "/events" and pbx.hub.keep_logs:
        pbx.hub.rest_log.append(RestRecord(request.method, path, params, response.status))
    return response


async def events_ws(request: web.Request) -> web.StreamResponse:
    pbx = request.app[PBX_KEY]
    apps = [a for a in request.query.get("app", "").split(",") if a]
    if not apps:
        return message(400, "Missing parameter app")
    ws = web.WebSocketResponse(heartbeat=None, autoping=True)
    await ws.prepare(request)
    queue = pbx.hub.subscribe(apps)
    reader = asyncio.create_task(_drain_incoming(ws))
    try:
        while True:
            getter = asyncio.ensure_future(queue.get())
            done, _ = await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
            if getter not in done:
                getter.cancel()
                break
            text = getter.result()
            if text is None or ws.closed:
                break
            await ws.send_str(text)
    except (ConnectionResetError, RuntimeError):
        pass
    finally:
        pbx.hub.unsubscribe(queue)
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)
        await ws.close()
    return ws


async def _drain_incoming(ws: web.WebSocketResponse) -> None:
    async for msg in ws:
        if msg.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
            break


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, text=json.dumps(data), content_type="application/json")


def add_ari_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/ari/events", events_ws)
    ari_ops.add_routes(r)
