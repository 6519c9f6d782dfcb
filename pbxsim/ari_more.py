"""ARI REST handlers for originate, bridges and stored/live recordings."""

from __future__ import annotations

import json
import uuid
from typing import Any

from aiohttp import web

from pbxsim import ari_http as h
from pbxsim import bridges, calls
from pbxsim.ari_ops import _pbx, channel_of, required
from pbxsim.model import SimBridge, SimRecording


async def originate(request: web.Request) -> web.Response:
    pbx = _pbx(request)
    endpoint = required(request, "endpoint")
    app = request.query.get("app")
    if not app and not request.query.get("extension"):
        raise h.AriFail(400, "Application or extension must be specified")
    for key in ("channelId", "otherChannelId"):
        cid = request.query.get(key)
        if cid and cid in pbx.channels:
            raise h.AriFail(409, "Channel with given unique ID already exists")
    variables: dict[str, Any] = {}
    if request.can_read_body:
        try:
            body = json.loads(await request.text() or "{}")
            variables = dict(body.get("variables") or {})
        except (ValueError, AttributeError) as exc:
            raise h.AriFail(400, "Invalid JSON body") from exc
    try:
        timeout = int(request.query.get("timeout", "30"))
    except ValueError as exc:
        raise h.AriFail(400, "Invalid parameters for originating a channel.") from exc
    channel = calls.originate_leg(
        pbx, endpoint, app=app or pbx.config.app, app_args=request.query.get("appArgs", ""),
        caller_id=request.query.get("callerId", ""), timeout=timeout,
        channel_id=request.query.get("channelId") or None, other_id=request.query.get("otherChannelId") or None,
        variables={str(k): str(v) for k, v in variables.items()})
    if channel is None:
        raise h.AriFail(400, "Invalid parameters for originating a channel.")
    return h.json_response(channel.to_ari())


def bridge_of(request: web.Request) -> SimBridge:
    bridge: SimBridge | None = _pbx(request).bridges.get(request.match_info["bridgeId"])
    if bridge is None:
        raise h.AriFail(404, "Bridge not found")
    return bridge


async def create_bridge(request: web.Request) -> web.Response:
    pbx = _pbx(request)
    bridge_id = request.query.get("bridgeId") or str(uuid.uuid4())
    if bridge_id in pbx.bridges:
        raise h.AriFail(409, "Bridge with the same bridgeId already exists")
    kinds = set(request.query.get("type", "mixing").split(","))
    bridge = SimBridge(id=bridge_id, name=request.query.get("name", ""),
                       bridge_type="holding" if "holding" in kinds else "mixing")
    bridges.create(pbx, bridge)
    return h.json_response(bridge.to_ari())


async def list_bridges(request: web.Request) -> web.Response:
    return h.json_response([b.to_ari() for b in _pbx(request).bridges.values()])


async def get_bridge(request: web.Request) -> web.Response:
    return h.json_response(bridge_of(request).to_ari())


async def destroy_bridge(request: web.Request) -> web.Response:
    bridges.destroy(_pbx(request), bridge_of(request))
    return web.Response(status=204)


async def record_bridge(request: web.Request) -> web.Response:
    pbx = _pbx(request)
    bridge = bridge_of(request)
    name = required(request, "name")
    fmt = required(request, "format")
    if name in pbx.recordings_live:
        raise h.AriFail(409, "A recording with the same name is currently in progress")
    if pbx.store.path(name) is None:
        raise h.AriFail(400, "Invalid recording name")
    if request.query.get("ifExists", "fail") == "fail" and pbx.store.exists(name):
        raise h.AriFail(409, "A recording with the same name already exists on the system")
    if pbx.fail_recordings:
        raise h.AriFail(500, "Internal Server Error")
    rec = SimRecording(name=name, format=fmt, channel_id="", max_duration=0, max_silence=0,
                       terminate_on=request.query.get("terminateOn", "none"), beep=False, bridge_id=bridge.id)
    body = rec.to_ari()
    bridges.record(pbx, bridge, rec)
    return h.json_response(body, 201)


async def add_channel(request: web.Request) -> web.Response:
    pbx = _pbx(request)
    bridge = bridge_of(request)
    for cid in required(request, "channel").split(","):
        channel = pbx.get(cid)
        if channel is None:
            raise h.AriFail(400, "Channel not found")
        if channel.stasis_app is None:
            raise h.AriFail(422, "Channel not in Stasis application")
        bridges.add(pbx, bridge, channel)
    return web.Response(status=204)


async def remove_channel(request: web.Request) -> web.Response:
    pbx = _pbx(request)
    bridge = bridge_of(request)
    channel = pbx.get(required(request, "channel"))
    if channel is None:
        raise h.AriFail(400, "Channel not found")
    if channel.id not in bridge.channels:
        raise h.AriFail(422, "Channel not in this bridge")
    pbx.leave_bridge(channel)
    return web.Response(status=204)


async def stored_list(request: web.Request) -> web.Response:
    return h.json_response([{"name": n, "format": "wav"} for n in _pbx(request).store.names()])


async def stored_get(request: web.Request) -> web.Response:
    name = request.match_info["recordingName"]
    if not _pbx(request).store.exists(name):
        raise h.AriFail(404, "Recording not found")
    return h.json_response({"name": name, "format": "wav"})


async def stored_file(request: web.Request) -> web.Response:
    data = _pbx(request).store.read(request.match_info["recordingName"])
    if data is None:
        raise h.AriFail(404, "Recording not found")
    return web.Response(body=data, content_type="audio/wav")


async def stored_delete(request: web.Request) -> web.Response:
    if not _pbx(request).store.delete(request.match_info["recordingName"]):
        raise h.AriFail(404, "Recording not found")
    return web.Response(status=204)


async def live_stop(request: web.Request) -> web.Response:
    rec = _pbx(request).recordings_live.get(request.match_info["recordingName"])
    if rec is None:
        raise h.AriFail(404, "Recording not found")
    rec.stop_reason = "stopped"
    rec.stop.set()
    return web.Response(status=204)


async def live_get(request: web.Request) -> web.Response:
    rec = _pbx(request).recordings_live.get(request.match_info["recordingName"])
    if rec is None:
        raise h.AriFail(404, "Recording not found")
    return h.json_response(rec.to_ari())


def add_routes(r: web.UrlDispatcher) -> None:
    b = "/ari/bridges/{bridgeId}"
    r.add_get("/ari/bridges", list_bridges)
    r.add_post("/ari/bridges", create_bridge)
    r.add_get(b, get_bridge)
    r.add_delete(b, destroy_bridge)
    r.add_post(b + "/addChannel", add_channel)
    r.add_post(b + "/removeChannel", remove_channel)
    r.add_post(b + "/record", record_bridge)
    r.add_get("/ari/recordings/stored", stored_list)
    r.add_get("/ari/recordings/stored/{recordingName}", stored_get)
    r.add_delete("/ari/recordings/stored/{recordingName}", stored_delete)
    r.add_get("/ari/recordings/stored/{recordingName}/file", stored_file)
    r.add_get("/ari/recordings/live/{recordingName}", live_get)
    r.add_post("/ari/recordings/live/{recordingName}/stop", live_stop)
    _ = channel_of  # re-exported helper used by other modules
