"""Toll fraud through "call back": only residents' numbers the journal knows, never a paid
range, within hourly limits, each request logged with who asked; feedback calls never dial a
number typed into a manual ticket."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
import structlog

from cti.settings import Settings
from journal import Actor, Journal, NewTicket
from journal.feedback import FeedbackCalls, FeedbackPolicy
from tests.console.conftest import Originator, Session

MakeSession = Callable[[str], Awaitable[Session]]
RESIDENT = "79161234567"
PAID = ["88091234567", "78091234567", "8 (803) 123-45-67", "88061234567"]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.callback.per_dispatcher_per_hour = 5
    settings.callback.total_per_hour = 8
    settings.callback.allowed_numbers = "74957654321"
    return settings


@pytest.mark.parametrize("number", PAID)
async def test_paid_ranges_are_refused_even_for_a_known_caller(browser_session: MakeSession, web_journal: Journal,
                                                                originator: Originator, number: str) -> None:
    await web_journal.calls.record_missed(call_id=None, caller_number=number, reason="hangup")
    s = await browser_session("petrova")
    status, body = await s.api("POST", "/api/callback", {"number": number})
    assert status == 400 and "платные" in body["error"]  # type: ignore[index]
    assert originator.calls == []


async def test_only_numbers_the_journal_knows(browser_session: MakeSession, web_journal: Journal,
                                              originator: Originator) -> None:
    s = await browser_session("petrova")
    status, body = await s.api("POST", "/api/callback", {"number": RESIDENT})
    assert status == 400 and "номер жителя из журнала" in body["error"]  # type: ignore[index]
    await web_journal.tickets.register(NewTicket(channel="phone_ivr", category="water", actor=Actor.system("ivr"),
                                                 caller_phone=RESIDENT, auto_assign=False))
    assert (await s.api("POST", "/api/callback", {"number": "8 916 123-45-67"}))[0] == 202
    await web_journal.calls.record_missed(call_id=None, caller_number="79035550101", reason="hangup")
    assert (await s.api("POST", "/api/callback", {"number": "79035550101"}))[0] == 202
    assert (await s.api("POST", "/api/callback", {"number": "74957654321"}))[0] == 202  # the admin's allow-list
    assert originator.calls == [("101", RESIDENT), ("101", "79035550101"), ("101", "74957654321")]


async def test_call_backs_are_limited_per_dispatcher_and_in_all(browser_session: MakeSession, web_journal: Journal,
                                                                originator: Originator) -> None:
    await web_journal.calls.record_missed(call_id=None, caller_number=RESIDENT, reason="hangup")
    petrova, ivanov = await browser_session("petrova"), await browser_session("ivanov")
    statuses = [(await petrova.api("POST", "/api/callback", {"number": RESIDENT}))[0] for _ in range(7)]
    assert statuses == [202] * 5 + [429] * 2
    statuses = [(await ivanov.api("POST", "/api/callback", {"number": RESIDENT}))[0] for _ in range(5)]
    assert statuses == [202] * 3 + [429] * 2  # 8 an hour for the whole service
    status, body = await ivanov.api("POST", "/api/callback", {"number": RESIDENT})
    assert status == 429 and "предел" in body["error"]  # type: ignore[index]
    assert len(originator.calls) == 8


async def test_every_call_back_is_logged_with_who_asked(browser_session: MakeSession, web_journal: Journal) -> None:
    await web_journal.calls.record_missed(call_id=None, caller_number=RESIDENT, reason="hangup")
    s = await browser_session("petrova")
    with structlog.testing.capture_logs() as events:
        await s.api("POST", "/api/callback", {"number": RESIDENT})
        await s.api("POST", "/api/callback", {"number": "88091234567"})
    asked = [e for e in events if e["event"] == "callback.requested"]
    assert [e["login"] for e in asked] == ["petrova", "petrova"]
    assert [e["number"] for e in asked] == ["7916*****67", "7809*****67"]
    assert any(e["event"] == "callback.originated" and e["login"] == "petrova" for e in events)
    assert any(e["event"] == "callback.refused" and e["reason"] == "not dialable" for e in events)


async def test_feedback_never_dials_a_typed_number(web_journal: Journal) -> None:
    """A manual ticket's phone is whatever was typed: no feedback call unless it called us."""
    calls = FeedbackCalls(web_journal.db, FeedbackPolicy())
    typed = await web_journal.tickets.register(NewTicket(channel="walk_in", category="water", actor=Actor("Петрова"),
                                                         caller_phone="79169998877", auto_assign=False))
    paid = await web_journal.tickets.register(NewTicket(channel="phone_ivr", category="water",
                                                        actor=Actor.system("ivr"), caller_phone="78091234567",
                                                        auto_assign=False))
    assert await calls.enqueue(typed.ticket.id) is None
    assert await calls.enqueue(paid.ticket.id) is None
    await web_journal.calls.record_missed(call_id=None, caller_number="79169998877", reason="hangup")
    walk_in = await web_journal.tickets.register(NewTicket(channel="walk_in", category="water",
                                                           actor=Actor("Петрова"), caller_phone="8 916 999-88-77",
                                                           auto_assign=False))
    row = await calls.enqueue(walk_in.ticket.id)
    assert row is not None and row.phone == "79169998877"
    ivr = await web_journal.tickets.register(NewTicket(channel="phone_ivr", category="water",
                                                       actor=Actor.system("ivr"), caller_phone="79035550101",
                                                       auto_assign=False))
    assert await calls.enqueue(ivr.ticket.id) is not None
