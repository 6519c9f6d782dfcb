"""Reading mass outages: what the voice menu asks at call start (in one transaction), what the
console lists, and the «Похоже на массовую аварию» suggestions. Every query enforces the expiry:
an outage is announced only while active or localised, started and not expired."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .addresses import normalize_phone
from .clock import utcnow
from .db import Database
from .enums import ANNOUNCED_STATES, UTILITY_CATEGORY, UTILITY_LABELS, Channel, OutageState, Utility
from .errors import NotFound
from .models import Building, Outage, OutageBuilding, Ticket
from .monitoring import _training_condition
from .people import resident_by_phone

# At most this many outages are offered to a caller whose building is unknown.
MAX_OFFERED = 3


def street_name(street_type: str, street: str) -> str:
    """Stored in lower case for matching; said and shown capitalised: «улица Ленина»."""
    return f"{street_type} {street[:1].upper()}{street[1:]}"


@dataclass(frozen=True)
class CallerOutlook:
    """What the voice menu needs when a call starts, read in one transaction: the caller's
    tickets (newest first), the building of the phone's resident, the outage announced there,
    and, when the building is unknown, the few outages announced anywhere."""

    history: Sequence[Ticket]
    building_id: int | None
    outage: Outage | None
    offered: Sequence[Outage]


@dataclass(frozen=True)
class Suggestion:
    category: str
    street: str
    building_ids: list[int]
    ticket_ids: list[int]
    calls: int  # the tickets and the repeat calls linked to them


def describe(outage: Outage) -> str:
    return f"{UTILITY_LABELS[Utility(outage.utility)]}, {outage.streets or 'дома не указаны'}"


def _announced(now: datetime) -> list[object]:
    return [Outage.state.in_([s.value for s in ANNOUNCED_STATES]), Outage.started_at <= now, Outage.expires_at > now]


async def _announced_for_building(s: AsyncSession, building_id: int, now: datetime) -> Outage | None:
    stmt = (
        select(Outage)
        .join(OutageBuilding, OutageBuilding.outage_id == Outage.id)
        .where(OutageBuilding.building_id == building_id, *_announced(now))  # type: ignore[arg-type]
        .order_by(Outage.started_at.desc(), Outage.id.desc())
        .limit(1)
    )
    return (await s.execute(stmt)).scalar_one_or_none()


async def _announced_all(s: AsyncSession, now: datetime, limit: int | None = None) -> Sequence[Outage]:
    stmt = select(Outage).where(*_announced(now)).order_by(Outage.started_at, Outage.id)  # type: ignore[arg-type]
    if limit is not None:
        stmt = stmt.limit(limit)
    return (await s.execute(stmt)).scalars().all()


class OutageReads:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- the voice menu's questions ---------------------------------------------------
    async def active_outage_for_building(self, building_id: int, now: datetime | None = None) -> Outage | None:
        """The outage announced to callers of this building now (the newest if several)."""
        async with self.db.read() as s:
            return await _announced_for_building(s, building_id, now or utcnow())

    async def announced(self, now: datetime | None = None) -> Sequence[Outage]:
        async with self.db.read() as s:
            return await _announced_all(s, now or utcnow())

    async def caller_outlook(
        self, phone: str | None, now: datetime | None = None, *, training: bool = False, history_limit: int = 10
    ) -> CallerOutlook:
        now = now or utcnow()
        norm = normalize_phone(phone)
        async with self.db.read() as s:
            tickets: Sequence[Ticket] = []
            building_id = None
            if norm:
                stmt = (select(Ticket).where(Ticket.caller_phone == norm, _training_condition(training))
                        .order_by(Ticket.received_at.desc()).limit(history_limit))
                tickets = (await s.execute(stmt)).scalars().all()
                resident = await resident_by_phone(s, norm)
                building_id = resident.building_id if resident is not None else None
            if training:
                # A training call never meets a real outage.
                return CallerOutlook(tickets, building_id, None, ())
            if building_id is not None:
                return CallerOutlook(tickets, building_id, await _announced_for_building(s, building_id, now), ())
            offered = await _announced_all(s, now, MAX_OFFERED + 1)
            # More than a few cannot be offered one key each: the caller goes to the menu.
            return CallerOutlook(tickets, None, None, offered if len(offered) <= MAX_OFFERED else ())

    # -- reading ---------------------------------------------------------------------
    async def get(self, outage_id: int) -> Outage:
        async with self.db.read() as s:
            outage = await s.get(Outage, outage_id)
        if outage is None:
            raise NotFound("outage", outage_id)
        return outage

    async def building_ids(self, outage_id: int) -> list[int]:
        async with self.db.read() as s:
            rows = await s.execute(select(OutageBuilding.building_id).where(OutageBuilding.outage_id == outage_id)
                                   .order_by(OutageBuilding.building_id))
            return [int(r) for r in rows.scalars()]

    async def children(self, outage_id: int) -> Sequence[Ticket]:
        """The residents' tickets of the outage (its parent ticket left out)."""
        async with self.db.read() as s:
            parent = (await s.execute(select(Outage.parent_ticket_id).where(Outage.id == outage_id))).scalar()
            stmt = select(Ticket).where(Ticket.outage_id == outage_id).order_by(Ticket.received_at, Ticket.id)
            if parent is not None:
                stmt = stmt.where(Ticket.id != parent)
            return (await s.execute(stmt)).scalars().all()

    async def current(self) -> Sequence[Outage]:
        """Outages not yet restored or cancelled, expired ones included (the console shows them
        so that a dispatcher extends or ends them)."""
        async with self.db.read() as s:
            stmt = (select(Outage).where(Outage.state.in_([OutageState.PROPOSED.value, *(x.value for x in ANNOUNCED_STATES)]))
                    .order_by(Outage.started_at, Outage.id))
            return (await s.execute(stmt)).scalars().all()

    async def suggestions(self, *, calls: int, window: timedelta, now: datetime | None = None) -> list[Suggestion]:
        """«Похоже на массовую аварию»: at least ``calls`` tickets of one category from one
        building, or from one street, within ``window``, not in an outage announced there."""
        now = now or utcnow()
        async with self.db.read() as s:
            rows = (await s.execute(
                select(Ticket.id, Ticket.repeat_count, Ticket.category, Ticket.building_id, Building.street_type,
                       Building.street)
                .join(Building, Building.id == Ticket.building_id)
                .where(Ticket.received_at >= now - window, Ticket.outage_id.is_(None),
                       Ticket.channel != Channel.TRAINING.value, Ticket.category.in_(set(UTILITY_CATEGORY.values())))
                .order_by(Ticket.id)
            )).all()
            covered = set((await s.execute(
                select(OutageBuilding.building_id).join(Outage, Outage.id == OutageBuilding.outage_id)
                .where(*_announced(now))  # type: ignore[arg-type]
            )).scalars())
        groups: dict[tuple[str, str], list[tuple[int, int, int]]] = {}
        for tid, repeats, category, building_id, street_type, street in rows:
            if building_id is None or building_id in covered:
                continue
            where = street_name(street_type, street)
            groups.setdefault((category, where), []).append((tid, building_id, 1 + repeats))
        found = []
        for (category, where), items in sorted(groups.items()):
            # A repeat call from the same flat is linked to the first ticket: it counts as a call.
            count = sum(n for _, _, n in items)
            if count >= calls:
                found.append(Suggestion(category, where, sorted({b for _, b, _ in items}), [t for t, _, _ in items],
                                        count))
        return found

    async def recent(self, *, limit: int = 50) -> Sequence[Outage]:
        async with self.db.read() as s:
            stmt = select(Outage).order_by(Outage.id.desc()).limit(limit)
            return (await s.execute(stmt)).scalars().all()


__all__ = ["MAX_OFFERED", "CallerOutlook", "OutageReads", "Suggestion", "describe", "street_name"]
