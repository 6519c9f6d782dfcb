"""Status notifications to residents (registered, assigned, completed) through a pluggable
outbound channel; the shipped one POSTs JSON to a webhook (an SMS gateway, a messenger bot).
Driven by the ticket history, rate-limited per phone and logged (journal.notifications)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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


EVENT_LABELS = {REGISTERED: "Заявка зарегистрирована", ASSIGNED: "Назначен исполнитель", COMPLETED: "Работы выполнены"}


class NotifyConfig:
    """Where notifications go and which events are sent: config/hotline.toml's webhook, or what
    an administrator set in the browser (changed live; no URL: nothing is sent)."""

    def __init__(self, url: str = "", events: Iterable[str] = tuple(TEXTS)) -> None:
        self.url = url
        self.events = frozenset(events)

    def update(self, stored: Mapping[str, Any]) -> None:
        self.url = str(stored.get("url") or "")
        self.events = frozenset(e for e in stored.get("events", TEXTS) if e in TEXTS)


class OutboundChannel(Protocol):
    name: str

    async def send(self, message: Mapping[str, Any]) -> None: ...  # raises on failure


class WebhookChannel:
    name = "webhook"

    def __init__(self, url: str | NotifyConfig, *, timeout: float = 5.0) -> None:
        self.config = url if isinstance(url, NotifyConfig) else NotifyConfig(url)
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def send(self, message: Mapping[str, Any]) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        async with self._session.post(self.config.url, json=dict(message)) as resp:
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
    def __init__(self, db: Database, log_: NotificationLog, channel: OutboundChannel,
                 config: NotifyConfig | None = None) -> None:
        self.db = db
        self.log = log_
        self.channel = channel
        self.config = config
        self.cursor: int | None = None

    async def step(self) -> int:
        if self.config is not None and not self.config.url:
            # Switched off: when switched on again, start from then, not with a backlog.
            self.cursor = None
            return 0
        if self.cursor is None and self.config is not None:
            self.cursor = await last_history_id(self.db)
        if self.cursor is None:
            self.cursor = await self.log.cursor() or await last_history_id(self.db)
        sent = 0
        while True:
            events, cursor = await events_after(self.db, self.cursor)
            for e in events:
                if e.event in TEXTS and e.phone and (self.config is None or e.event in self.config.events):
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
