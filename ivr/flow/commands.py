"""Outputs of the call flow: what the executor must do, in the order given.

Commands name intentions, not ARI calls, so the same flow drives the stand-in Asterisk and
the real one. Media strings are Asterisk media URIs (``sound:``, ``digits:``, ``number:``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ivr.flow.choices import Category, Choice, Priority


class DispatcherReason(StrEnum):
    EMERGENCY = "emergency"  # key 0 or a spoken emergency
    REQUESTED = "requested"  # key 9 or "operator"
    REPEAT_CALLER = "repeat_caller"  # open ticket, key 1
    NO_INPUT = "no_input"  # menu retries exhausted
    NO_DESCRIPTION = "no_description"  # the caller stayed silent at every recording
    UNSURE_EMERGENCY = "unsure_emergency"  # the words may tell of an emergency: a person decides


class MissedReason(StrEnum):
    HANGUP = "hangup"  # caller hung up before a ticket was registered
    NO_MESSAGE = "no_message"  # nobody answered and the caller left no message
    ERROR = "error"  # a command failed; the call was ended
    REGISTRATION_FAILED = "registration_failed"  # the recording exists, the ticket does not


class Outcome(StrEnum):
    TICKET_REGISTERED = "ticket_registered"
    DISPATCHER_ANSWERED = "dispatcher_answered"
    MISSED = "missed"
    FAILED = "failed"


@dataclass(frozen=True)
class Answer:
    pass


@dataclass(frozen=True)
class Play:
    """Play the media one after another; report PlaybackDone(playback_id) at the end."""

    media: tuple[str, ...]
    playback_id: str


@dataclass(frozen=True)
class StopPlayback:
    playback_id: str


@dataclass(frozen=True)
class StartTimer:
    seconds: float
    token: int


@dataclass(frozen=True)
class CancelTimer:
    token: int


@dataclass(frozen=True)
class ListenForChoice:
    """Recognise the spoken menu choice (grammar mode) and report SpokenChoice."""

    choices: tuple[Choice, ...]
    max_seconds: float


@dataclass(frozen=True)
class StopListening:
    pass


@dataclass(frozen=True)
class StartRecording:
    """Record the caller; report RecordingDone(name, ...)."""

    name: str
    max_seconds: int
    max_silence_seconds: int
    terminate_on: str = "#"


@dataclass(frozen=True)
class UnderstandRecording:
    """Transcribe and understand the recording now, during the call; answer with
    RecordingUnderstood (topic None when it could not be done)."""

    name: str


@dataclass(frozen=True)
class RegisterTicket:
    """Create the ticket from the recording; report TicketRegistered or Error."""

    call_id: str
    caller_number: str
    caller_name: str
    category: Category | None  # None: the dispatcher classifies it from the recording
    priority: Priority
    recording_name: str
    recording_seconds: float
    callback_due: bool  # the caller wanted a person and got none: call back
    related_ticket: str | None  # the open ticket the caller was told about, if any
    history: tuple[str, ...]


@dataclass(frozen=True)
class CountOutageCaller:
    """The caller stays with the outage they were told of: their ticket becomes a child of the
    outage's (no recording, no dispatcher); report TicketRegistered or Error."""

    call_id: str
    caller_number: str
    caller_name: str
    outage_id: int
    history: tuple[str, ...]


@dataclass(frozen=True)
class RecordMissedCall:
    """The call ended without a ticket; emitted at most once per call."""

    call_id: str
    caller_number: str
    caller_name: str
    reason: MissedReason
    step: str
    recording_name: str | None
    history: tuple[str, ...]


@dataclass(frozen=True)
class ConnectToDispatcher:
    """Ring the dispatchers' group; report DispatcherAnswered or NoDispatcher."""

    reason: DispatcherReason
    emergency: bool
    ring_seconds: int
    related_ticket: str | None


@dataclass(frozen=True)
class CancelDispatcherCall:
    pass


@dataclass(frozen=True)
class PlayMusicOnHold:
    pass


@dataclass(frozen=True)
class StopMusicOnHold:
    pass


@dataclass(frozen=True)
class Hangup:
    pass


@dataclass(frozen=True)
class ReportOutcome:
    """Emitted exactly once, when the flow ends: for the call log and metrics."""

    outcome: Outcome
    history: tuple[str, ...]


Command = (
    Answer
    | Play
    | StopPlayback
    | StartTimer
    | CancelTimer
    | ListenForChoice
    | StopListening
    | StartRecording
    | UnderstandRecording
    | RegisterTicket
    | CountOutageCaller
    | RecordMissedCall
    | ConnectToDispatcher
    | CancelDispatcherCall
    | PlayMusicOnHold
    | StopMusicOnHold
    | Hangup
    | ReportOutcome
)
