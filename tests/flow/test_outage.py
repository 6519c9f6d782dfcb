"""A mass outage announced before the menu: staying counts the caller, 1 leads to the menu, an
unknown building is offered the announced outages by key, failures fall back to the menu."""

from __future__ import annotations

import pytest

from ivr.flow import (
    ConnectToDispatcher,
    CountOutageCaller,
    DispatcherReason,
    Dtmf,
    Error,
    FlowConfig,
    Hangup,
    HungUp,
    OpenTicket,
    OutageNotice,
    Outcome,
    Play,
    RecordMissedCall,
    ReportOutcome,
    Restoration,
    StartTimer,
    Step,
    TicketRegistered,
    TicketStatus,
)
from ivr.flow.outage import restoration_media
from tests.flow.driver import Call, prompt

NOTICE = OutageNotice(12, Restoration(18, 30))
TEXT = "sound:hotline/outage-12-text"


def _announced(notice: OutageNotice = NOTICE, **kw: object) -> Call:
    call = Call()
    call.start(outage=notice, **kw)  # type: ignore[arg-type]
    call.played()  # the greeting
    call.at(Step.OUTAGE_MENU)
    return call


def test_the_announcement_replaces_the_menu_with_the_restoration_time() -> None:
    call = _announced()
    assert call.last_media() == (
        TEXT, prompt("outage-until"), "number:18", prompt("at-hour-many"), "number:30", prompt("at-minutes"),
        prompt("outage-menu"),
    )
    assert prompt("category-menu") not in {m for p in call.of(Play) for m in p.media}


def test_staying_counts_the_caller_without_a_dispatcher() -> None:
    call = _announced()
    commands = call.played()
    assert call.one(StartTimer, commands).seconds == FlowConfig().outage_wait_seconds
    commands = call.timeout()
    count = call.one(CountOutageCaller, commands)
    assert (count.outage_id, count.caller_number) == (12, "79161234567")
    assert count.history[-2:] == ("outage:12", "outage:counted")
    call.send(TicketRegistered("000321", None))
    assert call.last_media() == (prompt("outage-counted"), prompt("goodbye"))
    call.played()
    assert call.one(ReportOutcome).outcome is Outcome.TICKET_REGISTERED
    assert call.of(Hangup) and not call.of(ConnectToDispatcher) and not call.of(RecordMissedCall)


def test_key_one_leads_to_the_normal_menu_at_once() -> None:
    call = _announced()
    call.send(Dtmf("1"))
    call.at(Step.CATEGORY_MENU)
    assert call.last_media() == (prompt("category-menu"),)
    assert call.state.outage is None and "outage:other" in call.state.history
    assert not call.of(CountOutageCaller)


def test_key_one_leads_to_the_open_ticket_menu_when_the_caller_has_one() -> None:
    call = Call()
    call.start(OpenTicket("000777", TicketStatus.NEW), outage=NOTICE)
    call.played()
    call.send(Dtmf("1"))
    call.at(Step.OPEN_TICKET_MENU)


def test_the_emergency_key_still_reaches_a_dispatcher() -> None:
    call = _announced()
    call.send(Dtmf("0"))
    assert call.one(ConnectToDispatcher).reason is DispatcherReason.EMERGENCY


def test_wrong_keys_repeat_the_choice_then_count() -> None:
    call = _announced()
    call.send(Dtmf("7"))
    assert call.last_media() == (prompt("invalid-choice"), prompt("outage-menu"))
    for _ in range(FlowConfig().max_repeats):
        call.send(Dtmf("7"))
    call.at(Step.OUTAGE_COUNTING)
    assert call.one(CountOutageCaller).outage_id == 12


def test_hanging_up_after_the_announcement_counts_before_it_is_a_missed_call() -> None:
    heard = _announced()
    heard.played()
    heard.send(HungUp())
    assert heard.one(CountOutageCaller).outage_id == 12 and not heard.of(RecordMissedCall)
    heard.send(TicketRegistered("000321", None))
    assert heard.one(ReportOutcome).outcome is Outcome.TICKET_REGISTERED
    cut = _announced()
    cut.send(HungUp())
    assert not cut.of(CountOutageCaller) and cut.one(RecordMissedCall).step == "outage_menu"


def test_a_prompt_that_fails_or_a_failed_count_leads_to_the_menu() -> None:
    call = _announced()
    call.send(Error("outage-12-text not found"))
    call.at(Step.CATEGORY_MENU)
    counted = _announced()
    counted.played()
    counted.timeout()
    counted.send(Error("registration failed"))
    counted.at(Step.CATEGORY_MENU)
    assert not counted.of(RecordMissedCall)


def test_an_unknown_building_is_offered_the_outages_by_key() -> None:
    call = Call()
    call.start(offered=(OutageNotice(4), OutageNotice(5, Restoration(9, 0, tomorrow=True))))
    call.played()
    call.at(Step.OUTAGE_OFFER)
    assert call.last_media() == ("sound:hotline/outage-4-offer", prompt("press-2"),
                                 "sound:hotline/outage-5-offer", prompt("press-3"))
    call.played()
    call.send(Dtmf("3"))
    assert call.one(CountOutageCaller).outage_id == 5
    call.send(TicketRegistered("000400", None))
    # Picked by key, the caller hears the announcement before the thanks.
    assert call.last_media() == ("sound:hotline/outage-5-text", prompt("outage-until-tomorrow"), "number:9",
                                 prompt("at-hour-many"), prompt("outage-counted"), prompt("goodbye"))


@pytest.mark.parametrize("finish", ["timeout", "key"])
def test_an_offer_not_taken_leads_to_the_menu(finish: str) -> None:
    call = Call()
    call.start(offered=(OutageNotice(4),))
    call.played()
    call.played()
    if finish == "timeout":
        call.timeout()
    else:
        call.send(Dtmf("1"))
    call.at(Step.CATEGORY_MENU)
    assert not call.of(CountOutageCaller)


@pytest.mark.parametrize(("restoration", "media"), [
    (Restoration(18, 30), ("outage-until", "number:18", "at-hour-many", "number:30", "at-minutes")),
    (Restoration(21, 0), ("outage-until", "number:21", "at-hour-one")),
    (Restoration(2, 1), ("outage-until", "number:2", "at-hour-few", "number:5", "at-minutes")),
    (Restoration(16, 58), ("outage-until", "number:17", "at-hour-many")),
    (Restoration(23, 57), ("outage-until-tomorrow", "number:0", "at-hour-many")),
])
def test_restoration_time_is_said_in_whole_five_minutes(restoration: Restoration, media: tuple[str, ...]) -> None:
    said = restoration_media(restoration)
    assert tuple(m.removeprefix("sound:hotline/") for m in said) == media
