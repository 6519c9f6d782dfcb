"""ARI (Asterisk REST Interface) client: REST, events websocket, per-call sessions."""

from ivr.ari.client import AriClient, ari_base_url
from ivr.ari.connection import AriConnection
from ivr.ari.dispatcher import CallDispatcher, CallHandler
from ivr.ari.endpoints import ENDPOINTS, EVENTS_WEBSOCKET, Endpoint
from ivr.ari.errors import (
    AriAuthError,
    AriConnectionError,
    AriError,
    AriNotFound,
    AriServerError,
    AriTimeout,
    ChannelGone,
)
from ivr.ari.events import (
    KNOWN_EVENT_TYPES,
    Bridge,
    CallerId,
    Channel,
    ChannelDestroyed,
    ChannelDtmfReceived,
    ChannelEnteredBridge,
    ChannelHangupRequest,
    ChannelLeftBridge,
    ChannelStateChange,
    ChannelVarset,
    Dial,
    DialplanCep,
    Event,
    LiveRecording,
    Playback,
    PlaybackFinished,
    PlaybackStarted,
    RecordingFailed,
    RecordingFinished,
    RecordingStarted,
    StasisEnd,
    StasisStart,
    parse_event,
)
from ivr.ari.example import example_handler
from ivr.ari.service import AriService
from ivr.ari.session import CallHungUp, CallSession
from ivr.link_state import LinkStatus

__all__ = [
    "ENDPOINTS", "EVENTS_WEBSOCKET", "KNOWN_EVENT_TYPES", "AriAuthError", "AriClient", "AriConnection",
    "AriConnectionError", "AriError", "AriNotFound", "AriServerError", "AriService", "AriTimeout", "Bridge",
    "CallDispatcher", "CallHandler", "CallHungUp", "CallSession", "CallerId", "Channel", "ChannelDestroyed",
    "ChannelDtmfReceived", "ChannelEnteredBridge", "ChannelGone", "ChannelHangupRequest", "ChannelLeftBridge",
    "ChannelStateChange", "ChannelVarset", "Dial", "DialplanCep", "Endpoint", "Event", "LinkStatus",
    "LiveRecording", "Playback", "PlaybackFinished", "PlaybackStarted", "RecordingFailed", "RecordingFinished",
    "RecordingStarted", "StasisEnd", "StasisStart", "ari_base_url", "example_handler", "parse_event",
]
