"""Status notifications through the webhook channel, against a real local aiohttp server:
sent on registration, assignment and completion, rate-limited per phone, logged."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from cti.quality.notify import StatusNotifier, WebhookChannel
from journal import Actor, Journal, NewTicket
from journal.notifications import NotificationLog


@pytest.fixture
async def hook(aiohttp_server: Callable[..., Awaitable[TestServer]]) -> tuple[str, list[Any], list[int]]:
    received: list[Any] = []
    status = [200]

    async def handle(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.Response(status=status[0])

    app = web.Application()
    app.router.add_post("/notify", handle)
    server = await aiohttp_server(app)
    return str(server.make_url("/notify")), received, status


async def _ticket(journal: Journal, phone: str) -> int:
    reg = await journal.tickets.register(NewTicket(channel="phone_ivr", category="water", actor=Actor.system("ivr"),
                                                   caller_phone=phone, auto_assign=False))
    return reg.ticket.id


async def _notifier(journal: Journal, url: str, interval: timedelta) -> tuple[StatusNotifier, WebhookChannel]:
    channel = WebhookChannel(url, timeout=2)
    notifier = StatusNotifier(journal.db, NotificationLog(journal.db, interval), channel)
    await notifier.step()  # cursor: from now on
    return notifier, channel


async def test_registration_assignment_completion_are_sent(journal: Journal, hook: tuple[str, list[Any], list[int]]) -> None:
    url, received, _ = hook
    notifier, channel = await _notifier(journal, url, timedelta(0))
    try:
        executor = await journal.people.create_user("plumber", "Кузнецов", "executor", "password1")
        tid = await _ticket(journal, "+7 916 555-00-01")
        await journal.tickets.assign(tid, executor.id, Actor("Петрова"))
        await journal.tickets.change_status(tid, "done", Actor("Кузнецов"))
        assert await notifier.step() == 3
    finally:
        await channel.close()
    number = (await journal.tickets.get(tid)).number
    assert [m["event"] for m in received] == ["registered", "assigned", "completed"]
    assert all(m["ticket_number"] == number and m["phone"] == "79165550001" for m in received)
    assert number in received[0]["text"] and "зарегистрирована" in received[0]["text"]
    rows = await NotificationLog(journal.db, timedelta(0)).for_ticket(tid)
    assert [(r.event, r.status, r.channel) for r in rows] == [
        ("registered", "sent", "webhook"), ("assigned", "sent", "webhook"), ("completed", "sent", "webhook")]
    assert await notifier.step() == 0  # nothing is sent twice


async def test_rate_limit_per_phone_and_failures_are_logged(journal: Journal,
                                                            hook: tuple[str, list[Any], list[int]]) -> None:
    url, received, status = hook
    notifier, channel = await _notifier(journal, url, timedelta(minutes=10))
    try:
        first = await _ticket(journal, "79165550002")
        executor = await journal.people.create_user("plumber", "Кузнецов", "executor", "password1")
        await journal.tickets.assign(first, executor.id, Actor("Петрова"))
        second = await _ticket(journal, "79165550003")
        assert await notifier.step() == 2  # the assignment came too soon after the registration
        status[0] = 500
        await journal.tickets.register(NewTicket(channel="phone_ivr", category="heating", actor=Actor.system("ivr"),
                                                 caller_phone="79165550004", auto_assign=False))
        assert await notifier.step() == 0
    finally:
        await channel.close()
    assert [(m["event"], m["phone"]) for m in received] == [
        ("registered", "79165550002"), ("registered", "79165550003"), ("registered", "79165550004")]
    log = NotificationLog(journal.db, timedelta(minutes=10))
    assert [(r.event, r.status) for r in await log.for_ticket(first)] == [("registered", "sent"), ("assigned", "throttled")]
    assert [(r.event, r.status) for r in await log.for_ticket(second)] == [("registered", "sent")]
    failed = [r for r in await log.recent() if r.status == "failed"]
    assert len(failed) == 1 and "500" in (failed[0].detail or "")
