"""Mass outages: one incident, many callers.

An outage covers buildings; while it is active or localised, started and not expired, callers
of those buildings hear its announcement instead of registering one more ticket each. Its
parent ticket (an emergency) runs the normative deadlines; each affected resident's ticket is
a child. The parent's localisation and restoration (with the resolution text) reach every
open child; each child is still closed on its own, since a resident may still have no water.

Expiry is enforced by every query: an outage nobody restored stops being announced at its
``expires_at`` (by default the end of the dispatchers' shift), so nothing stays on by mistake.
Every change is a row of the audit log.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from . import audit, history
from .addresses import normalize_phone
from .clock import utcnow
from .db import Database
from .enums import (
    ANNOUNCED_STATES,
    OUTAGE_STATE_LABELS,
    UTILITY_CATEGORY,
    UTILITY_LABELS,
    Channel,
    HistoryKind,
    OutageState,
    Priority,
    Status,
    Utility,
)
from .errors import InvalidValue, NotFound
from .history import Actor
from .lifecycle import can_change
from .models import Building, Outage, OutageBuilding, Ticket
from .monitoring import _training_condition
from .people import resident_by_phone
from .tickets import NewTicket, Registration, TicketService

log = structlog.get_logger(__name__)

OS = OutageState
# Which state may follow which; restored and cancelled are final.
TRANSITIONS: dict[OutageState, frozenset[OutageState]] = {
    OS.PROPOSED: frozenset({OS.ACTIVE, OS.CANCELLED}),
    OS.ACTIVE: frozenset({OS.LOCALISED, OS.RESTORED, OS.CANCELLED}),
    OS.LOCALISED: frozenset({OS.RESTORED, OS.CANCELLED}),
    OS.RESTORED: frozenset(),
    OS.CANCELLED: frozenset(),
}
MAX_ANNOUNCEMENT = 500
MAX_BUILDINGS = 2000
# At most this many outages are offered to a caller whose building is unknown.
MAX_OFFERED = 3


@dataclass(frozen=True)
class OutageRules:
    timezone: str = "Europe/Moscow"
    # The dispatchers' shift changes, local time: an outage expires at the next one by default.
    shift_changes: tuple[time, ...] = (time(8, 0), time(20, 0))

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def end_of_shift(at: datetime, rules: OutageRules) -> datetime:
    """The first shift change strictly after ``at``."""
    local = at.astimezone(rules.tz)
    candidates = []
    for days in (0, 1):
        day = local.date() + timedelta(days=days)
        for change in rules.shift_changes or (time(0, 0),):
            candidates.append(datetime.combine(day, change, rules.tz))
    return min(c for c in candidates if c > local)


@dataclass(frozen=True)
class OutageDraft:
    utility: str
    building_ids: Sequence[int]
    announcement: str
    cause: str | None = None
    started_at: datetime | None = None  # None: now; later: a planned shut-off
    expected_restoration: datetime | None = None
    expires_at: datetime | None = None  # None: the end of the shift the outage starts in
    proposed: bool = False  # a suggestion awaiting a dispatcher's decision


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


def _snapshot(o: Outage, building_ids: Iterable[int] | None = None) -> dict[str, object]:
    values: dict[str, object] = {
        "utility": o.utility, "state": o.state, "cause": o.cause, "announcement": o.announcement,
        "started_at": o.started_at, "expected_restoration": o.expected_restoration, "expires_at": o.expires_at,
    }
    if building_ids is not None:
        values["buildings"] = sorted(building_ids)
    return values


class OutageService:
    def __init__(self, db: Database, tickets: TicketService, rules: OutageRules = OutageRules()) -> None:
        self.db = db
        self.tickets = tickets
        self.rules = rules

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
            stmt = (select(Outage).where(Outage.state.in_([OS.PROPOSED.value, *(x.value for x in ANNOUNCED_STATES)]))
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
            where = f"{street_type} {street[:1].upper()}{street[1:]}"
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

    # -- declaring and changing -------------------------------------------------------
    def _check_text(self, announcement: str) -> str:
        text = " ".join(announcement.split())
        if not text:
            raise InvalidValue("announcement", "текст объявления пуст")
        if len(text) > MAX_ANNOUNCEMENT:
            raise InvalidValue("announcement", f"текст объявления длиннее {MAX_ANNOUNCEMENT} знаков")
        return text

    async def _buildings(self, s: AsyncSession, building_ids: Sequence[int]) -> list[Building]:
        ids = sorted(set(building_ids))
        if not ids:
            raise InvalidValue("buildings", "не выбран ни один дом")
        if len(ids) > MAX_BUILDINGS:
            raise InvalidValue("buildings", f"не больше {MAX_BUILDINGS} домов в одной аварии")
        found = list((await s.execute(select(Building).where(Building.id.in_(ids)))).scalars())
        missing = set(ids) - {b.id for b in found}
        if missing:
            raise InvalidValue("buildings", f"нет домов с номерами {', '.join(map(str, sorted(missing)))}")
        return found

    @staticmethod
    def _streets(buildings: Sequence[Building]) -> str:
        # Stored in lower case for matching; said and shown capitalised: «улица Ленина».
        streets = sorted({f"{b.street_type} {b.street[:1].upper()}{b.street[1:]}" for b in buildings})
        return ", ".join(streets)[:300]

    async def declare(self, draft: OutageDraft, actor: Actor) -> Outage:
        try:
            utility = Utility(draft.utility)
        except ValueError:
            raise InvalidValue("utility", f"неизвестный вид аварии {draft.utility!r}") from None
        text = self._check_text(draft.announcement)
        now = utcnow()
        started = draft.started_at or now
        expires = draft.expires_at or end_of_shift(max(started, now), self.rules)
        self._check_times(started, draft.expected_restoration, expires, now)
        async with self.db.write() as s:
            buildings = await self._buildings(s, draft.building_ids)
            outage = Outage(
                utility=utility.value, state=(OS.PROPOSED if draft.proposed else OS.ACTIVE).value, cause=draft.cause,
                announcement=text, started_at=started, expected_restoration=draft.expected_restoration,
                expires_at=expires, streets=self._streets(buildings), declared_by_id=actor.user_id,
                declared_by=actor.label, created_at=now, updated_at=now,
            )
            s.add(outage)
            await s.flush()
            s.add_all(OutageBuilding(outage_id=outage.id, building_id=b.id) for b in buildings)
            audit.record(s, actor, "outage.declare", "outage", outage.id,
                         summary=f"Авария: {describe(outage)} ({OUTAGE_STATE_LABELS[OS(outage.state)]})",
                         after=_snapshot(outage, (b.id for b in buildings)))
        log.info("outage.declared", outage_id=outage.id, utility=utility.value, buildings=len(buildings),
                 state=outage.state)
        if outage.state == OS.ACTIVE:
            outage = await self._ensure_parent(outage.id, actor)
        return outage

    @staticmethod
    def _check_times(started: datetime, restoration: datetime | None, expires: datetime, now: datetime) -> None:
        for name, value in (("started_at", started), ("expected_restoration", restoration), ("expires_at", expires)):
            if value is not None and value.tzinfo is None:
                raise InvalidValue(name, "время без часового пояса")
        if expires <= started:
            raise InvalidValue("expires_at", "срок действия кончается раньше начала")
        if expires <= now:
            raise InvalidValue("expires_at", "срок действия уже истёк")
        if restoration is not None and restoration < started:
            raise InvalidValue("expected_restoration", "восстановление раньше начала")

    async def change(
        self, outage_id: int, actor: Actor, *, announcement: str | None = None, cause: str | None = None,
        expected_restoration: datetime | None = None, expires_at: datetime | None = None,
        building_ids: Sequence[int] | None = None,
    ) -> Outage:
        """Edit what callers hear and when it ends; ``None`` leaves a field as it is."""
        now = utcnow()
        async with self.db.write() as s:
            outage = await self._locked(s, outage_id)
            if OS(outage.state) not in (OS.PROPOSED, *ANNOUNCED_STATES):
                raise InvalidValue("state", f"авария уже {OUTAGE_STATE_LABELS[OS(outage.state)]}: изменить нельзя")
            old_ids = await self._ids(s, outage_id)
            before = _snapshot(outage, old_ids)
            if announcement is not None:
                outage.announcement = self._check_text(announcement)
            if cause is not None:
                outage.cause = cause.strip() or None
            if expected_restoration is not None:
                outage.expected_restoration = expected_restoration
            if expires_at is not None:
                outage.expires_at = expires_at
            self._check_times(outage.started_at, outage.expected_restoration, outage.expires_at, now)
            new_ids = old_ids
            if building_ids is not None:
                buildings = await self._buildings(s, building_ids)
                new_ids = [b.id for b in buildings]
                await s.execute(delete(OutageBuilding).where(OutageBuilding.outage_id == outage_id))
                s.add_all(OutageBuilding(outage_id=outage_id, building_id=b) for b in new_ids)
                outage.streets = self._streets(buildings)
            outage.updated_at = now
            b, a = audit.changed(before, _snapshot(outage, new_ids))
            audit.record(s, actor, "outage.change", "outage", outage.id, summary=f"Авария изменена: {describe(outage)}",
                         before=b, after=a)
        log.info("outage.changed", outage_id=outage_id, fields=sorted(a))
        return outage

    async def set_state(
        self, outage_id: int, wanted: str, actor: Actor, *, resolution: str | None = None, comment: str | None = None
    ) -> Outage:
        try:
            state = OS(wanted)
        except ValueError:
            raise InvalidValue("state", f"неизвестное состояние {wanted!r}") from None
        now = utcnow()
        async with self.db.write() as s:
            outage = await self._locked(s, outage_id)
            current = OS(outage.state)
            if state not in TRANSITIONS[current]:
                raise InvalidValue("state", f"из состояния «{OUTAGE_STATE_LABELS[current]}» нельзя перейти в "
                                            f"«{OUTAGE_STATE_LABELS[state]}»")
            if state == OS.RESTORED and not (resolution or "").strip():
                raise InvalidValue("resolution", "укажите, что сделано (текст получат все присоединённые заявки)")
            outage.state = state.value
            outage.updated_at = now
            if state == OS.RESTORED:
                outage.restored_at = now
                outage.resolution = (resolution or "").strip()
            audit.record(s, actor, f"outage.{state.value}", "outage", outage.id,
                         summary=f"Авария: {describe(outage)} — {OUTAGE_STATE_LABELS[state]}",
                         before={"state": current.value}, after={"state": state.value, "comment": comment,
                                                                  "resolution": outage.resolution})
        log.info("outage.state", outage_id=outage_id, before=current.value, after=state.value)
        if state == OS.ACTIVE:
            return await self._ensure_parent(outage_id, actor)
        await self._propagate(outage, state, actor, comment)
        return outage

    async def _locked(self, s: AsyncSession, outage_id: int) -> Outage:
        outage = (await s.execute(select(Outage).where(Outage.id == outage_id).with_for_update())).scalar_one_or_none()
        if outage is None:
            raise NotFound("outage", outage_id)
        return outage

    @staticmethod
    async def _ids(s: AsyncSession, outage_id: int) -> list[int]:
        rows = await s.execute(select(OutageBuilding.building_id).where(OutageBuilding.outage_id == outage_id))
        return sorted(int(r) for r in rows.scalars())

    async def _ensure_parent(self, outage_id: int, actor: Actor) -> Outage:
        """The parent emergency ticket, made once (a second call finds it)."""
        outage = await self.get(outage_id)
        if outage.parent_ticket_id is not None:
            return outage
        title = f"Массовая авария: {describe(outage)}"
        reg = await self.tickets.register(NewTicket(
            channel=Channel.PHONE_DISPATCHER.value, category=UTILITY_CATEGORY[Utility(outage.utility)],
            priority=Priority.EMERGENCY.value, actor=actor, address_text=outage.streets or None,
            description="\n".join(x for x in (title, outage.cause, outage.announcement) if x),
            received_at=outage.started_at if outage.started_at <= utcnow() else None,
        ))
        async with self.db.write() as s:
            locked = await self._locked(s, outage_id)
            if locked.parent_ticket_id is None:
                locked.parent_ticket_id = reg.ticket.id
            await s.execute(update(Ticket).where(Ticket.id == reg.ticket.id).values(outage_id=outage_id))
            return locked

    async def _propagate(self, outage: Outage, state: OutageState, actor: Actor, comment: str | None) -> None:
        ids = [t.id for t in await self.children(outage.id) if t.is_open]
        parent = outage.parent_ticket_id
        if state == OS.LOCALISED:
            for tid in ([parent] if parent else []) + ids:
                await self.tickets.mark_localized(tid, actor, comment or "Авария локализована")
        elif state == OS.RESTORED:
            text = outage.resolution or ""
            for tid in ([parent] if parent else []) + ids:
                ticket = await self.tickets.get(tid)
                if can_change(ticket.status, Status.DONE):
                    await self.tickets.change_status(tid, Status.DONE.value, actor, result=text,
                                                     comment=comment or "Авария устранена")
        elif state == OS.CANCELLED:
            # A false alarm: the residents' tickets are worked one by one again.
            for tid in ids:
                await self.detach(tid, actor, note="Авария отменена: заявка рассматривается отдельно")
            if parent:
                ticket = await self.tickets.get(parent)
                if can_change(ticket.status, Status.CANCELLED):
                    await self.tickets.change_status(parent, Status.CANCELLED.value, actor, comment=comment)

    # -- children ---------------------------------------------------------------------
    async def add_caller(
        self, outage_id: int, *, actor: Actor, channel: str, caller_phone: str | None, caller_name: str | None = None,
        call_id: int | None = None, description: str | None = None,
    ) -> Registration:
        """A caller of an affected building stayed on the line: their ticket is a child (or,
        if they already have one in this outage, a repeat on it)."""
        outage = await self.get(outage_id)
        if outage.parent_ticket_id is None:
            outage = await self._ensure_parent(outage_id, Actor.system("outage"))
        reg = await self.tickets.register(NewTicket(
            channel=channel, category=UTILITY_CATEGORY[Utility(outage.utility)], actor=actor,
            caller_phone=caller_phone, caller_name=caller_name, call_id=call_id,
            description=description or f"Учтён в массовой аварии: {describe(outage)}",
            # The parent's executor works the outage.
            auto_assign=False, outage_id=outage.id, parent_id=outage.parent_ticket_id,
        ))
        log.info("outage.caller_added", outage_id=outage_id, ticket_id=reg.ticket.id, created=reg.created)
        return reg

    async def not_restored(self, ticket_id: int, actor: Actor) -> Ticket:
        """The resident says the service is still not back (the restoration call's «2»): their
        ticket opens again, with a note, to be worked on its own."""
        ticket = await self.tickets.get(ticket_id)
        note = "Житель сообщил, что услуга не восстановлена (обратный звонок после устранения аварии)"
        if not can_change(ticket.status, Status.REOPENED):
            await self.tickets.comment(ticket_id, actor, note)
            return ticket
        log.info("outage.not_restored", ticket_id=ticket_id, outage_id=ticket.outage_id)
        return await self.tickets.change_status(ticket_id, Status.REOPENED.value, actor, comment=note)

    async def attach(self, outage_id: int, ticket_id: int, actor: Actor) -> Ticket:
        async with self.db.write() as s:
            outage = await self._locked(s, outage_id)
            ticket = await self.tickets._locked(s, ticket_id)
            if ticket.id == outage.parent_ticket_id:
                raise InvalidValue("ticket", "это основная заявка аварии")
            if ticket.outage_id == outage_id:
                return ticket
            if ticket.outage_id is not None:
                raise InvalidValue("ticket", f"заявка {ticket.number} уже присоединена к другой аварии")
            if not ticket.is_open:
                raise InvalidValue("ticket", f"заявка {ticket.number} закрыта")
            ticket.outage_id, ticket.parent_id = outage_id, outage.parent_ticket_id
            ticket.updated_at = utcnow()
            history.record(s, ticket, actor, HistoryKind.EDIT, field="outage_id", after=outage_id,
                           text=f"Присоединена к аварии: {describe(outage)}")
            audit.record(s, actor, "outage.attach", "outage", outage_id, summary=f"Присоединена заявка {ticket.number}")
            return ticket

    async def detach(self, ticket_id: int, actor: Actor, *, note: str | None = None) -> Ticket:
        async with self.db.write() as s:
            ticket = await self.tickets._locked(s, ticket_id)
            outage_id = ticket.outage_id
            if outage_id is None:
                raise InvalidValue("ticket", f"заявка {ticket.number} не присоединена к аварии")
            outage = await s.get(Outage, outage_id)
            if outage is not None and outage.parent_ticket_id == ticket.id:
                raise InvalidValue("ticket", "основную заявку аварии отсоединить нельзя")
            ticket.outage_id = ticket.parent_id = None
            ticket.updated_at = utcnow()
            history.record(s, ticket, actor, HistoryKind.EDIT, field="outage_id", before=outage_id, after=None,
                           text=note or "Отсоединена от аварии")
            audit.record(s, actor, "outage.detach", "outage", outage_id, summary=f"Отсоединена заявка {ticket.number}")
            return ticket


__all__ = [
    "TRANSITIONS", "CallerOutlook", "Suggestion", "OutageDraft", "OutageRules", "OutageService", "describe", "end_of_shift",
]
