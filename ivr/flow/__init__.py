"""The hotline call flow: a pure state machine, ``step(state, event) -> (state, commands)``.

Start a call with ``State()`` and feed it a :class:`CallStarted`; run the returned commands
and feed back what happened as further events::

    state, cmds = step(State(), CallStarted("1795433765.3", "79161234567", "Ivanova"))
    # cmds == [Answer(), Play((greeting media...), playback_id="1795433765.3:play:1")]
    state, cmds = step(state, PlaybackDone("1795433765.3:play:1"))   # -> the category menu
    state, cmds = step(state, Dtmf("2"))                             # heating -> "describe..."

Invariants are documented in ``machine.py``; timings and keys are in :class:`FlowConfig`.
"""

from ivr.flow.choices import Category, Choice, Priority, Special, TicketStatus, parse_choice
from ivr.flow.commands import (
    Answer,
    CancelDispatcherCall,
    CancelTimer,
    Command,
    ConnectToDispatcher,
    CountOutageCaller,
    DispatcherReason,
    Hangup,
    ListenForChoice,
    MissedReason,
    Outcome,
    Play,
    PlayMusicOnHold,
    RecordMissedCall,
    RegisterTicket,
    ReportOutcome,
    StartRecording,
    StartTimer,
    StopListening,
    StopMusicOnHold,
    StopPlayback,
    UnderstandRecording,
)
from ivr.flow.config import DEFAULT_MENU_KEYS, FlowConfig
from ivr.flow.events import (
    AlreadyDecided,
    CallStarted,
    Deadline,
    DeadlineBy,
    DeadlineWithin,
    DispatcherAnswered,
    Dtmf,
    Error,
    Event,
    HungUp,
    NoDispatcher,
    OpenTicket,
    OutageNotice,
    PlaybackDone,
    RecordingDone,
    RecordingEnd,
    RecordingUnderstood,
    Restoration,
    SpokenChoice,
    TicketRegistered,
    Timeout,
)
from ivr.flow.machine import DEFAULT_CONFIG, step
from ivr.flow.state import State, Step, Transition

__all__ = [
    "DEFAULT_CONFIG",
    "DEFAULT_MENU_KEYS",
    "AlreadyDecided",
    "Answer",
    "CallStarted",
    "CancelDispatcherCall",
    "CancelTimer",
    "Category",
    "Choice",
    "Command",
    "ConnectToDispatcher",
    "CountOutageCaller",
    "Deadline",
    "DeadlineBy",
    "DeadlineWithin",
    "DispatcherAnswered",
    "DispatcherReason",
    "Dtmf",
    "Error",
    "Event",
    "FlowConfig",
    "Hangup",
    "HungUp",
    "ListenForChoice",
    "MissedReason",
    "NoDispatcher",
    "OpenTicket",
    "Outcome",
    "OutageNotice",
    "Play",
    "PlayMusicOnHold",
    "PlaybackDone",
    "Priority",
    "RecordMissedCall",
    "RecordingDone",
    "RecordingEnd",
    "RecordingUnderstood",
    "RegisterTicket",
    "ReportOutcome",
    "Restoration",
    "Special",
    "SpokenChoice",
    "StartRecording",
    "StartTimer",
    "State",
    "Step",
    "StopListening",
    "StopMusicOnHold",
    "StopPlayback",
    "TicketRegistered",
    "TicketStatus",
    "Timeout",
    "Transition",
    "UnderstandRecording",
    "parse_choice",
    "step",
]
