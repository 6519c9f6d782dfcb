"""Greeting, category menu, open-ticket menu: keys, barge-in, retries, speech."""

from __future__ import annotations

import pytest

from ivr.flow import (
    Answer,
    Category,
    Choice,
    ConnectToDispatcher,
    DispatcherReason,
    Dtmf,
    FlowConfig,
    ListenForChoice,
    OpenTicket,
    Play,
    PlaybackDone,
    Special,
    SpokenChoice,
    StartTimer,
    Step,
    StopListening,
    StopPlayback,
    TicketStatus,
    Timeout,
)
from tests.flow.driver import Call, prompt
from tests.flow.scenarios import OPEN, category_menu, open_ticket_menu


def test_call_is_answered_and_greeted_with_recording_and_gas_notices() -> None:
    call = Call()
    commands = call.start()
    assert isinstance(commands[0], Answer)
    assert call.one(Play, commands).media == (
        prompt("welcome"),
        prompt("call-recorded"),
        prompt("gas-warning"),
    )
    call.at(Step.GREETING)


def test_menu_waits_for_input_only_after_its_prompt_has_played() -> None:
    call = Call()
    call.start()
    commands = call.played()
    assert call.of(StartTimer, commands) == []
    assert call.one(Play, commands).media == (prompt("category-menu"),)
    commands = call.played()
    assert call.one(StartTimer, commands).seconds == FlowConfig().input_timeout_seconds


@pytest.mark.parametrize(
    ("key", "category"),
    [
        ("1", Category.WATER_SEWER),
        ("2", Category.HEATING),
        ("3", Category.ELECTRICITY),
        ("4", Category.LIFT),
        ("5", Category.YARD),
        ("6", Category.COMMON_PROPERTY),
    ],
)
def test_category_key_leads_to_the_recording_prompt(key: str, category: Category) -> None:
    call = Call()
    category_menu(call)
    call.played()
    commands = call.send(Dtmf(key))
    call.at(Step.RECORD_PROMPT)
    assert call.state.category is category
    assert call.one(Play, commands).media == (
        prompt("you-chose"),
        prompt(f"category-{category.value}"),
        prompt("describe-problem"),
        "sound:beep",
    )


@pytest.mark.parametrize(
    ("key", "reason", "emergency", "first_prompt"),
    [
        ("0", DispatcherReason.EMERGENCY, True, "connecting-emergency"),
        ("9", DispatcherReason.REQUESTED, False, "connecting"),
    ],
)
def test_person_keys_connect_to_a_dispatcher(
    key: str, reason: DispatcherReason, emergency: bool, first_prompt: str
) -> None:
    call = Call()
    category_menu(call)
    call.played()
    commands = call.send(Dtmf(key))
    connect = call.one(ConnectToDispatcher, commands)
    assert (connect.reason, connect.emergency, connect.related_ticket) == (reason, emergency, None)
    assert call.one(Play, commands).media == (prompt(first_prompt),)
    call.at(Step.WAITING_DISPATCHER)


def test_emergency_key_cuts_the_greeting_short() -> None:
    call = Call()
    call.start()
    greeting_id = call.state.playback_id
    assert greeting_id is not None
    commands = call.send(Dtmf("0"))
    assert commands[0] == StopPlayback(greeting_id)
    assert call.one(ConnectToDispatcher, commands).emergency
    # The stopped greeting reports its end later; it must not restart the menu.
    assert call.send(PlaybackDone(greeting_id)) == []
    call.at(Step.WAITING_DISPATCHER)


@pytest.mark.parametrize("key", ["1", "2", "5", "9", "#", "*"])
def test_other_keys_during_the_greeting_are_ignored(key: str) -> None:
    call = Call()
    call.start()
    assert call.send(Dtmf(key)) == []
    call.at(Step.GREETING)


def test_key_during_the_menu_prompt_stops_it() -> None:
    call = Call()
    category_menu(call)
    menu_id = call.state.playback_id
    assert menu_id is not None
    commands = call.send(Dtmf("3"))
    assert commands[0] == StopPlayback(menu_id)
    assert call.state.category is Category.ELECTRICITY


# Each row: inputs at the category menu ("t" = timeout, a digit = that key).
RETRY_TABLE = [
    (["t"], ["no-input"]),
    (["7"], ["invalid-choice"]),
    (["t", "8"], ["no-input", "invalid-choice"]),
    (["*", "#"], ["invalid-choice", "invalid-choice"]),
]


@pytest.mark.parametrize(("inputs", "retry_prompts"), RETRY_TABLE)
def test_no_input_or_wrong_key_repeats_the_menu(inputs: list[str], retry_prompts: list[str]) -> None:
    call = Call()
    category_menu(call)
    for given, expected in zip(inputs, retry_prompts, strict=True):
        call.played()
        commands = call.timeout() if given == "t" else call.send(Dtmf(given))
        assert call.one(Play, commands).media == (prompt(expected), prompt("category-menu"))
        call.at(Step.CATEGORY_MENU)
    # After a repeat the caller may still choose.
    call.played()
    call.send(Dtmf("4"))
    assert call.state.category is Category.LIFT


@pytest.mark.parametrize("inputs", [["t", "t", "t"], ["7", "t", "8"], ["t", "#", "t"]])
def test_third_failure_goes_to_a_dispatcher(inputs: list[str]) -> None:
    call = Call()
    category_menu(call)
    for given in inputs:
        call.played()
        call.timeout() if given == "t" else call.send(Dtmf(given))
    call.at(Step.WAITING_DISPATCHER)
    assert call.one(ConnectToDispatcher).reason is DispatcherReason.NO_INPUT
    assert call.of(Play)[-1].media == (prompt("connecting"),)


def test_max_repeats_is_configurable() -> None:
    call = Call(FlowConfig(max_repeats=0))
    category_menu(call)
    call.played()
    call.timeout()
    assert call.one(ConnectToDispatcher).reason is DispatcherReason.NO_INPUT


def test_a_stale_timer_or_playback_is_ignored() -> None:
    call = Call()
    category_menu(call)
    old_playback = call.state.playback_id
    assert old_playback is not None
    call.played()
    old_timer = call.state.timer_token
    assert old_timer is not None
    call.send(Dtmf("7"))  # wrong key: the timer is cancelled, the menu replays
    assert call.send(Timeout(old_timer), PlaybackDone(old_playback)) == []
    assert call.state.failures == 1


def test_custom_key_map() -> None:
    keys: dict[str, Choice] = {"1": Category.LIFT, "5": Special.EMERGENCY}
    call = Call(FlowConfig(menu_keys=keys))
    category_menu(call)
    call.played()
    call.send(Dtmf("1"))
    assert call.state.category is Category.LIFT
    call = Call(FlowConfig(menu_keys=keys))
    call.start()
    call.send(Dtmf("5"))  # the emergency key cuts the greeting short, whichever it is
    assert call.one(ConnectToDispatcher).emergency


class TestOpenTicket:
    def test_caller_hears_the_ticket_number_digit_by_digit_and_its_status(self) -> None:
        call = Call()
        call.start(OpenTicket("2024-000123", TicketStatus.ASSIGNED))
        commands = call.played()
        assert call.one(Play, commands).media == (
            prompt("open-ticket"),
            "digits:2024000123",
            prompt("ticket-status"),
            prompt("status-assigned"),
            prompt("open-ticket-menu"),
        )
        call.at(Step.OPEN_TICKET_MENU)

    def test_key_1_puts_the_caller_through_about_that_ticket(self) -> None:
        call = Call()
        open_ticket_menu(call)
        call.played()
        call.send(Dtmf("1"))
        connect = call.one(ConnectToDispatcher)
        assert connect.reason is DispatcherReason.REPEAT_CALLER
        assert not connect.emergency
        assert connect.related_ticket == OPEN.number

    def test_key_2_makes_a_new_request(self) -> None:
        call = Call()
        open_ticket_menu(call)
        call.played()
        commands = call.send(Dtmf("2"))
        call.at(Step.CATEGORY_MENU)
        assert call.one(Play, commands).media == (prompt("category-menu"),)
        assert call.state.failures == 0

    def test_key_0_is_an_emergency_here_too(self) -> None:
        call = Call()
        open_ticket_menu(call)
        call.send(Dtmf("0"))
        assert call.one(ConnectToDispatcher).reason is DispatcherReason.EMERGENCY

    @pytest.mark.parametrize("inputs", [["t", "t", "t"], ["5", "t", "9"]])
    def test_retries_then_dispatcher(self, inputs: list[str]) -> None:
        call = Call()
        open_ticket_menu(call)
        for i, given in enumerate(inputs):
            call.played()
            commands = call.timeout() if given == "t" else call.send(Dtmf(given))
            if i < 2:
                expected = prompt("no-input" if given == "t" else "invalid-choice")
                assert call.one(Play, commands).media == (expected, prompt("open-ticket-menu"))
        assert call.one(ConnectToDispatcher).reason is DispatcherReason.NO_INPUT


class TestSpeech:
    config = FlowConfig(speech_enabled=True)

    def listening_call(self) -> Call:
        call = Call(self.config)
        call.start()
        commands = call.played()
        assert call.one(Play, commands).media == (prompt("speech-hint"), prompt("category-menu"))
        commands = call.played()
        listen = call.one(ListenForChoice, commands)
        assert Category.HEATING in listen.choices and Special.EMERGENCY in listen.choices
        return call

    def test_spoken_category(self) -> None:
        call = self.listening_call()
        commands = call.send(SpokenChoice(Category.HEATING, 0.9))
        assert call.state.category is Category.HEATING
        assert call.of(StopListening, commands) == []  # the recogniser has already answered
        call.at(Step.RECORD_PROMPT)

    @pytest.mark.parametrize(
        ("choice", "reason"),
        [(Special.EMERGENCY, DispatcherReason.EMERGENCY), (Special.DISPATCHER, DispatcherReason.REQUESTED)],
    )
    def test_spoken_wish_for_a_person(self, choice: Special, reason: DispatcherReason) -> None:
        call = self.listening_call()
        call.send(SpokenChoice(choice, 0.8))
        assert call.one(ConnectToDispatcher).reason is reason

    @pytest.mark.parametrize("heard", [SpokenChoice(None, 0.0), SpokenChoice(Category.LIFT, 0.3)])
    def test_nothing_or_unsure_counts_as_a_failure(self, heard: SpokenChoice) -> None:
        call = self.listening_call()
        commands = call.send(heard)
        assert call.one(Play, commands).media[0] == prompt("not-recognized")
        assert call.state.failures == 1 and call.state.category is None

    def test_key_while_listening_stops_the_recogniser(self) -> None:
        call = self.listening_call()
        commands = call.send(Dtmf("1"))
        assert StopListening() in commands
        assert call.send(SpokenChoice(Category.HEATING, 0.99)) == []  # late answer ignored
        assert call.state.category is Category.WATER_SEWER

    def test_without_speech_the_menu_does_not_listen(self) -> None:
        call = Call()
        category_menu(call)
        assert call.of(ListenForChoice, call.played()) == []
        assert call.send(SpokenChoice(Category.HEATING, 1.0)) == []
