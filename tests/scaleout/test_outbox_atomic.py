"""On the outbox bus a journal change and the console messages about it commit in one
transaction: both or neither, never one without the other. Seen from outside (another
connection): nothing of either before the commit, both after it, with the same transaction id
(``xmin``) on the ticket's row and on the message's; a change that fails publishes nothing; a
failing step inside the transaction (a savepoint) undoes only itself."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from cti.console.hub import Subscriber
from cti.console.notifier import ConsoleNotifier
from cti.console.outbox_bus import OutboxHub
from cti.settings import Settings
from cti.telephony import ConsoleDesk
from cti.web.app import create_app
from journal import Actor, Database, Journal, NewTicket
from journal.models import Ticket
from journal.outbox import Outbox, OutboxEntry
from tests.console.conftest import PASSWORD, TEST_SECRET_KEY, Session
from tests.scaleout.test_outbox import Screen

pytestmark = pytest.mark.parametrize("backend", ["postgres"])

DISPATCHER = Actor("Петрова О. И.")


@pytest.fixture
async def hub(journal: Journal) -> AsyncIterator[OutboxHub]:
    h = OutboxHub(Outbox(journal.db), poll_seconds=0.2)
    await h.start()
    yield h
    await h.stop()


@pytest.fixture
async def outside(journal: Journal) -> AsyncIterator[Database]:
    """Another instance's view of the same journal: it sees only what is committed."""
    db = Database.from_url(journal.db.engine.url.render_as_string(hide_password=False))
    yield db
    await db.close()


async def ticket(journal: Journal, phone: str = "79161234567") -> Ticket:
    reg = await journal.tickets.register(NewTicket(channel="phone_dispatcher", category="water", actor=DISPATCHER,
                                                   caller_phone=phone, description="Течёт кран"))
    assert reg.created
    return reg.ticket


async def address_of(db: Database, ticket_id: int) -> str | None:
    async with db.engine.connect() as conn:
        return (await conn.execute(text("SELECT address_text FROM tickets WHERE id = :i"), {"i": ticket_id})).scalar()


async def xmin(db: Database, table: str, row_id: int) -> int:
    async with db.engine.connect() as conn:
        value = (await conn.execute(text(f"SELECT xmin::text::bigint FROM {table} WHERE id = :i"), {"i": row_id})).scalar()
    assert value is not None, (table, row_id)
    return int(value)


async def arrived(screen: Screen, kind: str, timeout: float = 5) -> dict[str, object]:
    async with asyncio.timeout(timeout):
        while True:
            for m in screen.got:
                if m["type"] == kind:
                    return m
            screen.arrived.clear()
            await screen.arrived.wait()


async def test_the_change_and_its_message_commit_in_one_transaction(journal: Journal, hub: OutboxHub,
                                                                   outside: Database) -> None:
    notify = ConsoleNotifier(hub)
    screen = Screen()
    hub.attach(screen, Subscriber(1, "dispatcher", "101"), None)
    t = await ticket(journal)
    before = (await Outbox(outside).bounds())[1]

    async with notify.together(journal.db):
        changed = await journal.tickets.edit(t.id, DISPATCHER, address_text="Ленина, 5, кв. 3")
        notify.ticket_updated(changed.id, address=changed.address_text)
        # Not committed yet: another instance sees neither the change nor the message.
        assert await address_of(outside, t.id) is None
        assert await Outbox(outside).read_after(before) == []
        await asyncio.sleep(0.5)  # the hub's poll runs meanwhile: nothing to deliver
        assert not [m for m in screen.got if m["type"] == "ticket_updated"]

    assert await address_of(outside, t.id) == "Ленина, 5, кв. 3"
    [row] = await Outbox(outside).read_after(before)
    assert row.type == "ticket_updated" and json.loads(row.payload)["ticket_id"] == t.id
    assert await xmin(outside, "tickets", t.id) == await xmin(outside, "console_outbox", row.id)
    message = await arrived(screen, "ticket_updated")
    assert message["id"] == row.id and message["ticket_id"] == t.id


async def test_a_change_that_fails_publishes_nothing(journal: Journal, hub: OutboxHub, outside: Database) -> None:
    notify = ConsoleNotifier(hub)
    screen = Screen()
    hub.attach(screen, Subscriber(1, "dispatcher", "101"), None)
    t = await ticket(journal)
    before = (await Outbox(outside).bounds())[1]

    async def failing_change() -> None:
        async with notify.together(journal.db):
            await journal.tickets.edit(t.id, DISPATCHER, address_text="Ленина, 5")
            notify.ticket_updated(t.id, address="Ленина, 5")
            raise RuntimeError("the handler failed after publishing")

    with pytest.raises(RuntimeError):
        await failing_change()

    assert await address_of(outside, t.id) is None
    assert await Outbox(outside).read_after(before) == []
    # The next change goes through, and it is the only one the console hears of.
    async with notify.together(journal.db):
        await journal.tickets.edit(t.id, DISPATCHER, address_text="Ленина, 7")
        notify.ticket_updated(t.id, address="Ленина, 7")
    message = await arrived(screen, "ticket_updated")
    assert message["fields"] == {"address": "Ленина, 7"}, message
    assert [m["type"] for m in screen.got].count("ticket_updated") == 1


async def test_a_failing_step_in_a_savepoint_undoes_only_itself(journal: Journal, hub: OutboxHub,
                                                               outside: Database) -> None:
    notify = ConsoleNotifier(hub)
    t = await ticket(journal)
    before = (await Outbox(outside).bounds())[1]
    async with journal.db.write() as session:
        await journal.tickets.edit(t.id, DISPATCHER, address_text="Ленина, 5")
        with contextlib.suppress(DBAPIError):
            async with journal.db.savepoint():
                await session.execute(text("SELECT 1 / 0"))  # a statement that fails on the server
        notify.ticket_updated(t.id, address="Ленина, 5")
    assert await address_of(outside, t.id) == "Ленина, 5"
    assert [r.type for r in await Outbox(outside).read_after(before)] == ["ticket_updated"]


async def test_the_desk_reports_a_phone_change_in_its_transaction(journal: Journal, hub: OutboxHub,
                                                                 outside: Database) -> None:
    """The executors' line and the rating call: the change and the consoles' update in one
    commit; the desk's own failure (a ticket it cannot read) logs and keeps the change."""
    desk = ConsoleDesk(journal, hub)
    t = await ticket(journal)
    before = (await Outbox(outside).bounds())[1]
    async with desk.together():
        await journal.tickets.record_feedback(t.id, Actor.system("rating"), confirmed=True, rating=5,
                                              comment="Оценка по телефону")
        await desk.ticket_changed(t.id, "rating")
    [row] = await Outbox(outside).read_after(before)
    assert json.loads(row.payload)["fields"]["rating"] == 5
    assert await xmin(outside, "tickets", t.id) == await xmin(outside, "console_outbox", row.id)

    async with desk.together():
        await journal.tickets.record_feedback(t.id, Actor.system("rating"), confirmed=True, rating=4,
                                              comment="Оценка по телефону")
        await desk.ticket_changed(10**9, "rating")  # not a ticket: logged, the transaction goes on
        await desk.ticket_changed(t.id, "rating")
    assert (await Outbox(outside).read_after(row.id))[0].payload == json.dumps(
        {**json.loads(row.payload), "fields": {**json.loads(row.payload)["fields"], "rating": 4}}, ensure_ascii=False)
    async with outside.engine.connect() as conn:
        assert (await conn.execute(text("SELECT rating FROM tickets WHERE id = :i"), {"i": t.id})).scalar() == 4


async def test_only_the_task_that_opened_a_transaction_joins_it(journal: Journal, outside: Database) -> None:
    one, two = await ticket(journal, "79160000001"), await ticket(journal, "79160000002")
    async with journal.db.write():
        await journal.tickets.edit(one.id, DISPATCHER, address_text="Ленина, 1")
        await journal.tickets.edit(one.id, DISPATCHER, apartment="1")  # joins: one transaction
        # A task started here has a transaction of its own, committed when it ends.
        await asyncio.create_task(journal.tickets.edit(two.id, DISPATCHER, address_text="Ленина, 2"))
        assert await address_of(outside, two.id) == "Ленина, 2"
        assert await address_of(outside, one.id) is None
        # Reads in the transaction see what it wrote.
        assert (await journal.tickets.get(one.id)).address_text == "Ленина, 1"
    assert await address_of(outside, one.id) == "Ленина, 1"


@pytest.fixture
async def service(journal: Journal, hub: OutboxHub,
                  aiohttp_server: Callable[..., Awaitable[TestServer]]) -> AsyncIterator[Session]:
    await journal.people.create_user("petrova", "Петрова О. И.", "dispatcher", PASSWORD, extension="101")
    settings = Settings()
    settings.server.secret_key = TEST_SECRET_KEY
    server = await aiohttp_server(create_app(settings, journal, hub=hub))
    session = Session(server)
    assert (await session.login("petrova")).status == 302
    yield session
    await session.close()


async def test_a_dispatchers_change_and_the_consoles_update_share_a_commit(
        journal: Journal, outside: Database, service: Session) -> None:
    t = await ticket(journal)
    before = (await Outbox(outside).bounds())[1]
    status, body = await service.api("POST", f"/api/tickets/{t.id}/comments", {"text": "Бригада выехала"})
    assert status == 201, body
    status, body = await service.api("PATCH", f"/api/tickets/{t.id}", {"address_text": "Ленина, 5"})
    assert status == 200, body
    rows: list[OutboxEntry] = await Outbox(outside).read_after(before)
    assert [r.type for r in rows] == ["ticket_updated", "ticket_updated"]
    assert await xmin(outside, "tickets", t.id) == await xmin(outside, "console_outbox", rows[-1].id)
    # A change the journal refuses publishes nothing.
    status, _ = await service.api("POST", f"/api/tickets/{t.id}/status", {"status": "closed"})
    assert status in (400, 409, 422)
    assert len(await Outbox(outside).read_after(before)) == 2
