"""A live call a restarted service takes over after the killed one had decided it: the caller is
told how it ended, nothing is asked again, nothing is recorded twice."""

from __future__ import annotations

import pytest

from ivr.flow import (
    AlreadyDecided,
    Answer,
    CallStarted,
    ConnectToDispatcher,
    Dtmf,
    HungUp,
    Outcome,
    Play,
    RecordMissedCall,
    RegisterTicket,
    ReportOutcome,
    Step,
)
from tests.flow.driver import CALL_ID, CALLER, Call, prompt

TICKET = AlreadyDecided(ticket=True, number="124")


def take_over(decided: AlreadyDecided) -> Call:
    call = Call()
    call.send(CallStarted(CALL_ID, CALLER, "Иванова", None, decided))
    return call


def test_a_ticketed_call_hears_its_number_and_ends() -> None:
    call = take_over(TICKET)
    assert isinstance(call.log[0], Answer)
    assert call.last_media() == (prompt("ticket-accepted"), "digits:124", prompt("goodbye"))
    call.send(Dtmf("1"), Dtmf("9"), Dtmf("0"))  # no menu: keys change nothing
    call.played()
    assert call.one(ReportOutcome).outcome is Outcome.TICKET_REGISTERED
    assert call.of(RegisterTicket) == call.of(RecordMissedCall) == call.of(ConnectToDispatcher) == []
    assert len(call.of(Play)) == 1
    call.at(Step.ENDED)


def test_a_ticketed_call_whose_number_is_unknown_just_hears_goodbye() -> None:
    call = take_over(AlreadyDecided(ticket=True))
    assert call.last_media() == (prompt("goodbye"),)


@pytest.mark.parametrize(("decided", "outcome"), [(TICKET, Outcome.TICKET_REGISTERED),
                                              (AlreadyDecided(ticket=False), Outcome.MISSED)])
def test_hanging_up_on_the_last_words_records_nothing_more(decided: AlreadyDecided, outcome: Outcome) -> None:
    call = take_over(decided)
    call.send(HungUp())
    assert call.one(ReportOutcome).outcome is outcome
    assert call.of(RecordMissedCall) == []  # a missed call was recorded by the process that died
    call.at(Step.ENDED)


def test_a_missed_call_still_on_the_line_is_promised_the_callback() -> None:
    call = take_over(AlreadyDecided(ticket=False))
    assert call.last_media() == (prompt("callback-promise"), prompt("goodbye"))
    call.played()
    assert call.one(ReportOutcome).outcome is Outcome.MISSED
    assert call.of(RecordMissedCall) == []
