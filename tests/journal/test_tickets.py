"""Registering and working tickets, on SQLite and PostgreSQL alike."""

import asyncio
import re
from datetime import timedelta

import pytest

from journal import Actor, IllegalTransition, InvalidValue, Journal, NewTicket, Shift
from journal.clock import utcnow

IVR = Actor.system("ivr")


def ivr_ticket(category: str = "water", **kw: object) -> NewTicket:
    return NewTicket(channel="phone_ivr", category=category, actor=IVR, **kw)  # type: ignore[arg-type]


async def test_ticket_carries_what_the_regulations_need(journal: Journal) -> None:
    building = await journal.people.add_building("Ленина", "5")
    dispatcher = await journal.people.create_user("petrova", "Петрова О.", "dispatcher", "password1", extension="101")
    call = await journal.calls.start(channel_id="1795433765.3", caller_number="+7 916 123-45-67", caller_name="Иванова")
    rec = await journal.calls.add_recording(call_id=call.id, name="call-1795433765.3", data=b"RIFFfake", duration_seconds=8)
    reg = await journal.tickets.register(NewTicket(
        channel="phone_dispatcher", category="water", priority="emergency", actor=Actor("Петрова О.", dispatcher.id),
        caller_phone="+7 916 123-45-67", caller_name="Иванова", building_id=building.id, apartment="12",
        description="течёт кран", call_id=call.id, recording_ids=[rec.id],
    ))
    t = reg.ticket
    year = utcnow().year
    assert re.fullmatch(rf"{year}-\d{{6}}", t.number)
    assert (t.caller_phone, t.caller_name, t.building_id, t.apartment) == ("79161234567", "Иванова", building.id, "12")
    assert (t.category, t.priority, t.status, t.channel) == ("water", "emergency", "new", "phone_dispatcher")
    assert t.registered_by_id == dispatcher.id
    assert t.localize_due_at == t.received_at + timedelta(minutes=30)
    assert t.due_at == t.received_at + timedelta(days=3)
    assert t.next_due_at == t.localize_due_at
    assert [r.id for r in await journal.tickets.recordings(t.id)] == [rec.id]
    assert (await journal.calls.get(call.id)).outcome == "ticket"
    kinds = [h.kind for h in await journal.tickets.history(t.id)]
    assert kinds == ["created", "attachment"]


async def test_numbers_are_sequential_per_year(journal: Journal) -> None:
    numbers = [(await journal.tickets.register(ivr_ticket(caller_phone=f"7900000000{i}"))).ticket.number for i in range(3)]
    seq = [int(n.split("-")[1]) for n in numbers]
    assert seq == [1, 2, 3]


async def test_full_lifecycle_leaves_history(journal: Journal) -> None:
    executor = await journal.people.create_user("sidorov", "Сидоров", "executor", "password1")
    dispatcher = Actor("Петрова", None)
    t = (await journal.tickets.register(ivr_ticket(auto_assign=False))).ticket
    await journal.tickets.change_status(t.id, "accepted", dispatcher)
    await journal.tickets.assign(t.id, executor.id, dispatcher)
    await journal.tickets.change_status(t.id, "in_progress", Actor("Сидоров", executor.id))
    await journal.tickets.mark_localized(t.id, Actor("Сидоров", executor.id))
    await journal.tickets.change_status(t.id, "done", Actor("Сидоров", executor.id), result="Заменена прокладка")
    await journal.tickets.comment(t.id, dispatcher, "Жилец подтвердил по телефону", public=False)
    closed = await journal.tickets.change_status(t.id, "closed", dispatcher)
    assert closed.status == "closed" and not closed.is_open and closed.closed_at is not None
    assert closed.result == "Заменена прокладка"
    rows = await journal.tickets.history(t.id)
    status_rows = [(h.before, h.after) for h in rows if h.kind == "status"]
    assert status_rows == [
        ("new", "accepted"), ("accepted", "assigned"), ("assigned", "in_progress"), ("in_progress", "done"),
        ("done", "closed"),
    ]
    assert all(h.at is not None and h.actor for h in rows)
    assert [h.public for h in rows if h.kind == "comment"] == [False]
    public = await journal.tickets.history(t.id, public_only=True)
    assert len(public) == len(rows) - 1 and all(h.kind != "comment" for h in public)


async def test_illegal_transition_is_a_clear_error(journal: Journal) -> None:
    t = (await journal.tickets.register(ivr_ticket(auto_assign=False))).ticket
    with pytest.raises(IllegalTransition, match=r"cannot change from 'new' to 'closed'.*allowed from 'new': accepted"):
        await journal.tickets.change_status(t.id, "closed", IVR)
    with pytest.raises(InvalidValue, match="unknown status 'finished'"):
        await journal.tickets.change_status(t.id, "finished", IVR)
    assert (await journal.tickets.get(t.id)).status == "new"
    assert [h.kind for h in await journal.tickets.history(t.id)] == ["created"]


async def test_reopen_after_close(journal: Journal) -> None:
    t = (await journal.tickets.register(ivr_ticket(auto_assign=False))).ticket
    for status in ("accepted", "done", "closed", "reopened"):
        t = await journal.tickets.change_status(t.id, status, IVR)
    assert t.is_open and t.closed_at is None and t.done_at is None


async def test_unknown_category_refused(journal: Journal) -> None:
    with pytest.raises(InvalidValue, match="unknown category 'plumbing'"):
        await journal.tickets.register(ivr_ticket("plumbing"))


async def test_correcting_category_recomputes_deadlines_with_history(journal: Journal) -> None:
    t = (await journal.tickets.register(ivr_ticket("other", auto_assign=False))).ticket
    assert t.due_at == t.received_at + timedelta(days=7)
    t = await journal.tickets.edit(t.id, Actor("Петрова"), category="elevator", problem="lift_person_stuck", priority="emergency")
    assert t.due_at == t.received_at + timedelta(minutes=30)
    assert t.next_due_at == t.due_at
    fields = {h.field for h in await journal.tickets.history(t.id) if h.kind == "edit"}
    assert {"category", "problem", "priority", "due_at", "sla_rule"} <= fields


async def test_gas_smell_is_emergency_and_handed_over(journal: Journal) -> None:
    t = (await journal.tickets.register(ivr_ticket("gas", priority="planned"))).ticket
    assert t.priority == "emergency" and t.handover_to == "104"
    t = await journal.tickets.hand_over(t.id, Actor("Петрова"), comment="Принято диспетчером 104")
    assert t.status == "done" and "104" in (t.result or "")


async def test_rating_is_one_to_five(journal: Journal) -> None:
    t = (await journal.tickets.register(ivr_ticket())).ticket
    with pytest.raises(InvalidValue, match="rating"):
        await journal.tickets.record_feedback(t.id, IVR, confirmed=True, rating=6)
    t = await journal.tickets.record_feedback(t.id, IVR, confirmed=True, rating=4, comment="быстро")
    assert (t.confirmed, t.rating, t.rating_comment) == (True, 4, "быстро")


# -- repeat requests --------------------------------------------------------------------

async def test_repeat_request_is_linked_not_duplicated(journal: Journal) -> None:
    b = await journal.people.add_building("Садовая", "7", "2")
    first = await journal.tickets.register(ivr_ticket(building_id=b.id, apartment="48", caller_phone="79160000001"))
    again = await journal.tickets.register(ivr_ticket(building_id=b.id, apartment="48", caller_phone="79160000002",
                                                      description="всё ещё течёт"))
    assert first.created and not again.created
    assert again.ticket.id == first.ticket.id and again.ticket.repeat_count == 1
    repeat_rows = [h for h in await journal.tickets.history(first.ticket.id) if h.kind == "repeat"]
    assert len(repeat_rows) == 1 and "79160000002" in (repeat_rows[0].text or "") and "всё ещё течёт" in (repeat_rows[0].text or "")
    # Same caller, same problem, no address known yet: linked by phone.
    by_phone = await journal.tickets.register(ivr_ticket(caller_phone="79160000001"))
    assert not by_phone.created and by_phone.ticket.id == first.ticket.id


async def test_not_a_repeat(journal: Journal) -> None:
    b = await journal.people.add_building("Садовая", "7")
    first = (await journal.tickets.register(ivr_ticket(building_id=b.id, apartment="1"))).ticket
    other_category = await journal.tickets.register(ivr_ticket("heating", building_id=b.id, apartment="1"))
    other_flat = await journal.tickets.register(ivr_ticket(building_id=b.id, apartment="2"))
    old = await journal.tickets.register(ivr_ticket(building_id=b.id, apartment="1",
                                                    received_at=first.received_at + timedelta(days=2)))
    assert other_category.created and other_flat.created and old.created
    await journal.tickets.change_status(first.id, "cancelled", IVR)
    await journal.tickets.change_status(old.ticket.id, "cancelled", IVR)
    after_close = await journal.tickets.register(ivr_ticket(building_id=b.id, apartment="1"))
    assert after_close.created


# -- assignment -------------------------------------------------------------------------

async def _executor(journal: Journal, login: str, categories: list[str], buildings: list[int] = (), always: bool = True) -> int:  # type: ignore[assignment]
    user = await journal.people.create_user(login, login.title(), "executor", "password1")
    shifts = [Shift(d, 0, 1440) for d in range(7)] if always else []
    await journal.people.set_executor_profile(user.id, categories=categories, building_ids=buildings, shifts=shifts)
    return user.id


async def test_assignment_picks_on_shift_serving_least_loaded(journal: Journal) -> None:
    b1 = await journal.people.add_building("Ленина", "1")
    b2 = await journal.people.add_building("Ленина", "2")
    busy = await _executor(journal, "busy", ["water"], [b1.id])
    free = await _executor(journal, "free", ["water"], [b1.id])
    await _executor(journal, "electrician", ["electricity"], [b1.id])
    await _executor(journal, "elsewhere", ["water"], [b2.id])
    await _executor(journal, "offshift", ["water"], [b1.id], always=False)
    on_leave = await _executor(journal, "onleave", ["water"], [b1.id])
    today = utcnow().date()
    await journal.people.add_leave(on_leave, today - timedelta(days=1), today + timedelta(days=1), "отпуск")
    # busy already has two open tickets
    for i in range(2):
        t = (await journal.tickets.register(ivr_ticket(building_id=b1.id, apartment=str(100 + i), auto_assign=False))).ticket
        await journal.tickets.assign(t.id, busy, IVR)
    t = (await journal.tickets.register(ivr_ticket(building_id=b1.id, apartment="5"))).ticket
    assert t.executor_id == free and t.status == "assigned"
    hist = [h for h in await journal.tickets.history(t.id) if h.kind == "assignment"]
    assert hist[0].actor == "system:assignment" and hist[0].after == str(free)


async def test_executor_without_buildings_serves_all(journal: Journal) -> None:
    b = await journal.people.add_building("Мира", "23")
    anywhere = await _executor(journal, "anywhere", ["heating"])
    t = (await journal.tickets.register(ivr_ticket("heating", building_id=b.id))).ticket
    assert t.executor_id == anywhere


async def test_no_match_waits_unassigned(journal: Journal) -> None:
    await _executor(journal, "plumber", ["water"])
    t = (await journal.tickets.register(ivr_ticket("elevator"))).ticket
    assert t.executor_id is None and t.status == "new"
    unassigned = await journal.monitor.unassigned(utcnow())
    assert [x.id for x in unassigned] == [t.id]


# -- concurrency ------------------------------------------------------------------------

async def test_concurrent_registrations_never_share_a_number_nor_lose_one(journal: Journal) -> None:
    n = 120

    async def one(i: int) -> str:
        reg = await journal.tickets.register(ivr_ticket(caller_phone=f"7916{i:07d}", description=f"call {i}"))
        return reg.ticket.number

    numbers = await asyncio.gather(*(one(i) for i in range(n)))
    assert len(set(numbers)) == n
    assert sorted(int(x.split("-")[1]) for x in numbers) == list(range(1, n + 1))
    from journal import TicketFilter

    assert await journal.monitor.count(TicketFilter(open_only=False), utcnow()) == n
