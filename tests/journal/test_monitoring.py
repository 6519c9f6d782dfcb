"""Monitoring queries: open by period/category/building/executor, overdue, due soon, unassigned,
and the caller's history by phone and by address."""

from datetime import timedelta

from journal import Actor, Journal, NewTicket, TicketFilter
from journal.clock import utcnow

IVR = Actor.system("ivr")


async def _seed(journal: Journal) -> dict[str, int]:
    b1 = await journal.people.add_building("Ленина", "5")
    b2 = await journal.people.add_building("Мира", "23")
    ex = await journal.people.create_user("plumber", "Сантехник", "executor", "password1")
    now = utcnow()

    async def reg(category: str, building: int | None, phone: str, age: timedelta, **kw: object) -> int:
        t = await journal.tickets.register(NewTicket(
            channel="phone_ivr", category=category, actor=IVR, building_id=building, caller_phone=phone,
            received_at=now - age, auto_assign=False, apartment=phone[-3:], **kw))  # type: ignore[arg-type]
        return t.ticket.id

    ids = {
        "overdue_water": await reg("water", b1.id, "79160000001", timedelta(days=2)),  # 1 day SLA: overdue
        "fresh_water": await reg("water", b1.id, "79160000002", timedelta(minutes=5)),
        "lift_soon": await reg("elevator", b2.id, "79160000003", timedelta(hours=23, minutes=30)),  # due in 30 min
        "emergency": await reg("heating", b2.id, "79160000001", timedelta(minutes=40), priority="emergency"),
        "closed": await reg("cleaning", b1.id, "79160000004", timedelta(days=1)),
    }
    await journal.tickets.change_status(ids["closed"], "cancelled", IVR)
    await journal.tickets.assign(ids["fresh_water"], ex.id, IVR)
    ids["b1"], ids["b2"], ids["executor"] = b1.id, b2.id, ex.id
    return ids


async def test_monitoring_queries(journal: Journal) -> None:
    ids = await _seed(journal)
    now = utcnow()
    m = journal.monitor
    assert dict(await m.open_counts("category")) == {"water": 2, "elevator": 1, "heating": 1}
    assert dict(await m.open_counts("building")) == {ids["b1"]: 2, ids["b2"]: 2}
    assert dict(await m.open_counts("executor")) == {None: 3, ids["executor"]: 1}
    assert dict(await m.open_counts("category", received_from=now - timedelta(hours=1))) == {"water": 1, "heating": 1}
    # The emergency is 40 minutes old: its 30-minute localisation deadline has passed.
    assert {t.id for t in await m.overdue(now)} == {ids["overdue_water"], ids["emergency"]}
    assert [t.id for t in await m.due_within(now, 60)] == [ids["lift_soon"]]
    assert {t.id for t in await m.unassigned(now)} == {ids["overdue_water"], ids["lift_soon"], ids["emergency"]}
    assert await m.count(TicketFilter(building_id=ids["b1"]), now) == 2
    assert await m.count(TicketFilter(open_only=False), now) == 5
    by_exec = await m.tickets(TicketFilter(executor_id=ids["executor"]), now)
    assert [t.id for t in by_exec] == [ids["fresh_water"]]
    newest_first = await m.tickets(TicketFilter(), now)
    assert [t.received_at for t in newest_first] == sorted((t.received_at for t in newest_first), reverse=True)


async def test_localising_moves_to_the_repair_deadline(journal: Journal) -> None:
    ids = await _seed(journal)
    await journal.tickets.mark_localized(ids["emergency"], Actor("Сантехник"))
    assert {t.id for t in await journal.monitor.overdue(utcnow())} == {ids["overdue_water"]}


async def test_caller_history_by_phone_and_by_address(journal: Journal) -> None:
    ids = await _seed(journal)
    hist = await journal.monitor.caller_history(phone="+7 916 000-00-01", building_id=ids["b1"])
    # by phone: overdue_water, emergency; by address b1: overdue_water, fresh_water, closed.
    assert {t.id for t in hist} == {ids["overdue_water"], ids["emergency"], ids["fresh_water"], ids["closed"]}
    assert [t.received_at for t in hist] == sorted((t.received_at for t in hist), reverse=True)
    assert await journal.monitor.caller_history(phone=None, building_id=None) == []
