"""State of the simulated PBX: channels, bridges, playbacks, recordings, in Asterisk's JSON shapes."""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

ASTERISK_ID = "02:fc:00:00:00:01"
STATE_CODES = {"Down": "0", "Rsrvd": "1", "OffHook": "2", "Dialing": "3", "Ring": "4", "Ringing": "5",
               "Up": "6", "Busy": "7"}
CAUSE_TXT = {16: "Normal Clearing", 17: "User busy", 19: "User alerting, no answer", 1: "Unallocated (unassigned) number"}


def ari_timestamp(when: float | None = None) -> str:
    """Asterisk's format: 2026-11-23T11:36:05.127+0000."""
    dt = datetime.fromtimestamp(time.time() if when is None else when, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}+0000"


class IdSource:
    """Channel ids like 1795433765.3 (start time . sequence) and Local/PJSIP name suffixes."""

    def __init__(self) -> None:
        self.epoch = int(time.time())
        self._seq = itertools.count(1)
        self._local = itertools.count(1)

    def channel_id(self) -> str:
        return f"{self.epoch}.{next(self._seq)}"

    def suffix(self) -> str:
        return f"{next(self._local):08x}"


@dataclass
class SimChannel:
    id: str
    name: str
    state: str
    caller_name: str = ""
    caller_number: str = ""
    connected_name: str = ""
    connected_number: str = ""
    context: str = "default"
    exten: str = "s"
    priority: int = 1
    app_name: str = ""
    app_data: str = ""
    language: str = "en"
    linkedid: str = ""
    created: float = field(default_factory=time.time)
    apps: set[str] = field(default_factory=set)  # ARI apps that get this channel's events
    stasis_app: str | None = None
    bridge_id: str | None = None
    variables: dict[str, str] = field(default_factory=dict)
    alive: bool = True
    peer: SimChannel | None = None  # other half of a Local pair
    # Originated by an app (POST /channels): the app stays subscribed to it after StasisEnd and
    # hears its ChannelDestroyed, unlike a channel that came in through the dialplan.
    originated_by: str | None = None
    # runtime
    ops: asyncio.Queue[Any] = field(default_factory=asyncio.Queue, repr=False)
    current: Any = None  # the playback or recording now running
    worker: asyncio.Task[None] | None = field(default=None, repr=False)
    media_log: list[str] = field(default_factory=list)
    dtmf_waiters: list[asyncio.Future[str]] = field(default_factory=list, repr=False)
    answered_at: float | None = None
    stasis_started_at: float | None = None
    script: Any = None  # the caller script's task
    pending_speech: Any = None  # list: what the caller says into each next recording (Speech or None)
    speech_for: Any = None  # (Speech, started) of the running recording

    def to_ari(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "state": self.state, "protocol_id": "",
            "caller": {"name": self.caller_name, "number": self.caller_number},
            "connected": {"name": self.connected_name, "number": self.connected_number},
            "accountcode": "",
            "dialplan": {"context": self.context, "exten": self.exten, "priority": self.priority,
                         "app_name": self.app_name, "app_data": self.app_data},
            "creationtime": ari_timestamp(self.created), "language": self.language,
        }

    def ami_fields(self, prefix: str = "") -> dict[str, str]:
        def unk(v: str) -> str:
            return v or "<unknown>"

        fields = {
            "Channel": self.name, "ChannelState": STATE_CODES.get(self.state, "0"), "ChannelStateDesc": self.state,
            "CallerIDNum": unk(self.caller_number), "CallerIDName": unk(self.caller_name),
            "ConnectedLineNum": unk(self.connected_number), "ConnectedLineName": unk(self.connected_name),
            "Language": self.language, "AccountCode": "", "Context": self.context, "Exten": self.exten,
            "Priority": str(self.priority), "Uniqueid": self.id, "Linkedid": self.linkedid or self.id,
        }
        return {prefix + k: v for k, v in fields.items()}


@dataclass
class SimBridge:
    id: str
    name: str
    bridge_type: str = "mixing"
    bridge_class: str = "stasis"
    technology: str = "simple_bridge"
    creator: str = "Stasis"
    channels: list[str] = field(default_factory=list)
    created: float = field(default_factory=time.time)

    def to_ari(self) -> dict[str, Any]:
        return {"id": self.id, "technology": self.technology, "bridge_type": self.bridge_type,
                "bridge_class": self.bridge_class, "creator": self.creator, "name": self.name,
                "channels": list(self.channels), "creationtime": ari_timestamp(self.created), "video_mode": "talker"}

    def ami_fields(self) -> dict[str, str]:
        return {"BridgeUniqueid": self.id, "BridgeType": self.bridge_class, "BridgeTechnology": self.technology,
                "BridgeCreator": self.creator, "BridgeName": self.name,
                "BridgeNumChannels": str(len(self.channels)), "BridgeVideoSourceMode": "talker"}


@dataclass
class SimPlayback:
    id: str
    media: list[str]
    channel_id: str
    language: str
    state: str = "queued"
    media_index: int = 0
    stop: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    def to_ari(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "media_uri": self.media[self.media_index],
                                "target_uri": f"channel:{self.channel_id}", "language": self.language,
                                "state": self.state}
        if self.media_index + 1 < len(self.media):
            data["next_media_uri"] = self.media[self.media_index + 1]
        return data


@dataclass
class SimRecording:
    name: str
    format: str
    channel_id: str
    max_duration: float
    max_silence: float
    terminate_on: str
    beep: bool
    state: str = "queued"
    stop: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    stop_reason: str = ""
    started: float = 0.0
    bridge_id: str = ""  # a bridge's recording (the conversation), not a channel's

    def to_ari(self, **extra: Any) -> dict[str, Any]:
        target = f"bridge:{self.bridge_id}" if self.bridge_id else f"channel:{self.channel_id}"
        return {"name": self.name, "format": self.format, "state": self.state, "target_uri": target, **extra}
