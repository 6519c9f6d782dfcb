"""The log of outbound status notifications, and its rate limit per phone (or ticket)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select

from .clock import utcnow
from .db import Database
from .quality_models import Notification

SENT, FAILED, THROTTLED = "sent", "failed", "throttled"


class NotificationLog:
    def __init__(self, db: Database, min_interval: timedelta) -> None:
        self.db = db
        self.min_interval = min_interval

    async def cursor(self) -> int | None:
        async with self.db.read() as s:
            value = (await s.execute(select(func.max(Notification.history_id)))).scalar_one()
        return int(value) if value is not None else None

    async def allowed(self, *, ticket_id: int | None, phone: str | None, now: datetime | None = None) -> bool:
        """No notification went to this phone (or, without a phone, about this ticket) lately."""
        since = (now or utcnow()) - self.min_interval
        key = Notification.phone == phone if phone else Notification.ticket_id == ticket_id
        async with self.db.read() as s:
            found = (await s.execute(select(Notification.id).where(
                key, Notification.status == SENT, Notification.at > since).limit(1))).scalar_one_or_none()
        return found is None

    async def record(self, *, ticket_id: int | None, phone: str | None, event: str, channel: str, status: str,
                     detail: str | None = None, history_id: int | None = None,
                     at: datetime | None = None) -> Notification:
        async with self.db.write() as s:
            row = Notification(ticket_id=ticket_id, phone=phone, event=event, channel=channel, status=status,
                               detail=(detail or "")[:2000] or None, history_id=history_id, at=at or utcnow())
            s.add(row)
            await s.flush()
            return row

    async def for_ticket(self, ticket_id: int) -> Sequence[Notification]:
        async with self.db.read() as s:
            return (await s.execute(select(Notification).where(Notification.ticket_id == ticket_id)
                                    .order_by(Notification.id))).scalars().all()

    async def recent(self, since: timedelta = timedelta(days=1), *, limit: int = 200) -> Sequence[Notification]:
        async with self.db.read() as s:
            return (await s.execute(select(Notification).where(Notification.at > utcnow() - since)
                                    .order_by(Notification.id.desc()).limit(limit))).scalars().all()
