"""Entering each stage of the call: what is said and started there.

Handlers decide *where* to go; these functions know *how* to get there. The caller of an
``enter_*`` function has already stopped what was in flight (``actions.quiet``).
"""

from __future__ import annotations

from dataclasses import replace

from ivr.flow.actions import end_with, enter_menu, missed, note, play, start_timer
from ivr.flow.choices import Priority
from ivr.flow.commands import (
    Answer,
    Command,
    ConnectToDispatcher,
    DispatcherReason,
    MissedReason,
    Outcome,
    RegisterTicket,
    StartRecording,
)
from ivr.flow.config import FlowConfig
from ivr.flow.events import AlreadyDecided, CallStarted, TicketRegistered
from ivr.flow.media import BEEP, category_prompt, deadline_media, digits, prompt, status_prompt
from ivr.flow.state import State, Step, Transition


def begin(state: State, event: CallStarted, config: FlowConfig | None = None) -> Transition:
    state = replace(
        state,
        call_id=event.call_id,
        caller_number=event.caller_number,
        caller_name=event.caller_name,
        open_ticket=event.open_ticket,
        outage=event.outage,
        offered=event.offered,
    )
    if event.decided is not None:
        return take_over_decided(state, event.decided)
    state = note(state, "greeting")
    names = config.greeting.prompts() if config is not None else ("welcome", "call-recorded", "gas-warning")
    media = tuple(prompt(name) for name in names)
    state, cmds = play(state, media, Step.GREETING)
    return state, [Answer(), *cmds]


def take_over_decided(state: State, decided: AlreadyDecided) -> Transition:
    """A restarted service took over a live call whose outcome the dead one had recorded.
    Going through the menu again could make a second ticket (or a ticket beside the missed
    call) for one call: the caller hears how the call ended, and it ends."""
    state = note(state, "taken_over:ticket" if decided.ticket else "taken_over:missed")
    if decided.ticket:
        number = (prompt("ticket-accepted"), digits(decided.number)) if decided.number else ()
        media: tuple[str, ...] = (*number, prompt("goodbye"))
        outcome = Outcome.TICKET_REGISTERED
    else:
        media, outcome = (prompt("callback-promise"), prompt("goodbye")), Outcome.MISSED
    state, cmds = end_with(state, media, outcome)
    return state, [Answer(), *cmds]


def after_greeting(state: State, config: FlowConfig) -> Transition:
    if state.open_ticket is not None:
        return enter_open_ticket_menu(state, config)
    return enter_category_menu(state, config)


def enter_open_ticket_menu(state: State, config: FlowConfig, retry: str | None = None) -> Transition:
    ticket = state.open_ticket
    assert ticket is not None
    intro = (prompt("open-ticket"), digits(ticket.number), prompt("ticket-status"), status_prompt(ticket.status))
    return enter_menu(state, Step.OPEN_TICKET_MENU, noted=f"open_ticket:{ticket.number}", intro=intro,
                      menu=(prompt("open-ticket-menu"),), retry=retry)


def enter_category_menu(state: State, config: FlowConfig, retry: str | None = None) -> Transition:
    hint = (prompt("speech-hint"),) if config.speech_enabled else ()
    return enter_menu(state, Step.CATEGORY_MENU, noted="category_menu", intro=(),
                      menu=(*hint, prompt("category-menu")), retry=retry)


def menu_failed(state: State, config: FlowConfig, retry: str) -> Transition:
    """No or wrong input: repeat the menu, at most ``max_repeats`` times, then a person."""
    state = replace(state, failures=state.failures + 1)
    if state.failures > config.max_repeats:
        return enter_dispatcher(state, config, DispatcherReason.NO_INPUT)
    if state.step is Step.OPEN_TICKET_MENU:
        return enter_open_ticket_menu(state, config, retry)
    return enter_category_menu(state, config, retry)


def enter_record_prompt(state: State, config: FlowConfig, retry: bool = False) -> Transition:
    if retry:
        media: tuple[str, ...] = (prompt("empty-recording"), prompt("describe-problem"), BEEP)
    elif state.leaving_message:
        state = replace(state, failures=0)
        media = (prompt("no-dispatcher"), BEEP)
    else:
        state = replace(state, failures=0)
        chosen = (prompt("you-chose"), category_prompt(state.category)) if state.category else ()
        media = (*chosen, prompt("describe-problem"), BEEP)
    return play(state, media, Step.RECORD_PROMPT)


def start_recording(state: State, config: FlowConfig) -> Transition:
    recordings = state.recordings + 1
    name = f"hotline-{state.call_id}-{recordings}"
    state = replace(state, step=Step.RECORDING, recordings=recordings, recording_name=name)
    return state, [
        StartRecording(name, config.max_recording_seconds, config.max_silence_seconds, "#")
    ]


def recording_failed(state: State, config: FlowConfig) -> Transition:
    """The caller said nothing after the beep: ask again, then a person (or give up)."""
    state = replace(state, failures=state.failures + 1)
    if state.failures <= config.max_repeats:
        return enter_record_prompt(state, config, retry=True)
    if state.leaving_message:
        # Nobody answered and there is no message: the missed call is the callback task.
        state, cmds = missed(state, MissedReason.NO_MESSAGE)
        state, more = end_with(state, (prompt("callback-promise"), prompt("goodbye")), Outcome.MISSED)
        return state, cmds + more
    return enter_dispatcher(state, config, DispatcherReason.NO_DESCRIPTION)


def enter_dispatcher(
    state: State, config: FlowConfig, reason: DispatcherReason, related: str | None = None
) -> Transition:
    emergency = reason in (DispatcherReason.EMERGENCY, DispatcherReason.UNSURE_EMERGENCY)
    state = note(replace(state, dispatcher_reason=reason), f"dispatcher:{reason.value}")
    related = related or _related_ticket(state)
    state, cmds = play(
        state, (prompt("connecting-emergency" if emergency else "connecting"),), Step.WAITING_DISPATCHER
    )
    connect = ConnectToDispatcher(reason, emergency, config.dispatcher_ring_seconds, related)
    # Our own guard: if the executor never reports, the caller is not left on hold forever.
    state, timer = start_timer(state, config.dispatcher_ring_seconds + config.dispatcher_grace_seconds)
    return replace(state, ringing=True), [*cmds, connect, *timer]


def enter_leave_message(state: State, config: FlowConfig) -> Transition:
    state = note(replace(state, leaving_message=True), "dispatcher:no_answer")
    return enter_record_prompt(state, config)


def register(state: State, recording_seconds: float) -> Transition:
    recording_name = state.recording_name
    assert recording_name is not None
    related = _related_ticket(state)
    state = replace(state, step=Step.REGISTERING)
    cmd: Command = RegisterTicket(
        call_id=state.call_id,
        caller_number=state.caller_number,
        caller_name=state.caller_name,
        category=state.category,
        # A message left because no dispatcher answered is urgent by definition: the
        # caller wanted a person now, so the ticket goes to the top of the list.
        priority=Priority.EMERGENCY if state.leaving_message else Priority.NORMAL,
        recording_name=recording_name,
        recording_seconds=recording_seconds,
        callback_due=state.leaving_message,
        related_ticket=related,
        history=state.history,
    )
    return state, [cmd]


def announce(state: State, event: TicketRegistered) -> Transition:
    """Ticket number digit by digit, the normative deadline, goodbye, hang up."""
    deadline = deadline_media(event.deadline) if event.deadline is not None else ()
    callback = (prompt("callback-promise"),) if state.leaving_message else ()
    media = (prompt("ticket-accepted"), digits(event.number), *deadline, *callback, prompt("goodbye"))
    return end_with(state, media, Outcome.TICKET_REGISTERED)


def _related_ticket(state: State) -> str | None:
    """The open ticket, when the caller asked about it (key 1), not for a new request."""
    if state.open_ticket and state.dispatcher_reason is DispatcherReason.REPEAT_CALLER:
        return state.open_ticket.number
    return None
