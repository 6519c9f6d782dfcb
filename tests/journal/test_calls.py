"""The call log: missed calls with their 10-minute callback, recordings stored by content hash."""

import hashlib
from datetime import timedelta

import pytest

from journal import Actor, CallAlreadyMissed, InvalidValue, Journal, NewTicket, TicketFilter
from journal.clock import utcnow


async def test_missed_call_due_for_callback_in_ten_minutes(journal: Journal) -> None:
    call = await journal.calls.start(channel_id="1795433765.9", caller_number="8 (916) 000-00-01", caller_name="Кузнецов")
    missed = await journal.calls.record_missed(call_id=call.id, caller_number=call.caller_number, reason="hangup", step="menu")
    assert missed is not None
    assert missed.callback_due_at == missed.occurred_at + timedelta(minutes=10)
    assert (missed.caller_number, missed.status, missed.step) == ("79160000001", "pending", "menu")
    # Exactly once per call, whoever reports the hang-up second.
    again = await journal.calls.record_missed(call_id=call.id, caller_number=call.caller_number, reason="hangup")
    assert again is not None and again.id == missed.id
    assert [m.id for m in await journal.calls.missed()] == [missed.id]
    assert (await journal.calls.get(call.id)).outcome == "missed"


async def test_no_missed_call_for_a_call_that_made_a_ticket(journal: Journal) -> None:
    call = await journal.calls.start(channel_id="c-1", caller_number="79160000002")
    await journal.tickets.register(NewTicket(channel="phone_ivr", category="water", actor=Actor.system("ivr"), call_id=call.id))
    assert await journal.calls.record_missed(call_id=call.id, caller_number="79160000002", reason="hangup") is None
    assert await journal.calls.missed() == []


async def test_callback_outcomes(journal: Journal) -> None:
    m1 = await journal.calls.record_missed(call_id=None, caller_number="79160000003", reason="no_dispatcher")
    m2 = await journal.calls.record_missed(call_id=None, caller_number="79160000004", reason="hangup")
    assert m1 and m2
    d = Actor("Петрова")
    after = await journal.calls.callback_result(m1.id, d, "no_answer")
    assert after.status == "pending" and after.attempts == 1  # stays on the list
    await journal.calls.callback_result(m1.id, d, "reached", comment="вопрос решён")
    await journal.calls.callback_result(m2.id, d, "wrong_number")
    assert await journal.calls.missed() == []
    history = await journal.calls.missed(pending_only=False)
    assert {(m.outcome, m.attempts) for m in history} == {("reached", 2), ("wrong_number", 1)}
    with pytest.raises(InvalidValue, match="unknown callback outcome"):
        await journal.calls.callback_result(m1.id, d, "maybe")


async def test_call_start_is_idempotent_on_channel(journal: Journal) -> None:
    a = await journal.calls.start(channel_id="1795433765.3", caller_number="79161234567")
    b = await journal.calls.start(channel_id="1795433765.3", caller_number="79161234567")
    assert a.id == b.id


async def test_recording_kept_byte_for_byte_by_hash(journal: Journal) -> None:
    data = b"RIFF" + bytes(range(256)) * 10
    rec = await journal.calls.add_recording(call_id=None, name="call-1", data=data)
    assert rec.sha256 == hashlib.sha256(data).hexdigest()
    assert journal.files.path(rec.path).read_bytes() == data
    with pytest.raises(InvalidValue, match="outside the file store"):
        journal.files.path("../../etc/passwd")
    with pytest.raises(InvalidValue, match="outside the file store"):
        journal.files.path("/etc/passwd")


async def test_resident_by_phone_and_building_by_address(journal: Journal) -> None:
    b = await journal.people.add_building("ул. Ленина", "5", "2")
    same = await journal.people.add_building("Ленина", "5", "2")
    assert same.id == b.id
    assert (await journal.people.find_building("ленина", "5", "2")).id == b.id  # type: ignore[union-attr]
    assert await journal.people.find_building("Ленина", "5") is None
    await journal.people.save_resident("8 916 123 45 67", name="Иванова", building_id=b.id, apartment="12")
    r = await journal.people.find_resident("+79161234567")
    assert r is not None and (r.name, r.building_id, r.apartment) == ("Иванова", b.id, "12")
    # A known resident's address fills a ticket registered by phone alone.
    t = (await journal.tickets.register(NewTicket(channel="phone_ivr", category="heating", actor=Actor.system("ivr"),
                                                  caller_phone="79161234567"))).ticket
    assert (t.building_id, t.apartment, t.caller_name, t.resident_id) == (b.id, "12", "Иванова", r.id)


async def test_calls_left_in_progress_by_a_dead_process_become_missed_calls(journal: Journal) -> None:
    alive = await journal.calls.start(channel_id="still-up", caller_number="79160000021")
    dead = await journal.calls.start(channel_id="gone", caller_number="79160000022")
    done = await journal.calls.start(channel_id="done", caller_number="79160000023")
    await journal.tickets.register(NewTicket(channel="phone_ivr", category="water", actor=Actor.system("ivr"),
                                             call_id=done.id))
    assert await journal.calls.close_orphans({"still-up"}) == 1
    [missed] = await journal.calls.missed()
    assert (missed.call_id, missed.reason, missed.caller_number) == (dead.id, "service_restart", "79160000022")
    assert (await journal.calls.get(alive.id)).outcome == "in_progress"
    # The ticketed call the dead process never saw end is ended now, outcome untouched.
    after = await journal.calls.get(done.id)
    assert (after.outcome, after.ended_at is not None) == ("ticket", True)
    assert (await journal.calls.get(alive.id)).ended_at is None
    assert await journal.calls.close_orphans({"still-up"}) == 0


async def test_a_training_call_that_ends_early_asks_for_no_callback(journal: Journal) -> None:
    # The "resident" of a training call is a script: a hang-up mid-menu, or a restart that
    # orphans the call, must not put a fake number on the shift's callback list.
    hung_up = await journal.calls.start(channel_id="tr-1", caller_number="79160000031", direction="training")
    assert await journal.calls.record_missed(call_id=hung_up.id, caller_number="79160000031", reason="hangup") is None
    orphan = await journal.calls.start(channel_id="tr-2", caller_number="79160000032", direction="training")
    await journal.calls.close_orphans(set())
    assert await journal.calls.missed(pending_only=False) == []
    for call in (hung_up, orphan):
        assert (await journal.calls.get(call.id)).outcome == "missed"


async def test_a_call_that_came_in_after_the_channel_list_is_no_orphan(journal: Journal) -> None:
    listed_at = utcnow()
    # StasisStart of a new call lands between GET /channels and the orphan check.
    new = await journal.calls.start(channel_id="just-in", caller_number="79160000024")
    assert await journal.calls.close_orphans(set(), listed_at=listed_at) == 0
    assert (await journal.calls.get(new.id)).outcome == "in_progress"
    assert await journal.calls.missed() == []


async def test_ticket_of_a_call_made_or_joined_through_its_recording(journal: Journal) -> None:
    ivr = Actor.system("ivr")
    first = await journal.calls.start(channel_id="c-made", caller_number="79160000025")
    made = (await journal.tickets.register(NewTicket(channel="phone_ivr", category="water", actor=ivr,
                                                     caller_phone="79160000025", call_id=first.id))).ticket
    again = await journal.calls.start(channel_id="c-again", caller_number="79160000025")
    rec = await journal.calls.add_recording(call_id=again.id, name="again-1", data=b"RIFF....WAVE")
    repeat = await journal.tickets.register(NewTicket(channel="phone_ivr", category="water", actor=ivr,
                                                      caller_phone="79160000025", call_id=again.id,
                                                      recording_ids=[rec.id]))
    assert not repeat.created  # joined the open ticket as a repeat
    assert (await journal.calls.ticket_of(first.id)).id == made.id  # type: ignore[union-attr]
    assert (await journal.calls.ticket_of(again.id)).id == made.id  # type: ignore[union-attr]
    silent = await journal.calls.start(channel_id="c-none", caller_number="79160000026")
    assert await journal.calls.ticket_of(silent.id) is None


async def test_a_call_already_missed_does_not_become_a_ticket_too(journal: Journal) -> None:
    # The caller hangs up as a dispatcher answers: the hang-up is recorded first, the answer's
    # ticket must not make the call count twice.
    call = await journal.calls.start(channel_id="c-race", caller_number="79160000041")
    assert await journal.calls.record_missed(call_id=call.id, caller_number="79160000041", reason="hangup") is not None
    with pytest.raises(CallAlreadyMissed):
        await journal.tickets.register(NewTicket(channel="phone_dispatcher", category="other",
                                                 actor=Actor.system("ivr"), caller_phone="79160000041",
                                                 call_id=call.id))
    assert (await journal.calls.get(call.id)).outcome == "missed"
    assert await journal.monitor.count(TicketFilter(open_only=False), utcnow()) == 0
