"""Photos and documents attached to tickets (an executor's photo of the repair, a scan of a
written request). Files go to the content-addressed store (journal/storage.py); the row and a history entry are
written in one transaction."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from . import history
from .db import Database
from .enums import HistoryKind
from .errors import InvalidValue, NotFound
from .history import Actor
from .models import Attachment, Ticket
from .storage import BlobStore


class Attachments:
    def __init__(self, db: Database, files: BlobStore) -> None:
        self.db = db
        self.files = files

    async def add(
        self, ticket_id: int, actor: Actor, *, data: bytes, filename: str, content_type: str, suffix: str,
        kind: str = "photo",
    ) -> Attachment:
        if not data:
            raise InvalidValue("file", "is empty")
        async with self.db.read() as s:
            if await s.get(Ticket, ticket_id) is None:
                raise NotFound("ticket", ticket_id)
        stored = await self.files.put(data, suffix)
        async with self.db.write() as s:
            ticket = await s.get(Ticket, ticket_id)
            if ticket is None:
                raise NotFound("ticket", ticket_id)
            row = Attachment(
                ticket_id=ticket_id, kind=kind, filename=filename[:200], content_type=content_type[:100],
                sha256=stored.sha256, path=stored.relpath, size_bytes=stored.size, created_by_id=actor.user_id,
            )
            s.add(row)
            await s.flush()
            history.record(s, ticket, actor, HistoryKind.ATTACHMENT, field=kind, after=row.filename)
            return row

    async def get(self, attachment_id: int) -> Attachment:
        async with self.db.read() as s:
            row = await s.get(Attachment, attachment_id)
        if row is None:
            raise NotFound("attachment", attachment_id)
        return row

    async def for_ticket(self, ticket_id: int) -> Sequence[Attachment]:
        async with self.db.read() as s:
            stmt = select(Attachment).where(Attachment.ticket_id == ticket_id).order_by(Attachment.id)
            return (await s.execute(stmt)).scalars().all()
