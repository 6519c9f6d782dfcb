"""Typed ARI events, parsed from the websocket JSON (field names as Asterisk sends them).

Every event keeps the raw dict (``raw``) so nothing Asterisk sends is lost. ``parse_event``
returns None for an event type we do not model; the caller logs and ignores it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Json = Mapping[str, Any]


def _str(data: Json, key: str) -> str:
    value = data.get(key, "")
    return value if isinstance(value, str) else str(value)


def _int(data: Json, key: str, default: int = 0) -> int:
    value = data.get(key, default)
    return value if isinstance(value, int) else int(value or default)


def _opt_int(data: Json, key: str) -> int | None:
    value = data.get(key)
    return None if value is None else int(value)


@dataclass(frozen=True, slots=True)
class CallerId:
    name: str
    number: str

    @classmethod
    def from_json(cls, data: Json | None) -> CallerId:
        data = data or {}
        return cls(_str(data, "name"), _str(data, "number"))


@dataclass(frozen=True, slots=True)
class DialplanCep:
    context: str
    exten: str
    priority: int
    app_name: str
    app_data: str

    @classmethod
    def from_json(cls, data: Json | None) -> DialplanCep:
        data = data or {}
        return cls(_str(data, "context"), _str(data, "exten"), _int(data, "priority"),
                   _str(data, "app_name"), _str(data, "app_data"))


@dataclass(frozen=True, slots=True)
class Channel:
    id: str
    name: str
    state: str
    protocol_id: str
    caller: CallerId
    connected: CallerId
    accountcode: str
    dialplan: DialplanCep
    creationtime: str
    language: str
    raw: Json = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Json) -> Channel:
        return cls(
            id=_str(data, "id"), name=_str(data, "name"), state=_str(data, "state"),
            protocol_id=_str(data, "protocol_id"), caller=CallerId.from_json(data.get("caller")),
            connected=CallerId.from_json(data.get("connected")), accountcode=_str(data, "accountcode"),
            dialplan=DialplanCep.from_json(data.get("dialplan")), creationtime=_str(data, "creationtime"),
            language=_str(data, "language"), raw=data,
        )

    def in_app(self, app: str) -> bool:
        """True while the channel runs Stasis(app[,args]) according to its dialplan location."""
        return self.dialplan.app_name == "Stasis" and self.dialplan.app_data.split(",")[0] == app


@dataclass(frozen=True, slots=True)
class Playback:
    id: str
    media_uri: str
    target_uri: str
    language: str
    state: str
    raw: Json = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Json) -> Playback:
        return cls(_str(data, "id"), _str(data, "media_uri"), _str(data, "target_uri"),
                   _str(data, "language"), _str(data, "state"), data)


@dataclass(frozen=True, slots=True)
class LiveRecording:
    name: str
    format: str
    state: str
    target_uri: str
    duration: int | None = None
    talking_duration: int | None = None
    silence_duration: int | None = None
    cause: str = ""
    raw: Json = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Json) -> LiveRecording:
        return cls(_str(data, "name"), _str(data, "format"), _str(data, "state"), _str(data, "target_uri"),
                   _opt_int(data, "duration"), _opt_int(data, "talking_duration"),
                   _opt_int(data, "silence_duration"), _str(data, "cause"), data)


@dataclass(frozen=True, slots=True)
class Bridge:
    id: str
    technology: str
    bridge_type: str
    bridge_class: str
    creator: str
    name: str
    channels: tuple[str, ...]
    creationtime: str
    raw: Json = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Json) -> Bridge:
        return cls(_str(data, "id"), _str(data, "technology"), _str(data, "bridge_type"),
                   _str(data, "bridge_class"), _str(data, "creator"), _str(data, "name"),
                   tuple(str(c) for c in data.get("channels", [])), _str(data, "creationtime"), data)


def _target_id(uri: str, kind: str = "channel") -> str | None:
    prefix = kind + ":"
    return uri[len(prefix):] if uri.startswith(prefix) else None


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    type: str
    timestamp: str
    application: str
    asterisk_id: str
    raw: Json = field(default_factory=dict, repr=False, compare=False)

    def channel_ids(self) -> tuple[str, ...]:
        """Channels this event concerns, used to route it to a call session."""
        return ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelEvent(Event):
    channel: Channel

    def channel_ids(self) -> tuple[str, ...]:
        return (self.channel.id,)


@dataclass(frozen=True, slots=True, kw_only=True)
class StasisStart(ChannelEvent):
    args: tuple[str, ...] = ()
    replace_channel: Channel | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class StasisEnd(ChannelEvent):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelStateChange(ChannelEvent):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelDtmfReceived(ChannelEvent):
    digit: str
    duration_ms: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelHangupRequest(ChannelEvent):
    cause: int = 0
    soft: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelDestroyed(ChannelEvent):
    cause: int = 0
    cause_txt: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelVarset(Event):
    variable: str
    value: str
    channel: Channel | None = None

    def channel_ids(self) -> tuple[str, ...]:
        return (self.channel.id,) if self.channel else ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelEnteredBridge(ChannelEvent):
    bridge: Bridge


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelLeftBridge(ChannelEvent):
    bridge: Bridge


@dataclass(frozen=True, slots=True, kw_only=True)
class PlaybackEvent(Event):
    playback: Playback

    def channel_ids(self) -> tuple[str, ...]:
        target = _target_id(self.playback.target_uri)
        return (target,) if target else ()


@dataclass(frozen=True, slots=True, kw_only=True)
class PlaybackStarted(PlaybackEvent):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class PlaybackFinished(PlaybackEvent):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordingEvent(Event):
    recording: LiveRecording

    def channel_ids(self) -> tuple[str, ...]:
        target = _target_id(self.recording.target_uri)
        return (target,) if target else ()


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordingStarted(RecordingEvent):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordingFinished(RecordingEvent):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordingFailed(RecordingEvent):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class Dial(Event):
    peer: Channel
    dialstatus: str
    dialstring: str = ""
    forward: str = ""
    caller: Channel | None = None

    def channel_ids(self) -> tuple[str, ...]:
        return (self.peer.id,) + ((self.caller.id,) if self.caller else ())


def _base(data: Json) -> dict[str, Any]:
    return {"type": _str(data, "type"), "timestamp": _str(data, "timestamp"),
            "application": _str(data, "application"), "asterisk_id": _str(data, "asterisk_id"), "raw": data}


def _chan(data: Json) -> dict[str, Any]:
    return {**_base(data), "channel": Channel.from_json(data["channel"])}


def _opt_channel(data: Json, key: str) -> Channel | None:
    value = data.get(key)
    return Channel.from_json(value) if isinstance(value, Mapping) else None


_PARSERS: dict[str, Callable[[Json], Event]] = {
    "StasisStart": lambda d: StasisStart(**_chan(d), args=tuple(str(a) for a in d.get("args", [])),
                                         replace_channel=_opt_channel(d, "replace_channel")),
    "StasisEnd": lambda d: StasisEnd(**_chan(d)),
    "ChannelStateChange": lambda d: ChannelStateChange(**_chan(d)),
    "ChannelDtmfReceived": lambda d: ChannelDtmfReceived(**_chan(d), digit=_str(d, "digit"),
                                                         duration_ms=_int(d, "duration_ms")),
    "ChannelHangupRequest": lambda d: ChannelHangupRequest(**_chan(d), cause=_int(d, "cause"),
                                                           soft=bool(d.get("soft", False))),
    "ChannelDestroyed": lambda d: ChannelDestroyed(**_chan(d), cause=_int(d, "cause"), cause_txt=_str(d, "cause_txt")),
    "ChannelVarset": lambda d: ChannelVarset(**_base(d), variable=_str(d, "variable"), value=_str(d, "value"),
                                             channel=_opt_channel(d, "channel")),
    "ChannelEnteredBridge": lambda d: ChannelEnteredBridge(**_chan(d), bridge=Bridge.from_json(d["bridge"])),
    "ChannelLeftBridge": lambda d: ChannelLeftBridge(**_chan(d), bridge=Bridge.from_json(d["bridge"])),
    "PlaybackStarted": lambda d: PlaybackStarted(**_base(d), playback=Playback.from_json(d["playback"])),
    "PlaybackFinished": lambda d: PlaybackFinished(**_base(d), playback=Playback.from_json(d["playback"])),
    "RecordingStarted": lambda d: RecordingStarted(**_base(d), recording=LiveRecording.from_json(d["recording"])),
    "RecordingFinished": lambda d: RecordingFinished(**_base(d), recording=LiveRecording.from_json(d["recording"])),
    "RecordingFailed": lambda d: RecordingFailed(**_base(d), recording=LiveRecording.from_json(d["recording"])),
    "Dial": lambda d: Dial(**_base(d), peer=Channel.from_json(d["peer"]), dialstatus=_str(d, "dialstatus"),
                           dialstring=_str(d, "dialstring"), forward=_str(d, "forward"),
                           caller=_opt_channel(d, "caller")),
}

KNOWN_EVENT_TYPES: frozenset[str] = frozenset(_PARSERS)


class EventParseError(ValueError):
    """A known event type whose JSON lacks a required part."""


def parse_event(data: Json) -> Event | None:
    """The typed event, or None when the type is not one we model."""
    parser = _PARSERS.get(_str(data, "type"))
    if parser is None:
        return None
    try:
        return parser(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise EventParseError(f"bad {data.get('type')} event: {exc!r}") from exc
