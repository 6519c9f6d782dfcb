"""ARI REST client: one method per endpoint in ``endpoints.ENDPOINTS``; every answer is checked.

404 on a channel is ``ChannelGone`` (the caller hung up between two requests: a normal event for
a call flow, not a failure), 401 is ``AriAuthError``, 5xx ``AriServerError``; every request is
bounded by ``AriSettings.request_timeout_seconds``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp
import structlog

from ivr.ari.endpoints import ENDPOINTS, EVENTS_WEBSOCKET
from ivr.ari.errors import (
    AriAuthError,
    AriConnectionError,
    AriError,
    AriNotFound,
    AriServerError,
    AriTimeout,
    ChannelGone,
)
from ivr.ari.events import Bridge, Channel, LiveRecording, Playback
from ivr.config import AriSettings

log = structlog.get_logger(__name__)

Query = Mapping[str, str | int | float | bool | None]


def ari_base_url(url: str) -> str:
    """``http://host:8088`` or ``http://host:8088/ari`` -> ``http://host:8088/ari``."""
    url = url.rstrip("/")
    return url if url.endswith("/ari") else url + "/ari"


def _query_value(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class AriClient:
    """REST half of ARI. Use as ``async with AriClient(settings) as ari: ...`` or start()/close()."""

    def __init__(self, settings: AriSettings, session: aiohttp.ClientSession | None = None) -> None:
        self.settings = settings
        self.base_url = ari_base_url(settings.url)
        self.auth_header = aiohttp.encode_basic_auth(settings.username, settings.password)
        self._session = session
        self._own_session = session is None

    async def __aenter__(self) -> AriClient:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.settings.request_timeout_seconds),
                connector=aiohttp.TCPConnector(limit=200),
            )

    async def close(self) -> None:
        if self._session is not None and self._own_session:
            await self._session.close()
        self._session = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("AriClient not started")
        return self._session

    def events_url(self) -> str:
        query = f"?app={self.settings.app}&subscribeAll=false"
        return self.base_url + EVENTS_WEBSOCKET.path + query

    # -- transport -----------------------------------------------------------------------

    async def request(self, name: str, path_params: Mapping[str, str] | None = None, query: Query | None = None,
                      body: Mapping[str, Any] | None = None, *, raw: bool = False) -> Any:
        endpoint = ENDPOINTS[name]
        params = {k: _query_value(v) for k, v in (query or {}).items() if v is not None}
        unknown = set(params) - endpoint.query
        if unknown:
            raise ValueError(f"{name}: parameters {sorted(unknown)} not accepted by {endpoint.path}")
        path = endpoint.format(**(path_params or {}))
        try:
            async with self.session.request(
                endpoint.method, self.base_url + path, params=params,
                data=None if body is None else json.dumps(body),
                headers={"Authorization": self.auth_header,
                         **({"Content-Type": "application/json"} if body is not None else {})},
                timeout=aiohttp.ClientTimeout(total=self.settings.request_timeout_seconds),
            ) as resp:
                payload = await resp.read()
                if resp.status >= 300:
                    raise self._error(resp.status, payload, endpoint.path, path)
                if raw:
                    return payload
                if not payload:
                    return None
                return json.loads(payload)
        except TimeoutError as exc:
            raise AriTimeout(None, "request timed out", path=path) from exc
        except aiohttp.ClientError as exc:
            raise AriConnectionError(None, str(exc) or type(exc).__name__, path=path) from exc

    @staticmethod
    def _error(status: int, payload: bytes, template: str, path: str) -> AriError:
        # Asterisk's own error bodies carry the reason in ``error`` ({"error": "Allocation
        # failed"}); some older paths and proxies say ``message``.
        try:
            body = json.loads(payload)
            message = str(body.get("error") or body.get("message") or "")
        except (ValueError, AttributeError):
            message = payload.decode("utf-8", "replace")
        on_channel = template.startswith("/channels/{channelId}")
        if status == 401:
            return AriAuthError(status, message, path=path)
        if status >= 500:
            return AriServerError(status, message, path=path)
        if on_channel and (status == 404 or (status == 409 and "Stasis" in message)):
            return ChannelGone(status, message, path=path)
        if status == 404:
            return AriNotFound(status, message, path=path)
        return AriError(status, message, path=path)

    # -- channels ------------------------------------------------------------------------

    async def list_channels(self) -> list[Channel]:
        return [Channel.from_json(c) for c in await self.request("channels_list")]

    async def get_channel(self, channel_id: str) -> Channel:
        return Channel.from_json(await self.request("channel_get", {"channelId": channel_id}))

    async def answer(self, channel_id: str) -> None:
        await self.request("channel_answer", {"channelId": channel_id})

    async def ring(self, channel_id: str) -> None:
        await self.request("channel_ring", {"channelId": channel_id})

    async def ring_stop(self, channel_id: str) -> None:
        await self.request("channel_ring_stop", {"channelId": channel_id})

    async def hangup(self, channel_id: str, reason: str = "normal") -> None:
        await self.request("channel_hangup", {"channelId": channel_id}, {"reason": reason})

    async def play(self, channel_id: str, media: str | Sequence[str], *, lang: str | None = None,
                   playback_id: str | None = None) -> Playback:
        uris = media if isinstance(media, str) else ",".join(media)
        data = await self.request("channel_play", {"channelId": channel_id},
                                  {"media": uris, "lang": lang, "playbackId": playback_id})
        return Playback.from_json(data)

    async def stop_playback(self, playback_id: str) -> None:
        await self.request("playback_stop", {"playbackId": playback_id})

    async def record(self, channel_id: str, name: str, *, format: str = "wav", max_duration: int | None = None,
                     max_silence: int | None = None, beep: bool = False, terminate_on: str = "none",
                     if_exists: str = "fail") -> LiveRecording:
        data = await self.request("channel_record", {"channelId": channel_id}, {
            "name": name, "format": format, "maxDurationSeconds": max_duration, "maxSilenceSeconds": max_silence,
            "beep": beep, "terminateOn": terminate_on, "ifExists": if_exists})
        return LiveRecording.from_json(data)

    async def record_bridge(self, bridge_id: str, name: str, *, format: str = "wav",
                            if_exists: str = "overwrite") -> LiveRecording:
        """Record everything said in a bridge (both voices, mixed) until it is stopped."""
        data = await self.request("bridge_record", {"bridgeId": bridge_id}, {
            "name": name, "format": format, "ifExists": if_exists, "terminateOn": "none"})
        return LiveRecording.from_json(data)

    async def stop_recording(self, name: str) -> None:
        await self.request("recording_live_stop", {"recordingName": name})

    async def get_variable(self, channel_id: str, variable: str) -> str:
        data = await self.request("channel_var_get", {"channelId": channel_id}, {"variable": variable})
        return str(data.get("value", ""))

    async def set_variable(self, channel_id: str, variable: str, value: str) -> None:
        await self.request("channel_var_set", {"channelId": channel_id}, {"variable": variable, "value": value})

    async def originate(self, endpoint: str, *, app: str | None = None, app_args: str | None = None,
                        caller_id: str | None = None, timeout: int | None = None,
                        channel_id: str | None = None, other_channel_id: str | None = None,
                        originator: str | None = None, variables: Mapping[str, str] | None = None,
                        extension: str | None = None, context: str | None = None,
                        priority: int | None = None) -> Channel:
        data = await self.request("channel_originate", None, {
            "endpoint": endpoint, "app": app if app is not None else (None if extension else self.settings.app),
            "appArgs": app_args, "callerId": caller_id, "timeout": timeout, "channelId": channel_id,
            "otherChannelId": other_channel_id, "originator": originator, "extension": extension,
            "context": context, "priority": priority,
        }, {"variables": dict(variables)} if variables else None)
        return Channel.from_json(data)

    async def snoop(self, channel_id: str, *, spy: str = "in", whisper: str = "none", app: str | None = None,
                    app_args: str | None = None, snoop_id: str | None = None) -> Channel:
        data = await self.request("channel_snoop", {"channelId": channel_id}, {
            "spy": spy, "whisper": whisper, "app": app or self.settings.app, "appArgs": app_args,
            "snoopId": snoop_id})
        return Channel.from_json(data)

    async def moh_start(self, channel_id: str, moh_class: str | None = None) -> None:
        await self.request("channel_moh_start", {"channelId": channel_id}, {"mohClass": moh_class})

    async def moh_stop(self, channel_id: str) -> None:
        await self.request("channel_moh_stop", {"channelId": channel_id})

    # -- bridges -------------------------------------------------------------------------

    async def create_bridge(self, *, type: str = "mixing", name: str | None = None,
                            bridge_id: str | None = None) -> Bridge:
        return Bridge.from_json(await self.request("bridge_create", None,
                                                   {"type": type, "name": name, "bridgeId": bridge_id}))

    async def add_channel(self, bridge_id: str, channel_id: str, role: str | None = None) -> None:
        await self.request("bridge_add_channel", {"bridgeId": bridge_id}, {"channel": channel_id, "role": role})

    async def remove_channel(self, bridge_id: str, channel_id: str) -> None:
        await self.request("bridge_remove_channel", {"bridgeId": bridge_id}, {"channel": channel_id})

    async def destroy_bridge(self, bridge_id: str) -> None:
        await self.request("bridge_destroy", {"bridgeId": bridge_id})

    # -- stored recordings ---------------------------------------------------------------

    async def get_stored_recording(self, name: str) -> dict[str, Any]:
        return dict(await self.request("recording_stored_get", {"recordingName": name}))

    async def download_recording(self, name: str) -> bytes:
        data: bytes = await self.request("recording_stored_file", {"recordingName": name}, raw=True)
        return data

    async def delete_stored_recording(self, name: str) -> None:
        await self.request("recording_stored_delete", {"recordingName": name})

    async def asterisk_info(self) -> dict[str, Any]:
        return dict(await self.request("asterisk_info"))
