"""The deadline rules as an administrator edits them: every save is a new version (the TOML
text, who, when, why), checked before it is kept; the newest version is in force from the next
ticket on, and each ticket records the version it was registered under."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select

from . import audit
from .db import Database
from .errors import ConfigError
from .history import Actor
from .models import SlaVersion
from .sla import Deadlines, SlaPolicy


class SlaVersions:
    def __init__(self, db: Database, policy: SlaPolicy, timezone: str) -> None:
        self.db = db
        self.policy = policy
        self.timezone = timezone

    def check(self, text: str) -> SlaPolicy:
        """The rules of this text, or ConfigError naming the first mistake."""
        if not text.strip():
            raise ConfigError("sla: empty")
        return SlaPolicy.from_text(text, self.timezone, where="sla")

    async def load_active(self) -> int:
        """At start: the newest saved version replaces the file's rules. Its number (0: the file)."""
        async with self.db.read() as s:
            row = (await s.execute(select(SlaVersion).order_by(SlaVersion.id.desc()).limit(1))).scalar_one_or_none()
        if row is not None:
            new = self.check(row.text)
            new.version = row.id
            self.policy.adopt(new)
        return self.policy.version

    async def save(self, actor: Actor, text: str, comment: str | None = None) -> int:
        new = self.check(text)
        old_version = self.policy.version
        async with self.db.write() as s:
            row = SlaVersion(created_by_id=actor.user_id, created_by=actor.label, comment=comment or None, text=text)
            s.add(row)
            await s.flush()
            audit.record(s, actor, "sla.version", "sla", row.id, summary=comment,
                         before={"version": old_version, "rules": [r.id for r in self.policy.rules]},
                         after={"version": row.id, "rules": [r.id for r in new.rules]})
            version = row.id
        new.version = version
        self.policy.adopt(new)
        return version

    async def versions(self, limit: int = 50) -> Sequence[SlaVersion]:
        async with self.db.read() as s:
            return (await s.execute(select(SlaVersion).order_by(SlaVersion.id.desc()).limit(limit))).scalars().all()

    def preview(self, at: datetime, category: str, problem: str | None, priority: str | None, channel: str,
                text: str | None = None) -> tuple[Deadlines, str]:
        """The deadlines a ticket received at ``at`` would get, under the rules in force or under
        ``text`` (a draft); and the priority it would have."""
        policy = self.check(text) if text is not None else self.policy
        if category not in policy.categories:
            raise ConfigError(f"unknown category {category!r}")
        if problem is not None and problem not in policy.problems:
            raise ConfigError(f"unknown problem {problem!r}")
        forced = policy.default_priority(category, problem)
        chosen = priority or forced
        if forced == "emergency":
            chosen = "emergency"
        return policy.deadlines(at, category, problem, chosen, channel), chosen


__all__ = ["SlaVersions"]
