"""The journal unit of a call on its own (SQLite and PostgreSQL): the rows a call leaves, and one
retry policy for every write."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from ivr.ari.events import Channel
from ivr.flow import Category, MissedReason, Outcome, Priority, RecordMissedCall, RegisterTicket
from ivr.hotline.desk import CallCard
from ivr.hotline.outage import OutageLine
from ivr.hotline.records import CallRecords, with_db_retry
from journal import Actor, Journal
from tests.asterisk_fixtures import SPEECH_WAV, load_trace

AUDIO = SPEECH_WAV.read_bytes()
NO_WAIT = (0.0, 0.0, 0.0)


def _caller() -> Channel:
    first = next(r["data"] for r in load_trace("resident-dtmf-record.jsonl") if r["kind"] == "ari_event")
    return Channel.from_json(first["channel"])


async def _download(name: str) -> bytes:
    return AUDIO


def _register(name: str = "call-1") -> RegisterTicket:
    return RegisterTicket("c1", "79161234567", "Ivanova", Category.HEATING, Priority.NORMAL, name, 8.0,
                          False, None, ())


async def _records(journal: Journal, download: Any = _download) -> CallRecords:
    records = CallRecords(journal, download, delays=NO_WAIT)
    await records.start(_caller())
    return records


async def test_a_refused_write_is_tried_again_and_a_wrong_one_is_not() -> None:
    attempts: list[int] = []

    async def flaky() -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise OperationalError("UPDATE", {}, Exception("database is locked"))
        return "written"

    assert await with_db_retry(flaky, NO_WAIT) == "written" and len(attempts) == 3

    async def duplicate() -> None:
        attempts.append(1)
        raise IntegrityError("INSERT", {}, Exception("unique"))

    attempts.clear()
    with pytest.raises(IntegrityError):
        await with_db_retry(duplicate, NO_WAIT)
    assert len(attempts) == 1


async def test_the_menus_ticket_carries_the_recording_at_its_own_length(journal: Journal) -> None:
    records = await _records(journal)
    ticket, told = await records.register(_register())
    assert told.number and told.deadline is not None
    assert (ticket.channel, ticket.category, ticket.caller_phone) == ("phone_ivr", "heating", "79161234567")
    [rec] = await journal.tickets.recordings(ticket.id)
    assert rec.name == "call-1" and rec.duration_seconds is not None
    assert abs(rec.duration_seconds - 8.0) > 0.01  # the file's length, not Asterisk's whole seconds
    call = await journal.calls.get(records.call_row_id)
    assert call.outcome == "ticket" and records.ticket_id == ticket.id


async def test_a_failing_recordings_disk_still_makes_the_ticket_and_says_why(
        journal: Journal, monkeypatch: pytest.MonkeyPatch) -> None:
    records = await _records(journal)

    async def disk_full(**kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(journal.calls, "add_recording", disk_full)
    ticket, _ = await records.register(_register())
    assert "запись обращения не сохранена (No space left on device)" in (ticket.description or "")
    assert await journal.tickets.recordings(ticket.id) == []


async def test_a_missed_call_keeps_what_the_caller_said(journal: Journal) -> None:
    records = await _records(journal)
    await records.missed(RecordMissedCall("c1", "79160000300", "Test resident", MissedReason.REGISTRATION_FAILED,
                                          "recording", "call-2", ()))
    [missed] = await journal.calls.missed()
    assert missed.reason == "registration_failed" and missed.caller_number == "79160000300"
    call = await journal.calls.get(records.call_row_id)
    assert call.outcome == "missed"


async def test_a_dispatchers_answer_makes_the_ticket_and_the_conversation_lands_on_it(journal: Journal) -> None:
    records = await _records(journal)
    card = CallCard("c1", "79160000300", "Test resident", True, "emergency")
    card = await records.ticket_for_dispatcher("101", card)
    assert card.ticket_id is not None and card.ticket_number
    ticket = await journal.tickets.get(card.ticket_id)
    assert (ticket.channel, ticket.priority) == ("phone_dispatcher", "emergency")
    assert await records.store_conversation("conversation-c1", None, _download)
    [rec] = await journal.tickets.recordings(card.ticket_id)
    assert rec.name == "conversation-c1"
    await records.finish(Outcome.DISPATCHER_ANSWERED, ("menu", "dispatcher"))
    call = await journal.calls.get(records.call_row_id)
    assert call.answered_at is not None and call.ended_at is not None and call.ivr_path == "menu > dispatcher"


async def test_a_conversation_that_cannot_be_fetched_is_said_on_the_ticket(journal: Journal) -> None:
    records = await _records(journal)
    card = await records.ticket_for_dispatcher("101", CallCard("c1", "79160000300", "", False, "key"))

    async def gone(name: str) -> bytes:
        raise RuntimeError("recording vanished")

    assert card.ticket_id is not None
    assert not await records.store_conversation("conversation-c1", None, gone)
    history = await journal.tickets.history(card.ticket_id)
    assert any(h.text == "Разговор с диспетчером не записан: recording vanished" for h in history)


async def test_a_caller_who_asks_about_their_open_ticket_joins_it_instead_of_opening_another(
        journal: Journal) -> None:
    first = await _records(journal)
    open_ticket, _ = await first.register(_register())
    again = await _records(journal)
    opening = await OutageLine(journal).opening(again.caller_number, training=False)
    assert opening.open_ticket is not None  # what the menu reads to them
    again.open_ticket_id = opening.open_ticket_id
    card = CallCard("c2", "79160000300", "Test resident", False, "repeat_caller")
    card = await again.ticket_for_dispatcher("101", card)
    assert (card.ticket_id, card.ticket_number) == (open_ticket.id, open_ticket.number)
    assert await again.store_conversation("conversation-c2", None, _download)
    assert {r.name for r in await journal.tickets.recordings(open_ticket.id)} == {"call-1", "conversation-c2"}
    history = await journal.tickets.history(open_ticket.id)
    assert any(h.text == "Повторный звонок абонента по этой заявке, принят диспетчером" for h in history)
    assert (await journal.calls.ticket_of(again.call_row_id)).id == open_ticket.id  # type: ignore[union-attr]
    # Any other reason to ask for a person is a new matter: a ticket of its own.
    other = await _records(journal)
    other.open_ticket_id = opening.open_ticket_id
    card = await other.ticket_for_dispatcher("101", CallCard("c3", "79160000300", "", True, "emergency"))
    assert card.ticket_id != open_ticket.id


async def test_a_dispatchers_ticket_starts_at_the_address_the_caller_called_from_before(journal: Journal) -> None:
    building = await journal.people.add_building("Мира", "23")
    first = await _records(journal)
    earlier, _ = await first.register(_register())
    await journal.tickets.edit(earlier.id, Actor("t"), building_id=building.id, apartment="7")
    again = await _records(journal)
    card = await again.ticket_for_dispatcher("101", CallCard("c2", "79161234567", "", True, "emergency"))
    assert card.ticket_id is not None
    ticket = await journal.tickets.get(card.ticket_id)
    assert (ticket.building_id, ticket.apartment) == (building.id, "7")
