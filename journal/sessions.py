"""Staff sessions as the journal sees them: is a session still good (the user active, the role
unchanged, not ended by an administrator or a new password, not logged out)? The cookie itself
is the web layer's; what must survive a restart lives here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update

from .clock import utcnow
from .db import Database
from .errors import NotFound
from .models import SessionRevocation, User


class StaffSessions:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def current_user(self, user_id: int, sid: str, issued_at: datetime) -> User | None:
        """The user of a session if it is still good, else None."""
        async with self.db.read() as s:
            user = await s.get(User, user_id)
            if user is None or not user.is_active:
                return None
            if user.sessions_valid_after is not None and issued_at < user.sessions_valid_after:
                return None
            revoked = (await s.execute(select(SessionRevocation.sid).where(SessionRevocation.sid == sid))).first()
        return None if revoked else user

    async def revoke(self, sid: str, user_id: int, expires_at: datetime) -> None:
        """Log-out: this session id is void until it would have expired."""
        now = utcnow()
        async with self.db.write() as s:
            await s.execute(delete(SessionRevocation).where(SessionRevocation.expires_at <= now))
            if await s.get(SessionRevocation, sid) is None:
                s.add(SessionRevocation(sid=sid, user_id=user_id, expires_at=expires_at))

    async def end_all(self, user_id: int, now: datetime | None = None) -> User:
        """Every session of the user issued until now is void (they log in again)."""
        now = now or utcnow()
        async with self.db.write() as s:
            result = await s.execute(update(User).where(User.id == user_id).values(sessions_valid_after=now))
            if result.rowcount == 0:  # type: ignore[attr-defined]
                raise NotFound("user", user_id)
            user = await s.get(User, user_id)
            assert user is not None
            return user
