"""Mass outages in the journal: announced while active and unexpired, a parent ticket, children that
follow it and still close on their own, attach/detach, every change audited."""

from datetime import UTC, datetime, time, timedelta

import pytest

from journal import Actor, AuditFilter, InvalidValue, Journal, NewTicket, OutageDraft, OutageRules, Registration
from journal.clock import utcnow
from journal.models import Building
from journal.outages import end_of_shift

DISPATCHER = Actor("Петрова О.")
IVR = Actor.system("ivr")


async def _buildings(journal: Journal) -> tuple[Building, Building, Building]:
    a = await journal.people.add_building("Ленина", "5")
    b = await journal.people.add_building("Ленина", "7")
    c = await journal.people.add_building("Мира", "1")
    return a, b, c


def _draft(*ids: int, **kw: object) -> OutageDraft:
    values: dict[str, object] = {"utility": "hot_water", "building_ids": ids,
                                 "announcement": "Отключена горячая вода: авария на теплотрассе."}
    values.update(kw)
    return OutageDraft(**values)  # type: ignore[arg-type]


def _caller(phone: str, category: str = "water") -> NewTicket:
    return NewTicket(channel="phone_ivr", category=category, actor=IVR, caller_phone=phone)


async def _add(journal: Journal, outage_id: int, phone: str) -> Registration:
    return await journal.outages.add_caller(outage_id, actor=IVR, channel="phone_ivr", caller_phone=phone)


async def test_declared_outage_is_announced_to_its_buildings_only(journal: Journal) -> None:
    a, b, c = await _buildings(journal)
    outage = await journal.outages.declare(_draft(a.id, b.id, cause="Порыв на вводе"), DISPATCHER)
    assert outage.state == "active" and outage.streets == "улица Ленина"
    found = await journal.outages.active_outage_for_building(a.id)
    assert found is not None and found.id == outage.id
    assert await journal.outages.active_outage_for_building(c.id) is None
    parent = await journal.tickets.get(outage.parent_ticket_id or 0)
    assert (parent.priority, parent.category, parent.outage_id, parent.status) == ("emergency", "water", outage.id, "new")
    assert parent.localize_due_at == parent.received_at + timedelta(minutes=30)
    assert "Порыв на вводе" in (parent.description or "")
    entries = await journal.audit.entries(AuditFilter(object_type="outage", object_id=outage.id))
    assert [e.action for e in entries] == ["outage.declare"]
    assert entries[0].actor == "Петрова О." and '"buildings": [' in (entries[0].after or "")


async def test_expiry_and_planned_start_are_enforced_by_the_query(journal: Journal) -> None:
    a, b, _ = await _buildings(journal)
    now = utcnow()
    outage = await journal.outages.declare(_draft(a.id, expires_at=now + timedelta(hours=1)), DISPATCHER)
    assert await journal.outages.active_outage_for_building(a.id, now + timedelta(minutes=59)) is not None
    assert await journal.outages.active_outage_for_building(a.id, now + timedelta(hours=1)) is None
    assert (await journal.outages.get(outage.id)).state == "active"  # still shown, no longer announced
    planned = await journal.outages.declare(
        _draft(b.id, started_at=now + timedelta(hours=2), expires_at=now + timedelta(hours=6)), DISPATCHER)
    assert await journal.outages.active_outage_for_building(b.id, now) is None
    found = await journal.outages.active_outage_for_building(b.id, now + timedelta(hours=3))
    assert found is not None and found.id == planned.id


def test_default_expiry_is_the_next_shift_change() -> None:
    rules = OutageRules(timezone="Europe/Moscow", shift_changes=(time(8, 0), time(20, 0)))
    # 10:15 Moscow -> 20:00 the same day; 21:00 -> 08:00 the next morning.
    assert end_of_shift(datetime(2026, 1, 15, 7, 15, tzinfo=UTC), rules) == datetime(2026, 1, 15, 17, 0, tzinfo=UTC)
    assert end_of_shift(datetime(2026, 1, 15, 18, 0, tzinfo=UTC), rules) == datetime(2026, 1, 16, 5, 0, tzinfo=UTC)
    assert end_of_shift(datetime(2026, 1, 15, 17, 0, tzinfo=UTC), rules) == datetime(2026, 1, 16, 5, 0, tzinfo=UTC)


async def test_declaring_without_expiry_ends_with_the_shift(journal: Journal) -> None:
    a, _, _ = await _buildings(journal)
    outage = await journal.outages.declare(_draft(a.id), DISPATCHER)
    assert outage.expires_at == end_of_shift(outage.started_at, OutageRules())
    assert utcnow() < outage.expires_at <= utcnow() + timedelta(hours=12)


async def test_bad_declarations_are_refused_in_russian(journal: Journal) -> None:
    a, _, _ = await _buildings(journal)
    with pytest.raises(InvalidValue, match="не выбран ни один дом"):
        await journal.outages.declare(_draft(), DISPATCHER)
    with pytest.raises(InvalidValue, match="нет домов с номерами 999"):
        await journal.outages.declare(_draft(a.id, 999), DISPATCHER)
    with pytest.raises(InvalidValue, match="неизвестный вид аварии"):
        await journal.outages.declare(_draft(a.id, utility="steam"), DISPATCHER)
    with pytest.raises(InvalidValue, match="текст объявления пуст"):
        await journal.outages.declare(_draft(a.id, announcement="  "), DISPATCHER)
    with pytest.raises(InvalidValue, match="срок действия уже истёк"):
        await journal.outages.declare(_draft(a.id, started_at=utcnow() - timedelta(hours=3),
                                             expires_at=utcnow() - timedelta(hours=1)), DISPATCHER)
    assert await journal.outages.recent() == []


async def test_a_proposed_outage_is_not_announced_until_a_dispatcher_activates_it(journal: Journal) -> None:
    a, _, _ = await _buildings(journal)
    outage = await journal.outages.declare(_draft(a.id, proposed=True), DISPATCHER)
    assert outage.parent_ticket_id is None
    assert await journal.outages.active_outage_for_building(a.id) is None
    outage = await journal.outages.set_state(outage.id, "active", DISPATCHER)
    assert outage.parent_ticket_id is not None
    assert await journal.outages.active_outage_for_building(a.id) is not None
    with pytest.raises(InvalidValue, match="из состояния «действует» нельзя перейти в «предложена»"):
        await journal.outages.set_state(outage.id, "proposed", DISPATCHER)


async def test_callers_become_children_and_a_second_call_repeats(journal: Journal) -> None:
    a, _, _ = await _buildings(journal)
    outage = await journal.outages.declare(_draft(a.id), DISPATCHER)
    first = await _add(journal, outage.id, "79160000001")
    again = await _add(journal, outage.id, "79160000001")
    other = await _add(journal, outage.id, "79160000002")
    assert first.created and not again.created and again.ticket.id == first.ticket.id
    assert (await journal.tickets.get(first.ticket.id)).repeat_count == 1
    child = first.ticket
    assert (child.outage_id, child.parent_id, child.executor_id) == (outage.id, outage.parent_ticket_id, None)
    assert [t.id for t in await journal.outages.children(outage.id)] == [first.ticket.id, other.ticket.id]
    # A different problem of the same caller is a ticket of its own, not a repeat of the child.
    own = await journal.tickets.register(_caller("79160000001"))
    assert own.created and own.ticket.outage_id is None


async def test_localisation_and_restoration_reach_the_children_each_closes_on_its_own(journal: Journal) -> None:
    a, _, _ = await _buildings(journal)
    outage = await journal.outages.declare(_draft(a.id), DISPATCHER)
    kids = [(await _add(journal, outage.id, f"7916000000{i}")).ticket.id for i in range(2)]
    await journal.outages.set_state(outage.id, "localised", DISPATCHER)
    for tid in [outage.parent_ticket_id or 0, *kids]:
        t = await journal.tickets.get(tid)
        assert t.localized_at is not None and t.next_due_at == t.due_at
    with pytest.raises(InvalidValue, match="укажите, что сделано"):
        await journal.outages.set_state(outage.id, "restored", DISPATCHER)
    await journal.outages.set_state(outage.id, "restored", DISPATCHER, resolution="Заменён участок трубы")
    for tid in [outage.parent_ticket_id or 0, *kids]:
        t = await journal.tickets.get(tid)
        assert (t.status, t.result) == ("done", "Заменён участок трубы")
    assert await journal.outages.active_outage_for_building(a.id) is None
    await journal.tickets.change_status(kids[0], "closed", DISPATCHER)
    assert [(await journal.tickets.get(k)).status for k in kids] == ["closed", "done"]
    actions = [e.action for e in await journal.audit.entries(AuditFilter(object_type="outage", object_id=outage.id))]
    assert actions == ["outage.restored", "outage.localised", "outage.declare"]


async def test_cancelling_detaches_the_children_and_cancels_the_parent(journal: Journal) -> None:
    a, _, _ = await _buildings(journal)
    outage = await journal.outages.declare(_draft(a.id), DISPATCHER)
    kid = (await _add(journal, outage.id, "79160000001")).ticket.id
    await journal.outages.set_state(outage.id, "cancelled", DISPATCHER, comment="Ложный вызов")
    child = await journal.tickets.get(kid)
    assert (child.outage_id, child.parent_id, child.is_open) == (None, None, True)
    notes = [h.text for h in await journal.tickets.history(kid) if h.field == "outage_id"]
    assert notes == ["Авария отменена: заявка рассматривается отдельно"]
    assert (await journal.tickets.get(outage.parent_ticket_id or 0)).status == "cancelled"
    assert await journal.outages.active_outage_for_building(a.id) is None


async def test_attach_and_detach_existing_tickets(journal: Journal) -> None:
    a, b, _ = await _buildings(journal)
    first = await journal.outages.declare(_draft(a.id), DISPATCHER)
    second = await journal.outages.declare(_draft(b.id, utility="heating"), DISPATCHER)
    t = (await journal.tickets.register(_caller("79160000009"))).ticket
    attached = await journal.outages.attach(first.id, t.id, DISPATCHER)
    assert (attached.outage_id, attached.parent_id) == (first.id, first.parent_ticket_id)
    with pytest.raises(InvalidValue, match="уже присоединена к другой аварии"):
        await journal.outages.attach(second.id, t.id, DISPATCHER)
    with pytest.raises(InvalidValue, match="основную заявку аварии отсоединить нельзя"):
        await journal.outages.detach(first.parent_ticket_id or 0, DISPATCHER)
    detached = await journal.outages.detach(t.id, DISPATCHER)
    assert (detached.outage_id, detached.parent_id) == (None, None)
    texts = [h.text for h in await journal.tickets.history(t.id) if h.field == "outage_id"]
    assert texts == ["Присоединена к аварии: ГВС, улица Ленина", "Отсоединена от аварии"]


async def test_changes_are_audited_with_before_and_after(journal: Journal) -> None:
    a, b, c = await _buildings(journal)
    outage = await journal.outages.declare(_draft(a.id), DISPATCHER)
    until = utcnow() + timedelta(hours=3)
    changed = await journal.outages.change(outage.id, DISPATCHER, expected_restoration=until,
                                           building_ids=[a.id, b.id, c.id])
    assert changed.streets == "улица Ленина, улица Мира" and changed.expected_restoration == until
    assert await journal.outages.building_ids(outage.id) == sorted([a.id, b.id, c.id])
    assert await journal.outages.active_outage_for_building(c.id) is not None
    entry = (await journal.audit.entries(AuditFilter(object_type="outage", object_id=outage.id)))[0]
    assert entry.action == "outage.change" and "expected_restoration" in (entry.after or "")
    assert '"buildings": [' in (entry.before or "") and "announcement" not in (entry.after or "")


async def test_caller_outlook_reads_history_building_and_outage_at_once(journal: Journal) -> None:
    a, b, c = await _buildings(journal)
    await journal.people.save_resident("79161234567", name="Иванова", building_id=a.id, apartment="3")
    outage = await journal.outages.declare(_draft(a.id, b.id), DISPATCHER)
    known = await journal.outages.caller_outlook("+7 916 123-45-67")
    assert known.building_id == a.id and known.outage is not None and known.outage.id == outage.id
    assert known.offered == ()
    unknown = await journal.outages.caller_outlook("79990000000")
    assert unknown.building_id is None and unknown.outage is None
    assert [o.id for o in unknown.offered] == [outage.id]
    for street_building in (b, c, c):
        await journal.outages.declare(_draft(street_building.id, utility="heating"), DISPATCHER)
    # Four outages cannot be offered one key each.
    assert (await journal.outages.caller_outlook("79990000000")).offered == ()
    training = await journal.outages.caller_outlook("79161234567", training=True)
    assert training.outage is None


async def test_a_burst_of_one_category_on_one_street_is_suggested(journal: Journal) -> None:
    a, b, c = await _buildings(journal)
    for i, building in enumerate((a, b, a, c)):
        await journal.tickets.register(NewTicket(channel="phone_ivr", category="heating", actor=IVR,
                                                 caller_phone=f"7916000001{i}", building_id=building.id))
    await journal.tickets.register(NewTicket(channel="phone_ivr", category="water", actor=IVR,
                                             caller_phone="79160000020", building_id=a.id))
    [found] = await journal.outages.suggestions(calls=3, window=timedelta(minutes=30))
    assert (found.category, found.street, found.building_ids) == ("heating", "улица Ленина", sorted([a.id, b.id]))
    # The second call from Ленина 5 was linked to the first as a repeat: two tickets, three calls.
    assert (len(found.ticket_ids), found.calls) == (2, 3)
    assert await journal.outages.suggestions(calls=3, window=timedelta(minutes=30),
                                             now=utcnow() + timedelta(minutes=31)) == []
    # Once an outage is announced there, the burst is no longer a suggestion.
    await journal.outages.declare(_draft(a.id, b.id, utility="heating"), DISPATCHER)
    assert await journal.outages.suggestions(calls=3, window=timedelta(minutes=30)) == []
    assert [o.utility for o in await journal.outages.current()] == ["heating"]
