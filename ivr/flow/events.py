"""Inputs of the call flow: what happened on the call, as the executor saw it.

The executor (the ARI session) turns Asterisk events and the results of the commands it
ran into these values and feeds them to :func:`ivr.flow.step`. Events carry only what the
flow decides on; channel ids, bridges and HTTP details stay in the executor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from ivr.flow.choices import Category, Choice, TicketStatus


@dataclass(frozen=True)
class OpenTicket:
    """The caller's latest open ticket, found by caller id before the call enters the flow."""

    number: str
    status: TicketStatus
    category: Category | None = None


@dataclass(frozen=True)
class AlreadyDecided:
    """What a call had achieved when the service that ran it died and a restarted one took the
    still-live channel over: its ticket (spoken number, None if unknown) or, with
    ``ticket`` False, a missed-call record already on the callback list."""

    ticket: bool
    number: str | None = None


@dataclass(frozen=True)
class Restoration:
    """The expected restoration, local time, as the announcement says it («до 18 часов 30
    минут», «завтра до 8 часов»)."""

    hour: int
    minute: int
    tomorrow: bool = False


@dataclass(frozen=True)
class OutageNotice:
    """A mass outage announced to the caller: its own prompts (``outage-<id>-text``, the
    dispatcher's announcement, and ``outage-<id>-offer``, «если вы звоните по поводу
    отключения ... на улице ...») and the restoration time, when one is expected."""

    outage_id: int
    restoration: Restoration | None = None


@dataclass(frozen=True)
class CallStarted:
    """First event of every call. ``call_id`` names recordings and playbacks uniquely.
    ``outage``: the outage announced at the caller's building; ``offered``: when the building
    is unknown, the few outages announced anywhere, each offered with a key."""

    call_id: str
    caller_number: str
    caller_name: str = ""
    open_ticket: OpenTicket | None = None
    decided: AlreadyDecided | None = None
    outage: OutageNotice | None = None
    offered: tuple[OutageNotice, ...] = ()


@dataclass(frozen=True)
class PlaybackDone:
    """A Play command finished (or was stopped); ids of older playbacks are ignored."""

    playback_id: str


@dataclass(frozen=True)
class Dtmf:
    digit: str


@dataclass(frozen=True)
class Timeout:
    """A StartTimer fired; only the token of the timer currently running counts."""

    token: int


@dataclass(frozen=True)
class SpokenChoice:
    """Result of ListenForChoice: ``choice`` is None when nothing in the grammar was heard."""

    choice: Choice | None
    confidence: float = 1.0


class RecordingEnd(StrEnum):
    """Why a recording stopped. ARI's RecordingFinished does not say; the executor infers
    it: HANGUP when the channel hung up, TERMINATED when the caller pressed the terminate
    key, MAXLENGTH when the duration reached the limit, SILENCE otherwise."""

    SILENCE = "silence"
    TERMINATED = "terminated"
    MAXLENGTH = "maxlength"
    HANGUP = "hangup"


@dataclass(frozen=True)
class RecordingDone:
    """A StartRecording finished. ``talking_seconds`` is ARI's ``talking_duration`` (present
    because the flow always sets a silence limit); the flow prefers it to the total
    duration, which includes the trailing silence that ended the recording."""

    name: str
    duration_seconds: float
    reason: RecordingEnd
    talking_seconds: float | None = None


@dataclass(frozen=True)
class RecordingUnderstood:
    """What the words of the recording said (UnderstandRecording's answer).

    ``topic`` is the understanding's category code ("water", "roof", ...; None when nothing
    was understood), ``category`` the menu category it belongs to. ``possibly_emergency``:
    not flagged, but close enough that a person should hear the caller when unsure.
    """

    topic: str | None
    category: Category | None
    confident: bool
    emergency: bool = False
    possibly_emergency: bool = False


@dataclass(frozen=True)
class DeadlineWithin:
    """Normative deadline as a duration from now, e.g. 2 hours."""

    hours: int


@dataclass(frozen=True)
class DeadlineBy:
    """Normative deadline as a calendar date, e.g. 25 November."""

    day: date


Deadline = DeadlineWithin | DeadlineBy


@dataclass(frozen=True)
class TicketRegistered:
    """RegisterTicket (or CountOutageCaller) succeeded. ``deadline_text`` is for screens and logs, not spoken."""

    number: str
    category: Category | None
    deadline: Deadline | None = None
    deadline_text: str = ""


@dataclass(frozen=True)
class DispatcherAnswered:
    extension: str


@dataclass(frozen=True)
class QueuePosition:
    """The caller waits for a dispatcher behind others: their place in the queue (1: next)."""

    position: int


@dataclass(frozen=True)
class NoDispatcher:
    """Nobody in the dispatchers' group answered within the ring time."""


@dataclass(frozen=True)
class HungUp:
    """The caller's channel is gone (ARI StasisEnd / ChannelHangupRequest)."""


@dataclass(frozen=True)
class Error:
    """A command could not be carried out (ARI error, registration failed, ...)."""

    detail: str = ""


Event = (
    CallStarted
    | PlaybackDone
    | Dtmf
    | Timeout
    | SpokenChoice
    | RecordingDone
    | RecordingUnderstood
    | TicketRegistered
    | DispatcherAnswered
    | QueuePosition
    | NoDispatcher
    | HungUp
    | Error
)
