"""The call flow as a pure function: ``step(state, event) -> (state, commands)``.

No I/O and no clock: the executor runs the commands and feeds back what happened. Every
state decides only on the events that make sense in it and ignores the rest (a late
PlaybackDone of a stopped prompt, a key pressed during a recording), so event order races
in the executor cannot push the flow into a wrong branch.

Invariant: a call that ends without RegisterTicket emits RecordMissedCall exactly once (a call
taken over already decided, ``CallStarted.decided``, emits neither: its record exists);
every call that started emits ReportOutcome exactly once, as its last command.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ivr.flow.actions import drop, end_with, finish, hang_up, missed, note, quiet
from ivr.flow.commands import MissedReason, Outcome
from ivr.flow.config import FlowConfig
from ivr.flow.dispatcher import no_dispatcher, on_waiting
from ivr.flow.events import CallStarted, Error, Event, HungUp, PlaybackDone
from ivr.flow.media import prompt
from ivr.flow.menus import on_greeting, on_menu
from ivr.flow.outage import on_outage_counting, on_outage_error, on_outage_hangup, on_outage_menu, on_outage_offer
from ivr.flow.recording import on_hangup_while_recording, on_record_prompt, on_recording, on_registering
from ivr.flow.state import State, Step, Transition
from ivr.flow.transitions import begin
from ivr.flow.understanding import on_confirming, on_understanding, register_now

DEFAULT_CONFIG = FlowConfig()

Handler = Callable[[State, Event, FlowConfig], Transition]


def _ignore(state: State, event: Event, config: FlowConfig) -> Transition:
    return state, []


def _on_ending(state: State, event: Event, config: FlowConfig) -> Transition:
    if isinstance(event, PlaybackDone) and event.playback_id == state.playback_id:
        return hang_up(replace(state, playback_id=None))
    return state, []


_HANDLERS: dict[Step, Handler] = {
    Step.GREETING: on_greeting,
    Step.OPEN_TICKET_MENU: on_menu,
    Step.CATEGORY_MENU: on_menu,
    Step.OUTAGE_MENU: on_outage_menu,
    Step.OUTAGE_OFFER: on_outage_offer,
    Step.OUTAGE_COUNTING: on_outage_counting,
    Step.RECORD_PROMPT: on_record_prompt,
    Step.RECORDING: on_recording,
    Step.UNDERSTANDING: on_understanding,
    Step.CONFIRMING: on_confirming,
    Step.REGISTERING: on_registering,
    Step.WAITING_DISPATCHER: on_waiting,
    Step.WITH_DISPATCHER: _ignore,
    Step.ENDING: _on_ending,
}

_OUTAGE_STEPS = frozenset({Step.OUTAGE_MENU, Step.OUTAGE_OFFER, Step.OUTAGE_COUNTING})


def step(state: State, event: Event, config: FlowConfig = DEFAULT_CONFIG) -> Transition:
    """Advance one call by one event; returns the next state and the commands to run."""
    if state.step is Step.ENDED:
        return state, []
    if state.step is Step.START:
        if isinstance(event, CallStarted):
            return begin(state, event, config)
        # Nothing is known of a call that ends before it starts: nothing to record.
        return replace(state, step=Step.ENDED), []
    if isinstance(event, CallStarted):
        return state, []
    if isinstance(event, HungUp):
        return _on_hangup(state, config)
    if isinstance(event, Error):
        return _on_error(state, event, config)
    return _HANDLERS[state.step](state, event, config)


def _on_hangup(state: State, config: FlowConfig) -> Transition:
    if state.hung_up:
        return state, []
    state = note(state, "hangup")
    if state.step in _OUTAGE_STEPS and (outage := on_outage_hangup(state)) is not None:
        return outage
    if state.step is Step.RECORDING:
        return on_hangup_while_recording(state, config)
    if state.step is Step.REGISTERING:
        # The ticket is being made from the recording; its outcome still comes.
        return replace(state, hung_up=True), []
    if state.step in (Step.UNDERSTANDING, Step.CONFIRMING):
        # What they said is the request: register it without them.
        state, cmds = drop(replace(state, hung_up=True))
        state, more = register_now(state)
        return state, cmds + more
    state = replace(state, hung_up=True)
    if state.step is Step.ENDING:
        # The last words were cut off; what the call achieved stands.
        return finish(state, state.pending_outcome or Outcome.FAILED)
    if state.step is Step.WITH_DISPATCHER:
        return finish(state, Outcome.DISPATCHER_ANSWERED)
    if state.registered is not None:
        # Put through after its ticket was made (words that may tell of an emergency): the
        # ticket is what the call achieved, with its recording; nothing was missed.
        state, cmds = drop(state)
        state, end = finish(state, Outcome.TICKET_REGISTERED)
        return state, cmds + end
    # Greeting, menus, recording prompt, waiting for a dispatcher: no ticket was made.
    state, cmds = drop(state)
    state, more = missed(state, MissedReason.HANGUP)
    state, end = finish(state, Outcome.MISSED)
    return state, cmds + more + end


def _on_error(state: State, event: Error, config: FlowConfig) -> Transition:
    state = note(state, f"error:{event.detail}" if event.detail else "error")
    if state.step is Step.ENDING:
        # Even the last words failed: hang up without them.
        state, cmds = drop(state)
        state, more = hang_up(state)
        return state, cmds + more
    if state.step in _OUTAGE_STEPS and (outage := on_outage_error(state, config)) is not None:
        return outage
    if state.step is Step.WITH_DISPATCHER:
        # The conversation belongs to the dispatcher now; nothing for the flow to do.
        return state, []
    if state.step is Step.WAITING_DISPATCHER:
        # Ringing the dispatchers failed: same as nobody answering.
        return no_dispatcher(state, config)
    if state.step in (Step.UNDERSTANDING, Step.CONFIRMING):
        # The question failed to play, or the understanding broke: the recording still stands.
        state, cmds = quiet(state)
        state, more = register_now(state)
        return state, cmds + more
    if state.step is Step.REGISTERING:
        # The recording exists but no ticket does: the missed call carries the recording,
        # so a dispatcher calls back and nothing half-made lands in the journal.
        state, cmds = missed(state, MissedReason.REGISTRATION_FAILED, state.recording_name)
    else:
        state, cmds = missed(state, MissedReason.ERROR)
    if state.hung_up:
        state, more = drop(state)
        state, end = finish(state, Outcome.FAILED)
        return state, cmds + more + end
    state, more = quiet(state)
    state, end = end_with(state, (prompt("technical-error"),), Outcome.FAILED)
    return state, more + cmds + end
