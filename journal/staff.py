"""The administrator's side of staff (messages of InvalidValue are shown as they are: Russian): accounts (create, edit, deactivate, reset the password),
executors' profiles (categories, buildings, weekly shifts, a rota) and their one-off changes
and leave, and who is on duty. Every change leaves an audit row in the same transaction."""

from __future__ import annotations

import secrets
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from . import audit
from .addresses import normalize_phone
from .assignment import load_schedules
from .clock import utcnow
from .db import Database
from .enums import CATEGORIES, Role
from .errors import InvalidValue, NotFound
from .history import Actor
from .models import (
    Building,
    ExecutorBuilding,
    ExecutorCategory,
    ExecutorDayChange,
    ExecutorLeave,
    ExecutorRota,
    ExecutorShift,
    User,
)
from .passwords import password_problem
from .people import Directory
from .schedule import Period, Rota, Schedule, WeeklyShift, check_pattern, hhmm

ROLES = frozenset(r.value for r in Role)
USER_FIELDS = ("full_name", "role", "extension", "phone", "is_active")
_ALPHABET = string.ascii_letters + string.digits


TEMPORARY_LENGTH = 14


def temporary_password(login: str = "") -> str:
    """14 random characters with a lower- and an upper-case letter and a digit, passing the
    password policy (journal/passwords.py) like any other; shown once to the administrator."""
    while True:
        pw = "".join(secrets.choice(_ALPHABET) for _ in range(TEMPORARY_LENGTH))
        if (any(c.isdigit() for c in pw) and any(c.islower() for c in pw) and any(c.isupper() for c in pw)
                and password_problem(pw, login) is None):
            return pw


def user_values(u: User) -> dict[str, Any]:
    return {"login": u.login, "full_name": u.full_name, "role": u.role, "extension": u.extension, "phone": u.phone,
            "is_active": u.is_active}


@dataclass
class ExecutorProfile:
    user_id: int
    categories: list[str] = field(default_factory=list)
    building_ids: list[int] = field(default_factory=list)  # empty: every building
    schedule: Schedule = field(default_factory=Schedule)
    change_ids: dict[date, int] = field(default_factory=dict)
    leave_ids: list[int] = field(default_factory=list)

    def values(self) -> dict[str, Any]:
        return {
            "categories": sorted(self.categories), "building_ids": sorted(self.building_ids),
            "weekly": [f"{s.weekday}:{hhmm(s.start_minute)}+{s.length_minutes}m" for s in self.schedule.weekly],
            "rotas": [f"{r.pattern} from {r.starts_on} {hhmm(r.start_minute)}+{r.length_minutes}m"
                      for r in self.schedule.rotas],
        }


@dataclass(frozen=True)
class Duty:
    user: User
    now: Period | None
    next: Period | None


class StaffAdmin:
    def __init__(self, db: Database, people: Directory) -> None:
        self.db = db
        self.people = people

    # -- accounts ------------------------------------------------------------------------
    async def create_user(
        self, actor: Actor, *, login: str, full_name: str, role: str, extension: str | None = None,
        phone: str | None = None,
    ) -> tuple[User, str]:
        """A new account with a temporary password (returned once) to be changed at first log-in."""
        login = login.strip()
        if not login or len(login) > 64 or any(c.isspace() for c in login):
            raise InvalidValue("login", "от 1 до 64 знаков, без пробелов")
        if not full_name.strip():
            raise InvalidValue("full_name", "не заполнено")
        if role not in ROLES:
            raise InvalidValue("role", f"неизвестная роль «{role}»")
        password = temporary_password(login)
        password_hash = await self.people.hash_new_password(password)
        async with self.db.write() as s:
            if (await s.execute(select(User.id).where(User.login == login))).first():
                raise InvalidValue("login", f"логин «{login}» уже занят")
            await self._check_extension(s, extension or None, None)
            user = User(login=login, full_name=full_name.strip(), role=role, password_hash=password_hash,
                        extension=extension or None, phone=normalize_phone(phone), is_active=True,
                        must_change_password=True)
            s.add(user)
            await s.flush()
            audit.record(s, actor, "user.create", "user", user.id, summary=f"{login} ({role})", after=user_values(user))
            return user, password

    async def _check_extension(self, s: AsyncSession, extension: str | None, user_id: int | None) -> None:
        if extension is None:
            return
        if not extension.isdigit() or len(extension) > 20:
            raise InvalidValue("extension", "только цифры")
        taken = (await s.execute(select(User.id).where(User.extension == extension))).scalar_one_or_none()
        if taken is not None and taken != user_id:
            raise InvalidValue("extension", f"номер {extension} уже занят")

    async def update_user(self, actor: Actor, user_id: int, changes: dict[str, Any]) -> User:
        unknown = set(changes) - set(USER_FIELDS)
        if unknown:
            raise InvalidValue(sorted(unknown)[0], "не изменяется")
        async with self.db.write() as s:
            user = await s.get(User, user_id)
            if user is None:
                raise NotFound("user", user_id)
            before = user_values(user)
            if "full_name" in changes:
                name = str(changes["full_name"] or "").strip()
                if not name:
                    raise InvalidValue("full_name", "не заполнено")
                user.full_name = name
            if "role" in changes:
                if changes["role"] not in ROLES:
                    raise InvalidValue("role", f"неизвестная роль «{changes['role']}»")
                user.role = changes["role"]
            if "extension" in changes:
                ext = changes["extension"] or None
                await self._check_extension(s, ext, user.id)
                user.extension = ext
            if "phone" in changes:
                user.phone = normalize_phone(changes["phone"])
            if "is_active" in changes:
                user.is_active = bool(changes["is_active"])
                if before["is_active"] and not user.is_active:
                    # Switched off: every session issued until now is void, also after a later
                    # re-activation (the security mechanism of journal/sessions.py).
                    user.sessions_valid_after = utcnow()
            if before["role"] == Role.ADMIN and before["is_active"] and (user.role != Role.ADMIN or not user.is_active):
                admins = (await s.execute(select(func.count()).select_from(User).where(
                    User.role == Role.ADMIN.value, User.is_active, User.id != user.id))).scalar_one()
                if admins == 0:
                    raise InvalidValue("role", "это последний действующий администратор")
            old, new = audit.changed(before, user_values(user))
            if new:
                action = "user.deactivate" if new.get("is_active") is False else (
                    "user.activate" if new.get("is_active") is True else "user.update")
                audit.record(s, actor, action, "user", user.id, summary=user.login, before=old, after=new)
            await s.flush()
            return user

    async def reset_password(self, actor: Actor, user_id: int) -> str:
        """A temporary password (returned once); the user's open sessions end at once, as with
        any new password, and the next log-in asks for a password of their own."""
        async with self.db.read() as s:
            found = await s.get(User, user_id)
            if found is None:
                raise NotFound("user", user_id)
            login = found.login
        password = temporary_password(login)
        password_hash = await self.people.hash_new_password(password)
        async with self.db.write() as s:
            user = await s.get(User, user_id)
            if user is None:
                raise NotFound("user", user_id)
            user.password_hash = password_hash
            user.must_change_password = True
            user.sessions_valid_after = utcnow()
            # Never the password itself in the log: only that it was reset.
            audit.record(s, actor, "user.reset_password", "user", user.id, summary=user.login,
                         after={"must_change_password": True})
        return password

    async def by_login(self, login: str) -> User:
        async with self.db.read() as s:
            user = (await s.execute(select(User).where(User.login == login))).scalar_one_or_none()
        if user is None:
            raise NotFound("user", login)
        return user

    # -- executors' profiles ---------------------------------------------------------------
    async def profile(self, user_id: int) -> ExecutorProfile:
        async with self.db.read() as s:
            return await self._profile(s, user_id)

    async def _profile(self, s: AsyncSession, user_id: int) -> ExecutorProfile:
        p = ExecutorProfile(user_id)
        p.categories = list((await s.execute(
            select(ExecutorCategory.category).where(ExecutorCategory.user_id == user_id))).scalars())
        p.building_ids = list((await s.execute(
            select(ExecutorBuilding.building_id).where(ExecutorBuilding.user_id == user_id))).scalars())
        p.schedule = (await load_schedules(s, [user_id]))[user_id]
        p.change_ids = {c.on_date: c.id for c in (await s.execute(
            select(ExecutorDayChange).where(ExecutorDayChange.user_id == user_id))).scalars()}
        p.leave_ids = list((await s.execute(
            select(ExecutorLeave.id).where(ExecutorLeave.user_id == user_id).order_by(ExecutorLeave.starts_on)
        )).scalars())
        return p

    async def _executor(self, s: AsyncSession, user_id: int) -> User:
        user = await s.get(User, user_id)
        if user is None or user.role != Role.EXECUTOR:
            raise NotFound("executor", user_id)
        return user

    async def set_profile(
        self, actor: Actor, user_id: int, *, categories: Sequence[str], building_ids: Sequence[int],
        weekly: Sequence[WeeklyShift], rota: Rota | None,
    ) -> ExecutorProfile:
        for c in categories:
            if c not in CATEGORIES:
                raise InvalidValue("category", f"неизвестная категория «{c}»")
        if rota is not None:
            check_pattern(rota.pattern)
        spans = [(sh.start_minute, sh.length_minutes) for sh in weekly]
        if rota is not None:
            spans.append((rota.start_minute, rota.length_minutes))
        for start, length in spans:
            if not (0 <= start <= 1439 and 1 <= length <= 2880):
                raise InvalidValue("shift", "смена начинается в пределах суток и длится не больше 48 часов")
        for sh in weekly:
            if not 0 <= sh.weekday <= 6:
                raise InvalidValue("weekday", "день недели от 0 до 6")
        async with self.db.write() as s:
            user = await self._executor(s, user_id)
            known = set((await s.execute(select(Building.id).where(Building.id.in_(list(building_ids))))).scalars())
            missing = set(building_ids) - known
            if missing:
                raise NotFound("building", min(missing))
            before = (await self._profile(s, user_id)).values()
            for table in (ExecutorCategory, ExecutorBuilding, ExecutorShift, ExecutorRota):
                await s.execute(delete(table).where(table.user_id == user_id))
            s.add_all(ExecutorCategory(user_id=user_id, category=c) for c in dict.fromkeys(categories))
            s.add_all(ExecutorBuilding(user_id=user_id, building_id=b) for b in dict.fromkeys(building_ids))
            s.add_all(ExecutorShift(user_id=user_id, weekday=sh.weekday, start_minute=sh.start_minute,
                                    length_minutes=sh.length_minutes) for sh in weekly)
            if rota is not None:
                s.add(ExecutorRota(user_id=user_id, starts_on=rota.starts_on, start_minute=rota.start_minute,
                                   length_minutes=rota.length_minutes, pattern=rota.pattern))
            await s.flush()
            after = await self._profile(s, user_id)
            old, new = audit.changed(before, after.values())
            if new:
                audit.record(s, actor, "executor.profile", "user", user_id, summary=user.login, before=old, after=new)
            return after

    async def set_day_change(
        self, actor: Actor, user_id: int, on_date: date, *, start_minute: int | None, length_minutes: int | None,
        reason: str | None = None,
    ) -> None:
        """One day differs from the schedule: another shift that day, or (no start) a day off."""
        if (start_minute is None) != (length_minutes is None):
            raise InvalidValue("shift", "укажите и начало, и конец смены, или ни того ни другого")
        if start_minute is not None and length_minutes is not None and not (
                0 <= start_minute <= 1439 and 1 <= length_minutes <= 2880):
            raise InvalidValue("shift", "смена начинается в пределах суток и длится не больше 48 часов")
        async with self.db.write() as s:
            user = await self._executor(s, user_id)
            row = (await s.execute(select(ExecutorDayChange).where(
                ExecutorDayChange.user_id == user_id, ExecutorDayChange.on_date == on_date))).scalar_one_or_none()
            before = _change_values(row) if row else None
            if row is None:
                row = ExecutorDayChange(user_id=user_id, on_date=on_date)
                s.add(row)
            row.start_minute, row.length_minutes, row.reason = start_minute, length_minutes, reason or None
            audit.record(s, actor, "executor.day_change", "user", user_id, summary=f"{user.login} {on_date}",
                         before=before, after=_change_values(row))

    async def delete_day_change(self, actor: Actor, user_id: int, change_id: int) -> None:
        async with self.db.write() as s:
            row = await s.get(ExecutorDayChange, change_id)
            if row is None or row.user_id != user_id:
                raise NotFound("day_change", change_id)
            audit.record(s, actor, "executor.day_change_delete", "user", user_id, summary=str(row.on_date),
                         before=_change_values(row))
            await s.delete(row)

    async def add_leave(self, actor: Actor, user_id: int, starts_on: date, ends_on: date,
                        reason: str | None = None) -> int:
        if ends_on < starts_on:
            raise InvalidValue("leave", "конец раньше начала")
        async with self.db.write() as s:
            user = await self._executor(s, user_id)
            row = ExecutorLeave(user_id=user_id, starts_on=starts_on, ends_on=ends_on, reason=reason or None)
            s.add(row)
            await s.flush()
            audit.record(s, actor, "executor.leave", "user", user_id, summary=user.login,
                         after={"from": starts_on, "to": ends_on, "reason": reason})
            return row.id

    async def delete_leave(self, actor: Actor, user_id: int, leave_id: int) -> None:
        async with self.db.write() as s:
            row = await s.get(ExecutorLeave, leave_id)
            if row is None or row.user_id != user_id:
                raise NotFound("leave", leave_id)
            audit.record(s, actor, "executor.leave_delete", "user", user_id,
                         before={"from": row.starts_on, "to": row.ends_on, "reason": row.reason})
            await s.delete(row)

    async def leave(self, user_id: int) -> Sequence[ExecutorLeave]:
        async with self.db.read() as s:
            return (await s.execute(select(ExecutorLeave).where(ExecutorLeave.user_id == user_id)
                                    .order_by(ExecutorLeave.starts_on))).scalars().all()

    async def duty(self, at: datetime, tz: Any) -> list[Duty]:
        """Every active executor: the shift running now and the next one."""
        async with self.db.read() as s:
            users = (await s.execute(select(User).where(User.role == Role.EXECUTOR.value, User.is_active)
                                     .order_by(User.full_name))).scalars().all()
            schedules = await load_schedules(s, [u.id for u in users])
        return [Duty(u, schedules[u.id].shift_at(at, tz), schedules[u.id].next_shift(at, tz)) for u in users]


def _change_values(row: ExecutorDayChange) -> dict[str, Any]:
    if row.start_minute is None or row.length_minutes is None:
        return {"date": row.on_date, "shift": None, "reason": row.reason}
    return {"date": row.on_date, "shift": f"{hhmm(row.start_minute)}+{row.length_minutes}m", "reason": row.reason}


__all__ = ["Duty", "ExecutorProfile", "StaffAdmin", "temporary_password"]
