"""Status notifications to residents (registered, assigned, completed) through a pluggable
outbound channel; the shipped one POSTs JSON to a webhook (an SMS gateway, a messenger bot).
Driven by the ticket history, rate-limited per phone and logged (journal.notifications)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import aiohttp
import structlog

from journal.db import Database
from journal.notifications import FAILED, SENT, THROTTLED, NotificationLog
from journal.ticket_events import ASSIGNED, COMPLETED, REGISTERED, TicketEvent, events_after, last_history_id

log = structlog.get_logger(__name__)

TEXTS = {
    REGISTERED: "Ваша заявка № {number} зарегистрирована аварийно-диспетчерской службой.",
    ASSIGNED: "По заявке № {number} назначен исполнитель.",
    COMPLETED: "Работы по заявке № {number} выполнены. Если это не так, позвоните в АДС.",
}


class OutboundChannel(Protocol):
    name: str

    async def send(self, message: Mapping[str, Any]) -> None: ...  # raises on failure


class WebhookChannel:
    name = "webhook"

    def __init__(self, url: str, *, timeout: float = 5.0) -> None:
        self.url = url
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def send(self, message: Mapping[str, Any]) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        async with self._session.post(self.url, json=dict(message)) as resp:
            if resp.status >= 300:
                raise RuntimeError(f"webhook answered HTTP {resp.status}")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def message(e: TicketEvent) -> dict[str, Any]:
    return {"event": e.event, "ticket_id": e.ticket_id, "ticket_number": e.ticket_number, "phone": e.phone,
            "status": e.status, "at": e.at.isoformat(),
            "due_at": e.next_due_at.isoformat() if e.next_due_at else None,
            "text": TEXTS[e.event].format(number=e.ticket_number)}


class StatusNotifier:
    def __init__(self, db: Database, log_: NotificationLog, channel: OutboundChannel) -> None:
        self.db = db
        self.log = log_
        self.channel = channel
        self.cursor: int | None = None

    async def step(self) -> int:
        if self.cursor is None:
            self.cursor = await self.log.cursor() or await last_history_id(self.db)
        sent = 0
        while True:
            events, cursor = await events_after(self.db, self.cursor)
            for e in events:
                if e.event in TEXTS and e.phone:
                    sent += await self._one(e)
            if cursor == self.cursor:
                return sent
            self.cursor = cursor

    async def _one(self, e: TicketEvent) -> int:
        if not await self.log.allowed(ticket_id=e.ticket_id, phone=e.phone):
            await self._log(e, THROTTLED, "ограничение частоты")
            log.info("notify.throttled", ticket_id=e.ticket_id, notify_event=e.event)
            return 0
        try:
            await self.channel.send(message(e))
        except Exception as exc:
            await self._log(e, FAILED, str(exc) or type(exc).__name__)
            log.warning("notify.failed", ticket_id=e.ticket_id, notify_event=e.event, error=str(exc))
            return 0
        await self._log(e, SENT)
        log.info("notify.sent", ticket_id=e.ticket_id, notify_event=e.event)
        return 1

    async def _log(self, e: TicketEvent, status: str, detail: str | None = None) -> None:
        await self.log.record(ticket_id=e.ticket_id, phone=e.phone, event=e.event, channel=self.channel.name,
                              status=status, detail=detail, history_id=e.history_id)
