"""Every ARI REST endpoint the client uses: method, path template and accepted query parameters.

The contract test checks this table against Asterisk's own resource listings
(shared/asterisk/ari-api-docs), so a typo in a path or parameter fails in CI, not on a call.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str
    path: str  # with {placeholders} as in the Swagger spec
    query: frozenset[str] = frozenset()
    body: bool = False  # takes a JSON body ("variables")

    def format(self, **path_params: str) -> str:
        from urllib.parse import quote

        return self.path.format(**{k: quote(v, safe="") for k, v in path_params.items()})


def _ep(method: str, path: str, *query: str, body: bool = False) -> Endpoint:
    return Endpoint(method, path, frozenset(query), body)


ENDPOINTS: dict[str, Endpoint] = {
    "asterisk_info": _ep("GET", "/asterisk/info", "only"),
    "channels_list": _ep("GET", "/channels"),
    "channel_get": _ep("GET", "/channels/{channelId}"),
    "channel_originate": _ep(
        "POST", "/channels", "endpoint", "extension", "context", "priority", "app", "appArgs", "callerId",
        "timeout", "channelId", "otherChannelId", "originator", body=True),
    "channel_hangup": _ep("DELETE", "/channels/{channelId}", "reason"),
    "channel_answer": _ep("POST", "/channels/{channelId}/answer"),
    "channel_ring": _ep("POST", "/channels/{channelId}/ring"),
    "channel_ring_stop": _ep("DELETE", "/channels/{channelId}/ring"),
    "channel_play": _ep("POST", "/channels/{channelId}/play", "media", "lang", "playbackId"),
    "channel_record": _ep(
        "POST", "/channels/{channelId}/record", "name", "format", "maxDurationSeconds", "maxSilenceSeconds",
        "ifExists", "beep", "terminateOn"),
    "channel_var_get": _ep("GET", "/channels/{channelId}/variable", "variable"),
    "channel_var_set": _ep("POST", "/channels/{channelId}/variable", "variable", "value"),
    "channel_snoop": _ep("POST", "/channels/{channelId}/snoop", "spy", "whisper", "app", "appArgs", "snoopId"),
    "channel_moh_start": _ep("POST", "/channels/{channelId}/moh", "mohClass"),
    "channel_moh_stop": _ep("DELETE", "/channels/{channelId}/moh"),
    "playback_stop": _ep("DELETE", "/playbacks/{playbackId}"),
    "playback_get": _ep("GET", "/playbacks/{playbackId}"),
    "recording_live_get": _ep("GET", "/recordings/live/{recordingName}"),
    "bridge_create": _ep("POST", "/bridges", "type", "bridgeId", "name"),
    "bridge_destroy": _ep("DELETE", "/bridges/{bridgeId}"),
    "bridge_add_channel": _ep("POST", "/bridges/{bridgeId}/addChannel", "channel", "role"),
    "bridge_remove_channel": _ep("POST", "/bridges/{bridgeId}/removeChannel", "channel"),
    "bridge_record": _ep(
        "POST", "/bridges/{bridgeId}/record", "name", "format", "maxDurationSeconds", "maxSilenceSeconds",
        "ifExists", "beep", "terminateOn"),
    "recording_stored_get": _ep("GET", "/recordings/stored/{recordingName}"),
    "recording_stored_file": _ep("GET", "/recordings/stored/{recordingName}/file"),
    "recording_stored_delete": _ep("DELETE", "/recordings/stored/{recordingName}"),
    "recording_live_stop": _ep("POST", "/recordings/live/{recordingName}/stop"),
}

EVENTS_WEBSOCKET = _ep("GET", "/events", "app", "subscribeAll")
