"""The state of one call in the flow: an immutable value, replaced on every step."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ivr.flow.choices import Category
from ivr.flow.commands import Command, DispatcherReason, Outcome
from ivr.flow.events import OpenTicket, OutageNotice


class Step(StrEnum):
    START = "start"
    GREETING = "greeting"
    OPEN_TICKET_MENU = "open_ticket_menu"
    CATEGORY_MENU = "category_menu"
    OUTAGE_MENU = "outage_menu"  # an outage at the caller's building: "1 - other problem, stay - counted"
    OUTAGE_OFFER = "outage_offer"  # building unknown: "about the outage on ... street, press 2"
    OUTAGE_COUNTING = "outage_counting"  # waiting for the child ticket (TicketRegistered)
    RECORD_PROMPT = "record_prompt"  # "describe the problem" + beep playing
    RECORDING = "recording"
    UNDERSTANDING = "understanding"  # the recording is being transcribed and understood
    CONFIRMING = "confirming"  # "Вы сообщаете о протечке воды? 1 — да, 2 — нет"
    REGISTERING = "registering"  # waiting for TicketRegistered
    WAITING_DISPATCHER = "waiting_dispatcher"
    WITH_DISPATCHER = "with_dispatcher"
    ENDING = "ending"  # last words (ticket number, goodbye, apology) playing, then Hangup
    ENDED = "ended"


@dataclass(frozen=True)
class State:
    step: Step = Step.START
    call_id: str = ""
    caller_number: str = ""
    caller_name: str = ""
    open_ticket: OpenTicket | None = None
    outage: OutageNotice | None = None  # cleared once the caller chose the normal menu
    offered: tuple[OutageNotice, ...] = ()
    outage_heard: bool = False  # the announcement played to its end
    outage_by_key: bool = False  # the caller picked the outage from the offer (has not heard it yet)

    # Counter for playback ids and timer tokens, so stale PlaybackDone/Timeout are told
    # apart from current ones without any clock or randomness.
    seq: int = 0
    playback_id: str | None = None  # the prompt now playing, if any
    timer_token: int | None = None  # the timer now running, if any
    listening: bool = False
    on_hold: bool = False  # music on hold playing
    ringing: bool = False  # dispatchers are being rung
    queue_position: int = 0  # the caller's place in the queue, to tell when the words playing end

    failures: int = 0  # no/wrong input at the current menu or recording prompt
    category: Category | None = None
    # Set when the caller went to a dispatcher; a message left afterwards is a callback.
    dispatcher_reason: DispatcherReason | None = None
    leaving_message: bool = False
    recording_name: str | None = None
    recordings: int = 0
    recorded_seconds: float = 0.0  # speech in the recording the ticket will carry
    guess: Category | None = None  # the understanding's unsure category, while confirming
    then_dispatcher: bool = False  # after registering, put the caller through (unsure emergency)
    registered: str | None = None  # the number of the ticket this call made, once it has one
    hung_up: bool = False
    # What the call will have been if it ends while ENDING plays its last words.
    pending_outcome: Outcome | None = None
    history: tuple[str, ...] = ()

    @property
    def where(self) -> str:
        """The step name reported with a missed call."""
        prefix = "no_dispatcher/" if self.leaving_message else ""
        return prefix + self.step.value


Transition = tuple[State, list[Command]]
