"""Settings an administrator changes in the browser, kept in the journal (so a backup of the
database keeps them) as JSON values; every change is in the audit log."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from . import audit
from .clock import utcnow
from .db import Database
from .history import Actor
from .models import AdminSetting


class AdminSettings:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, key: str, default: Any = None) -> Any:
        async with self.db.read() as s:
            row = await s.get(AdminSetting, key)
        return json.loads(row.value) if row is not None else default

    async def all(self, prefix: str = "") -> dict[str, Any]:
        async with self.db.read() as s:
            rows = (await s.execute(select(AdminSetting).where(AdminSetting.key.startswith(prefix)))).scalars().all()
        return {r.key: json.loads(r.value) for r in rows}

    async def set(self, actor: Actor, key: str, value: Any, *, summary: str | None = None) -> None:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
        async with self.db.write() as s:
            row = await s.get(AdminSetting, key)
            before = json.loads(row.value) if row is not None else None
            if row is None:
                s.add(AdminSetting(key=key, value=text, updated_at=utcnow()))
            else:
                row.value, row.updated_at = text, utcnow()
            if before != value:
                audit.record(s, actor, "setting", "setting", None, summary=summary or key,
                             before={key: before}, after={key: value})


__all__ = ["AdminSettings"]
