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
from .clock import utcnow
from .db import Database
from .enums import (
    ANNOUNCED_STATES,
    OUTAGE_STATE_LABELS,
    UTILITY_CATEGORY,
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
from .outage_reads import CallerOutlook, OutageReads, Suggestion, describe, street_name
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


def _snapshot(o: Outage, building_ids: Iterable[int] | None = None) -> dict[str, object]:
    values: dict[str, object] = {
        "utility": o.utility, "state": o.state, "cause": o.cause, "announcement": o.announcement,
        "started_at": o.started_at, "expected_restoration": o.expected_restoration, "expires_at": o.expires_at,
    }
    if building_ids is not None:
        values["buildings"] = sorted(building_ids)
    return values


class OutageService(OutageReads):
    def __init__(self, db: Database, tickets: TicketService, rules: OutageRules = OutageRules()) -> None:
        super().__init__(db)
        self.tickets = tickets
        self.rules = rules

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
        streets = sorted({street_name(b.street_type, b.street) for b in buildings})
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
