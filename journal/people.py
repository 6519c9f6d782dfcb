"""Buildings the company serves, residents (found by phone), staff and executors' profiles."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from .addresses import STREET_TYPES, address_key, normalize_phone, normalize_street
from .clock import utcnow
from .db import Database
from .enums import CATEGORIES, Role
from .errors import InvalidValue, NotFound
from .models import Building, ExecutorBuilding, ExecutorCategory, ExecutorLeave, ExecutorShift, Resident, User
from .passwords import password_problem

_hasher = PasswordHasher()


def _verify(password_hash: str | None, password: str) -> bool:
    if password_hash is None:
        # Spend the same time as a real check, so a log-in probe can't tell who exists.
        _hasher.hash(password)
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class Shift:
    weekday: int  # 0 = Monday
    start_minute: int
    length_minutes: int

    @classmethod
    def parse(cls, weekday: int, span: str) -> Shift:
        """``Shift.parse(0, "08:00-20:00")``; a span ending before it starts runs past midnight."""
        start_text, end_text = span.split("-")
        start = _minutes(start_text)
        end = _minutes(end_text)
        length = end - start if end > start else end + 1440 - start
        return cls(weekday, start, length)


def _minutes(hhmm: str) -> int:
    h, m = hhmm.strip().split(":")
    return int(h) * 60 + int(m)


async def resident_by_phone(s: AsyncSession, phone: str) -> Resident | None:
    """The resident whose main number or one of whose other numbers this is (normalised)."""
    row = (await s.execute(select(Resident).where(Resident.phone == phone))).scalar_one_or_none()
    if row is None:
        row = (await s.execute(select(Resident).where(Resident.other_phones.like(f"%,{phone},%"))
                               .order_by(Resident.id).limit(1))).scalar_one_or_none()
    return row


class Directory:
    def __init__(self, db: Database, *, max_concurrent_hashes: int = 2) -> None:
        self.db = db
        self._hash_slots = asyncio.Semaphore(max_concurrent_hashes)

    # -- buildings -----------------------------------------------------------------------
    async def add_building(
        self, street: str, house: str, building: str | None = None, *, street_type: str = "улица",
        district: str | None = None,
    ) -> Building:
        key = address_key(street, house, building)
        async with self.db.write() as s:
            existing = (await s.execute(select(Building).where(Building.address_key == key))).scalar_one_or_none()
            if existing:
                return existing
            row = Building(
                street=normalize_street(street), street_type=STREET_TYPES.get(street_type.lower().rstrip("."), street_type),
                house=house.strip().lower(), building=(building or None), address_key=key, district=district,
            )
            s.add(row)
            await s.flush()
            return row

    async def find_building(self, street: str, house: str, building: str | None = None) -> Building | None:
        async with self.db.read() as s:
            stmt = select(Building).where(Building.address_key == address_key(street, house, building))
            return (await s.execute(stmt)).scalar_one_or_none()

    async def buildings(self) -> Sequence[Building]:
        async with self.db.read() as s:
            return (await s.execute(select(Building).order_by(Building.street, Building.house))).scalars().all()

    # -- residents -----------------------------------------------------------------------
    async def residents(self, *, limit: int = 200) -> Sequence[Resident]:
        async with self.db.read() as s:
            return (await s.execute(select(Resident).order_by(Resident.name, Resident.phone).limit(limit))).scalars().all()

    async def find_resident(self, phone: str) -> Resident | None:
        norm = normalize_phone(phone)
        if norm is None:
            return None
        async with self.db.read() as s:
            return await resident_by_phone(s, norm)

    async def save_resident(
        self, phone: str, *, name: str | None = None, building_id: int | None = None, apartment: str | None = None
    ) -> Resident:
        norm = normalize_phone(phone)
        if norm is None:
            raise InvalidValue("phone", f"not a phone number: {phone!r}")
        async with self.db.write() as s:
            row = (await s.execute(select(Resident).where(Resident.phone == norm))).scalar_one_or_none()
            if row is None:
                row = Resident(phone=norm)
                s.add(row)
            if name is not None:
                row.name = name
            if building_id is not None:
                row.building_id = building_id
            if apartment is not None:
                row.apartment = apartment
            await s.flush()
            return row

    # -- staff ---------------------------------------------------------------------------
    async def create_user(
        self, login: str, full_name: str, role: str, password: str, *, extension: str | None = None,
        phone: str | None = None,
    ) -> User:
        if role not in {r.value for r in Role}:
            raise InvalidValue("role", f"unknown role {role!r} (known: {', '.join(r.value for r in Role)})")
        password_hash = await self.hash_new_password(password)
        async with self.db.write() as s:
            if (await s.execute(select(User.id).where(User.login == login))).first():
                raise InvalidValue("login", f"user {login!r} already exists")
            if extension and (await s.execute(select(User.id).where(User.extension == extension))).first():
                raise InvalidValue("extension", f"extension {extension} is already taken")
            user = User(
                login=login, full_name=full_name, role=role, password_hash=password_hash,
                extension=extension, phone=normalize_phone(phone),
            )
            s.add(user)
            await s.flush()
            return user

    async def hash_new_password(self, password: str) -> str:
        """The one place a new password is checked and hashed: accounts made here or by an
        administrator, resets and a user's own change all come through it."""
        if len(password) < 8:
            raise InvalidValue("password", "must be at least 8 characters")
        async with self._hash_slots:
            return await asyncio.to_thread(_hasher.hash, password)

    async def change_password(self, user_id: int, new_password: str) -> None:
        """A user's own new password (after an administrator's reset): the reset mark is cleared.
        The password policy applies (InvalidValue with the reason in Russian)."""
        login = (await self.user(user_id)).login
        if problem := password_problem(new_password, login):
            raise InvalidValue("password", problem)
        password_hash = await self.hash_new_password(new_password)
        async with self.db.write() as s:
            user = await s.get(User, user_id)
            if user is None:
                raise NotFound("user", user_id)
            user.password_hash = password_hash
            user.must_change_password = False

    async def authenticate(self, login: str, password: str) -> User | None:
        """The active user with this login and password, or None.

        An argon2 check costs ~140 ms of CPU: it runs in a worker thread, two at most, so a
        burst of log-ins never stalls the event loop (Asterisk drops ARI/AMI readers that fall
        100 ms behind) nor takes over the thread pool."""
        async with self.db.read() as s:
            user = (await s.execute(select(User).where(User.login == login, User.is_active))).scalar_one_or_none()
        async with self._hash_slots:
            ok = await asyncio.to_thread(_verify, user.password_hash if user else None, password)
        return user if ok else None

    async def user(self, user_id: int) -> User:
        async with self.db.read() as s:
            user = await s.get(User, user_id)
        if user is None:
            raise NotFound("user", user_id)
        return user

    async def user_by_login(self, login: str) -> User:
        async with self.db.read() as s:
            user = (await s.execute(select(User).where(User.login == login))).scalar_one_or_none()
        if user is None:
            raise NotFound("user", login)
        return user

    async def set_password(self, user_id: int, password: str) -> None:
        """A new password; every session of the user issued before it is void."""
        if len(password) < 8:
            raise InvalidValue("password", "must be at least 8 characters")
        async with self._hash_slots:
            password_hash = await asyncio.to_thread(_hasher.hash, password)
        async with self.db.write() as s:
            user = await s.get(User, user_id)
            if user is None:
                raise NotFound("user", user_id)
            user.password_hash = password_hash
            user.sessions_valid_after = utcnow()

    async def update_user(self, user_id: int, *, role: str | None = None, active: bool | None = None) -> User:
        """Change a user's role or switch the account off; their open sessions see it at once
        (the console checks the user on every request)."""
        if role is not None and role not in {r.value for r in Role}:
            raise InvalidValue("role", f"unknown role {role!r}")
        async with self.db.write() as s:
            user = await s.get(User, user_id)
            if user is None:
                raise NotFound("user", user_id)
            if role is not None:
                user.role = role
            if active is not None:
                if user.is_active and not active:
                    # Sessions issued until now stay void if the account is switched on again.
                    user.sessions_valid_after = utcnow()
                user.is_active = active
            await s.flush()
            return user

    async def verify_password(self, user: User, password: str) -> bool:
        """Whether this user's password is ``password`` (argon2 off the event loop)."""
        async with self._hash_slots:
            return await asyncio.to_thread(_verify, user.password_hash, password)

    async def user_by_extension(self, extension: str) -> User | None:
        async with self.db.read() as s:
            return (await s.execute(select(User).where(User.extension == extension))).scalar_one_or_none()

    async def users(self, role: str | None = None) -> Sequence[User]:
        async with self.db.read() as s:
            stmt = select(User).order_by(User.full_name)
            if role:
                stmt = stmt.where(User.role == role)
            return (await s.execute(stmt)).scalars().all()

    # -- executors -----------------------------------------------------------------------
    async def set_executor_profile(
        self, user_id: int, *, categories: Iterable[str], building_ids: Iterable[int] = (),
        shifts: Iterable[Shift] = (),
    ) -> None:
        categories = list(categories)
        for c in categories:
            if c not in CATEGORIES:
                raise InvalidValue("category", f"unknown category {c!r}")
        async with self.db.write() as s:
            user = await s.get(User, user_id)
            if user is None or user.role != Role.EXECUTOR:
                raise NotFound("executor", user_id)
            for table in (ExecutorCategory, ExecutorBuilding, ExecutorShift):
                await s.execute(delete(table).where(table.user_id == user_id))
            s.add_all(ExecutorCategory(user_id=user_id, category=c) for c in categories)
            s.add_all(ExecutorBuilding(user_id=user_id, building_id=b) for b in building_ids)
            s.add_all(
                ExecutorShift(user_id=user_id, weekday=sh.weekday, start_minute=sh.start_minute, length_minutes=sh.length_minutes)
                for sh in shifts
            )

    async def add_leave(self, user_id: int, starts_on: date, ends_on: date, reason: str | None = None) -> None:
        if ends_on < starts_on:
            raise InvalidValue("leave", "ends before it starts")
        async with self.db.write() as s:
            s.add(ExecutorLeave(user_id=user_id, starts_on=starts_on, ends_on=ends_on, reason=reason))
