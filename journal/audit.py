"""The administrators' audit log: every change to staff, schedules, buildings, residents and
settings, with who made it, when, and the values before and after (JSON). Append-only."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from .clock import utcnow
from .db import Database
from .history import Actor
from .models import AuditEntry

Values = Mapping[str, Any]


def _json(values: Values | None) -> str | None:
    if values is None:
        return None
    return json.dumps(values, ensure_ascii=False, sort_keys=True, default=str)


def changed(before: Values, after: Values) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields that differ, on both sides."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def record(
    session: AsyncSession, actor: Actor, action: str, object_type: str, object_id: int | None, *,
    summary: str | None = None, before: Values | None = None, after: Values | None = None,
) -> None:
    session.add(AuditEntry(
        at=utcnow(), actor_id=actor.user_id, actor=actor.label, action=action, object_type=object_type,
        object_id=object_id, summary=(summary or "")[:300] or None, before=_json(before), after=_json(after),
    ))


@dataclass(frozen=True)
class AuditFilter:
    object_type: str | None = None
    object_id: int | None = None


class AuditLog:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def entries(self, f: AuditFilter = AuditFilter(), *, limit: int = 100, offset: int = 0) -> Sequence[AuditEntry]:
        async with self.db.read() as s:
            stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit).offset(offset)
            if f.object_type:
                stmt = stmt.where(AuditEntry.object_type == f.object_type)
            if f.object_id is not None:
                stmt = stmt.where(AuditEntry.object_id == f.object_id)
            return (await s.execute(stmt)).scalars().all()

    async def count(self, f: AuditFilter = AuditFilter()) -> int:
        async with self.db.read() as s:
            stmt = select(func.count()).select_from(AuditEntry)
            if f.object_type:
                stmt = stmt.where(AuditEntry.object_type == f.object_type)
            if f.object_id is not None:
                stmt = stmt.where(AuditEntry.object_id == f.object_id)
            return int((await s.execute(stmt)).scalar_one())


__all__ = ["AuditFilter", "AuditLog", "changed", "record"]
