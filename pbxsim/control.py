"""Control endpoints of a running stand-in (``hotline call`` uses them): /_sim/..."""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from pbxsim.calls import CallScript, KeyPress
from pbxsim.model import SimChannel, SimPlayback, SimRecording

if TYPE_CHECKING:
    from pbxsim.sim import PbxSim


def _sim(request: web.Request) -> PbxSim:
    from pbxsim.sim import SIM_KEY

    return request.app[SIM_KEY]


def script_from_json(data: dict[str, Any]) -> CallScript:
    keys = data.get("keys", "")
    if isinstance(keys, str):
        script = CallScript.simple(str(data["from"]), keys, first_key_at=float(data.get("first_key_at", 2.2)))
        presses = list(script.keys)
    else:
        presses = [KeyPress(float(at), str(d)) for at, d in keys]
    say = data.get("say")
    hangup_after = data.get("hangup_after")
    return CallScript(str(data["from"]), str(data.get("name", "")), presses,
                      Path(say) if say else None, float(hangup_after) if hangup_after is not None else None)


async def post_call(request: web.Request) -> web.Response:
    try:
        script = script_from_json(await request.json())
    except (KeyError, ValueError, TypeError) as exc:
        return web.json_response({"error": str(exc)}, status=400)
    handle = _sim(request).place_call(script)
    if request.query.get("wait") == "1":
        await handle.done.wait()
    return web.json_response({"channel_id": handle.id, "played": _sim(request).played(handle.id)}, status=201)


async def post_hangup(request: web.Request) -> web.Response:
    ok = _sim(request).hangup(request.match_info["channelId"])
    return web.json_response({"ok": ok}, status=200 if ok else 404)


async def post_internal(request: web.Request) -> web.Response:
    data = await request.json()
    call = _sim(request).internal_call(str(data["from"]), str(data["to"]))
    return web.json_response({"caller": call.caller.name, "callee": call.callee.name}, status=201)


async def post_fault(request: web.Request) -> web.Response:
    sim = _sim(request)
    kind = request.match_info["kind"]
    data: dict[str, Any] = await request.json() if request.can_read_body else {}
    if kind == "drop-ari":
        sim.drop_ari()
    elif kind == "drop-ami":
        sim.drop_ami()
    elif kind == "rest":
        sim.fail_rest(int(data.get("count", 1)), int(data.get("status", 500)))
        sim.delay_rest(float(data.get("delay", 0.0)))
    elif kind == "restart":
        asyncio.get_running_loop().call_soon(lambda: sim.core.spawn(sim.restart(float(data.get("down_for", 0.5)))))
    else:
        return web.json_response({"error": f"unknown fault {kind}"}, status=404)
    return web.json_response({"ok": True})


def activity(channel: SimChannel) -> str:
    """What a channel in Stasis is doing now, as a caller would tell it."""
    if channel.bridge_id:
        return "bridged"
    if isinstance(channel.current, SimRecording):
        return "recording"
    if isinstance(channel.current, SimPlayback):
        return "playing"
    return "waiting"


async def get_report(request: web.Request) -> web.Response:
    pbx = _sim(request).core
    return web.json_response({
        "live_channels": len(pbx.channels), "ended": len(pbx.ended), "rest_requests": len(pbx.hub.rest_log),
        "timings": pbx.timings,
        "activity": {c.id: activity(c) for c in pbx.channels.values() if c.alive and c.stasis_app},
    })


TOKEN_HEADER = "X-Sim-Token"
TOKEN_ENV = "PBXSIM_CONTROL_TOKEN"


def control_token(config: Any) -> str:
    """The control API's token: configured, from the environment, or new (and written down)."""
    token = config.control_token or os.environ.get(TOKEN_ENV) or secrets.token_urlsafe(24)
    path = config.control_token_file
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(token + "\n")
        os.replace(tmp, path)  # whole or not at all, even with two stand-ins starting
    return str(token)


def _loopback(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


@web.middleware
async def control_guard(request: web.Request, handler: Any) -> web.StreamResponse:
    """/_sim/* places and hangs up calls: loopback peers with the token only."""
    if request.path.startswith("/_sim/"):
        given = request.headers.get(TOKEN_HEADER, "")
        if not _loopback(request.remote) or not hmac.compare_digest(given, _sim(request).control_token):
            return web.json_response({"error": "control API: loopback and X-Sim-Token only"}, status=403)
    result: web.StreamResponse = await handler(request)
    return result


def add_control_routes(app: web.Application) -> None:
    app.router.add_post("/_sim/calls", post_call)
    app.router.add_post("/_sim/calls/{channelId}/hangup", post_hangup)
    app.router.add_post("/_sim/internal-calls", post_internal)
    app.router.add_post("/_sim/faults/{kind}", post_fault)
    app.router.add_get("/_sim/report", get_report)
