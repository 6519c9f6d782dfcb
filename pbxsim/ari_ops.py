"""ARI REST handlers for channels and playbacks."""

from __future__ import annotations

from aiohttp import web

from pbxsim import ari_http as h
from pbxsim.model import SimChannel, SimPlayback, SimRecording
from pbxsim.pbx import Pbx

HANGUP_CAUSES = {"normal": 16, "busy": 17, "congestion": 34, "no_answer": 19, "timeout": 19, "rejected": 21,
                 "unallocated": 1, "normal_unspecified": 31, "number_incomplete": 28, "codec_mismatch": 58,
                 "interworking": 127, "failure": 38, "answered_elsewhere": 26}


def _pbx(request: web.Request) -> Pbx:
    return request.app[h.PBX_KEY]


def channel_of(request: web.Request, *, stasis: bool = True) -> SimChannel:
    pbx = _pbx(request)
    channel = pbx.get(request.match_info["channelId"])
    if channel is None:
        raise h.AriFail(404, "Channel not found")
    if stasis and channel.stasis_app is None:
        raise h.AriFail(409, "Channel not in Stasis application")
    return channel


def required(request: web.Request, name: str) -> str:
    value = request.query.get(name)
    if not value:
        raise h.AriFail(400, f"Missing parameter {name}")
    return value


async def list_channels(request: web.Request) -> web.Response:
    return h.json_response([c.to_ari() for c in _pbx(request).channels.values() if c.alive])


async def get_channel(request: web.Request) -> web.Response:
    return h.json_response(channel_of(request, stasis=False).to_ari())


async def hangup(request: web.Request) -> web.Response:
    channel = channel_of(request, stasis=False)
    reason = request.query.get("reason", "normal")
    if reason not in HANGUP_CAUSES:
        raise h.AriFail(400, "Invalid reason for hangup provided")
    _pbx(request).app_hangup(channel, HANGUP_CAUSES[reason])
    return web.Response(status=204)


async def answer(request: web.Request) -> web.Response:
    _pbx(request).answer(channel_of(request))
    return web.Response(status=204)


async def simple_ok(request: web.Request) -> web.Response:
    """ring / ring stop / moh stop: accepted, logged as media."""
    channel = channel_of(request)
    what = request.path.rsplit("/", 1)[-1]
    _pbx(request).played.setdefault(channel.id, []).append(f"{request.method.lower()}:{what}")
    return web.Response(status=204)


async def moh_start(request: web.Request) -> web.Response:
    channel = channel_of(request)
    _pbx(request).played.setdefault(channel.id, []).append(f"moh:{request.query.get('mohClass', 'default')}")
    return web.Response(status=204)


async def play(request: web.Request) -> web.Response:
    pbx = _pbx(request)
    channel = channel_of(request)
    media = [m for m in required(request, "media").split(",") if m]
    for uri in media:
        if ":" not in uri:
            raise h.AriFail(400, f"Invalid media URI {uri}")
    playback = SimPlayback(id=request.query.get("playbackId") or pbx.new_playback_id(), media=media,
                           channel_id=channel.id, language=request.query.get("lang") or channel.language)
    pbx.playbacks[playback.id] = playback
    channel.ops.put_nowait(playback)
    return h.json_response(playback.to_ari(), 201)


async def record(request: web.Request) -> web.Response:
    pbx = _pbx(request)
    channel = channel_of(request)
    name = required(request, "name")
    fmt = required(request, "format")
    if fmt not in ("wav", "gsm", "ulaw", "alaw", "sln", "wav16"):
        raise h.AriFail(422, "The format specified is unknown on this system")
    if_exists = request.query.get("ifExists", "fail")
    if name in pbx.recordings_live:
        raise h.AriFail(409, "A recording with the same name is currently in progress")
    if pbx.store.path(name) is None:
        raise h.AriFail(400, "Invalid recording name")
    if if_exists == "fail" and pbx.store.exists(name):
        raise h.AriFail(409, "A recording with the same name already exists on the system")
    try:
        max_duration = float(request.query.get("maxDurationSeconds", "0"))
        max_silence = float(request.query.get("maxSilenceSeconds", "0"))
    except ValueError as exc:
        raise h.AriFail(400, "Invalid parameters") from exc
    rec = SimRecording(name=name, format=fmt, channel_id=channel.id, max_duration=max_duration,
                       max_silence=max_silence, terminate_on=request.query.get("terminateOn", "none"),
                       beep=request.query.get("beep", "false") == "true")
    pbx.recordings_live[name] = rec
    channel.ops.put_nowait(rec)
    return h.json_response(rec.to_ari(), 201)


async def get_variable(request: web.Request) -> web.Response:
    channel = channel_of(request, stasis=False)
    name = required(request, "variable")
    if name not in channel.variables:
        raise h.AriFail(404, "Provided variable was not found")
    return h.json_response({"value": channel.variables[name]})


async def set_variable(request: web.Request) -> web.Response:
    channel = channel_of(request, stasis=False)
    name = required(request, "variable")
    channel.variables[name] = request.query.get("value", "")
    return web.Response(status=204)


async def snoop(request: web.Request) -> web.Response:
    pbx = _pbx(request)
    channel = channel_of(request, stasis=False)
    app = required(request, "app")
    snoop_chan = pbx.new_channel(f"Snoop/{channel.id}-{pbx.ids.suffix()}", "Up",
                                 channel_id=request.query.get("snoopId") or None, language=channel.language,
                                 linkedid=channel.linkedid)
    pbx.enter_stasis(snoop_chan, app, [a for a in request.query.get("appArgs", "").split(",") if a])
    return h.json_response(snoop_chan.to_ari())


async def get_playback(request: web.Request) -> web.Response:
    playback = _pbx(request).playbacks.get(request.match_info["playbackId"])
    if playback is None:
        raise h.AriFail(404, "Playback not found")
    return h.json_response(playback.to_ari())


async def stop_playback(request: web.Request) -> web.Response:
    playback = _pbx(request).playbacks.get(request.match_info["playbackId"])
    if playback is None:
        raise h.AriFail(404, "Playback not found")
    playback.stop.set()
    return web.Response(status=204)


async def asterisk_info(request: web.Request) -> web.Response:
    return h.json_response({"system": {"version": "20.20.1-pbxsim", "entity_id": "02:fc:00:00:00:01"},
                            "status": {}, "config": {}, "build": {}})


def add_routes(r: web.UrlDispatcher) -> None:
    from pbxsim import ari_more

    c = "/ari/channels/{channelId}"
    r.add_get("/ari/asterisk/info", asterisk_info)
    r.add_get("/ari/channels", list_channels)
    r.add_post("/ari/channels", ari_more.originate)
    r.add_get(c, get_channel)
    r.add_delete(c, hangup)
    r.add_post(c + "/answer", answer)
    r.add_post(c + "/ring", simple_ok)
    r.add_delete(c + "/ring", simple_ok)
    r.add_post(c + "/moh", moh_start)
    r.add_delete(c + "/moh", simple_ok)
    r.add_post(c + "/play", play)
    r.add_post(c + "/record", record)
    r.add_get(c + "/variable", get_variable)
    r.add_post(c + "/variable", set_variable)
    r.add_post(c + "/snoop", snoop)
    r.add_get("/ari/playbacks/{playbackId}", get_playback)
    r.add_delete("/ari/playbacks/{playbackId}", stop_playback)
    ari_more.add_routes(r)
