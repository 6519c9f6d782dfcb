"""Registering and working tickets. Every change leaves a history row in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from . import history
from .addresses import normalize_phone
from .assignment import pick_executor
from .clock import utcnow
from .db import Database
from .enums import CATEGORIES, CallOutcome, Channel, HistoryKind, Priority, Role, Status, TranscriptStatus
from .errors import CallAlreadyMissed, IllegalTransition, InvalidValue, NotFound
from .history import Actor
from .lifecycle import allowed_from, can_change, is_open
from .models import Building, Call, Recording, Ticket, TicketHistory, TranscriptionJob, User
from .numbering import next_number
from .people import resident_by_phone
from .sla import SlaPolicy

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class JournalConfig:
    timezone: str = "Europe/Moscow"
    repeat_window: timedelta = timedelta(hours=24)
    number_width: int = 6
    missed_callback: timedelta = timedelta(minutes=10)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass
class NewTicket:
    channel: str
    category: str
    actor: Actor
    priority: str | None = None
    problem: str | None = None
    caller_phone: str | None = None
    caller_name: str | None = None
    building_id: int | None = None
    apartment: str | None = None
    address_text: str | None = None
    description: str | None = None
    call_id: int | None = None
    recording_ids: Sequence[int] = field(default_factory=tuple)
    received_at: datetime | None = None
    auto_assign: bool = True
    transcript_pending: bool = False
    # A child of a mass outage: its outage and the outage's parent ticket.
    outage_id: int | None = None
    parent_id: int | None = None


@dataclass(frozen=True)
class Registration:
    ticket: Ticket
    created: bool  # False: an open ticket for the same problem existed and was linked instead


EDITABLE = ("category", "problem", "priority", "building_id", "apartment", "address_text", "description", "caller_name")


class TicketService:
    def __init__(self, db: Database, sla: SlaPolicy, config: JournalConfig) -> None:
        self.db = db
        self.sla = sla
        self.config = config

    # -- registration --------------------------------------------------------------------
    async def register(self, new: NewTicket) -> Registration:
        self._check(new)
        phone = normalize_phone(new.caller_phone)
        now = utcnow()
        received = new.received_at or now
        async with self.db.write() as s:
            resident = None
            if phone:
                resident = await resident_by_phone(s, phone)
            building_id = new.building_id
            apartment = new.apartment
            if building_id is None and resident is not None and resident.building_id is not None:
                building_id, apartment = resident.building_id, apartment or resident.apartment
            problem = new.problem
            priority = new.priority or self.sla.default_priority(new.category, problem)
            forced = self.sla.default_priority(new.category, problem)
            if forced == Priority.EMERGENCY:
                priority = Priority.EMERGENCY.value

            training = new.channel == Channel.TRAINING
            existing = await self._open_repeat(s, new.category, building_id, apartment, phone, received, training,
                                               new.outage_id)
            if existing is not None:
                await self._link_repeat(s, existing, new, phone, received)
                log.info("ticket.repeat_linked", ticket_id=existing.id, ticket=existing.number, call_id=new.call_id)
                return Registration(existing, created=False)

            deadlines = self.sla.deadlines(received, new.category, problem, priority, new.channel)
            number = await next_number(s, received.astimezone(self.config.tz).year, self.config.number_width,
                                       training=training)
            ticket = Ticket(
                number=number, received_at=received, channel=new.channel,
                caller_phone=phone, caller_name=new.caller_name or (resident.name if resident else None),
                resident_id=resident.id if resident else None, building_id=building_id, apartment=apartment,
                address_text=new.address_text, category=new.category, problem=problem, priority=priority,
                description=new.description, call_id=new.call_id, registered_by_id=new.actor.user_id,
                # A training ticket is never "open" in the monitoring sense: every open-ticket
                # query (and its partial index) leaves it out with no extra condition.
                status=Status.NEW.value, is_open=not training, sla_rule=deadlines.rule_id, sla_version=self.sla.version,
                localize_due_at=deadlines.localize_due_at, due_at=deadlines.due_at,
                next_due_at=deadlines.localize_due_at or deadlines.due_at, handover_to=deadlines.handover_to,
                transcript_status=(TranscriptStatus.PENDING if new.transcript_pending else TranscriptStatus.NONE).value,
                outage_id=new.outage_id, parent_id=new.parent_id, created_at=now, updated_at=now,
            )
            s.add(ticket)
            await s.flush()
            history.record(s, ticket, new.actor, HistoryKind.CREATED, after=number,
                           text=f"{deadlines.title}", at=now)
            await self._attach_call(s, ticket, new)
            # A training ticket never reaches a real executor's list: the trainee assigns by hand.
            if new.auto_assign and not training:
                executor_id = await pick_executor(
                    s, category=ticket.category, building_id=building_id, at=now, tz=self.config.tz
                )
                if executor_id is not None:
                    self._set_executor(s, ticket, executor_id, Actor.system("assignment"), now)
            log.info("ticket.registered", ticket_id=ticket.id, ticket=number, category=ticket.category,
                     priority=priority, executor_id=ticket.executor_id, call_id=new.call_id)
            return Registration(ticket, created=True)

    def _check(self, new: NewTicket) -> None:
        if new.category not in CATEGORIES:
            raise InvalidValue("category", f"unknown category {new.category!r}")
        if new.channel not in {c.value for c in Channel}:
            raise InvalidValue("channel", f"unknown channel {new.channel!r}")
        if new.priority is not None and new.priority not in {p.value for p in Priority}:
            raise InvalidValue("priority", f"unknown priority {new.priority!r}")
        if new.problem is not None and new.problem not in self.sla.problems:
            raise InvalidValue("problem", f"unknown problem {new.problem!r}")
        if new.received_at is not None and new.received_at.tzinfo is None:
            raise InvalidValue("received_at", "must carry a time zone")

    async def _open_repeat(
        self, s: AsyncSession, category: str, building_id: int | None, apartment: str | None,
        phone: str | None, received: datetime, training: bool = False, outage_id: int | None = None,
    ) -> Ticket | None:
        """An open ticket on the same problem: same category at the same address (building and
        apartment), or from the same phone, received within the repeat window. A caller counted
        in an outage repeats only their own child of that outage; other calls never join a child."""
        same_place: list[ColumnElement[bool]] = []
        if building_id is not None:
            same_place.append(
                (Ticket.building_id == building_id)
                & (Ticket.apartment == apartment if apartment else Ticket.apartment.is_(None))
            )
        if phone:
            same_place.append(Ticket.caller_phone == phone)
        if not same_place or training:
            # Training tickets are never open, so a training call never joins one (nor a real one).
            return None
        stmt = (
            select(Ticket)
            .where(
                Ticket.is_open, Ticket.category == category, or_(*same_place),
                Ticket.received_at >= received - self.config.repeat_window,
                Ticket.outage_id == outage_id if outage_id is not None else Ticket.parent_id.is_(None),
            )
            .order_by(Ticket.received_at.desc())
            .limit(1)
        )
        return (await s.execute(stmt)).scalar_one_or_none()

    async def _link_repeat(
        self, s: AsyncSession, ticket: Ticket, new: NewTicket, phone: str | None, received: datetime
    ) -> None:
        ticket.repeat_count += 1
        ticket.updated_at = utcnow()
        who = " ".join(x for x in (phone, new.caller_name) if x) or "неизвестный абонент"
        text = f"Повторное обращение ({who})"
        if new.description:
            text += f": {new.description}"
        history.record(s, ticket, new.actor, HistoryKind.REPEAT, after=str(ticket.repeat_count), text=text)
        await self._attach_call(s, ticket, new)

    async def _attach_call(self, s: AsyncSession, ticket: Ticket, new: NewTicket) -> None:
        if new.call_id is not None:
            # Write transactions are serialised, and record_missed checks the other way round:
            # a call ends as a ticket or as a missed call, never both.
            outcome = (await s.execute(select(Call.outcome).where(Call.id == new.call_id))).scalar_one_or_none()
            if outcome == CallOutcome.MISSED:
                raise CallAlreadyMissed(new.call_id)
            await s.execute(update(Call).where(Call.id == new.call_id).values(outcome=CallOutcome.TICKET.value))
        for rec_id in new.recording_ids:
            rec = await s.get(Recording, rec_id)
            if rec is None:
                raise NotFound("recording", rec_id)
            rec.ticket_id = ticket.id
            history.record(s, ticket, new.actor, HistoryKind.ATTACHMENT, field="recording", after=rec.name)
            if new.transcript_pending:
                # Same transaction as the ticket: a crash right after registration loses no job.
                s.add(TranscriptionJob(recording_id=rec.id, ticket_id=ticket.id, status="pending"))
                ticket.transcript_status = TranscriptStatus.PENDING.value

    # -- reading -------------------------------------------------------------------------
    async def get(self, ticket_id: int) -> Ticket:
        async with self.db.read() as s:
            ticket = await s.get(Ticket, ticket_id)
        if ticket is None:
            raise NotFound("ticket", ticket_id)
        return ticket

    async def by_number(self, number: str) -> Ticket:
        async with self.db.read() as s:
            ticket = (await s.execute(select(Ticket).where(Ticket.number == number))).scalar_one_or_none()
        if ticket is None:
            raise NotFound("ticket", number)
        return ticket

    async def by_spoken_number(self, spoken: str, now: datetime | None = None) -> Ticket | None:
        """A ticket by the number callers hear and quote ('124' for 2026-000124): this year's
        first, then last year's (a ticket from late December quoted in January)."""
        if not spoken.isdigit() or len(spoken) > self.config.number_width:
            return None
        year = (now or utcnow()).astimezone(self.config.tz).year
        async with self.db.read() as s:
            for y in (year, year - 1):
                number = f"{y}-{int(spoken):0{self.config.number_width}d}"
                ticket = (await s.execute(select(Ticket).where(Ticket.number == number))).scalar_one_or_none()
                if ticket is not None:
                    return ticket
        return None

    async def history(self, ticket_id: int, *, public_only: bool = False) -> Sequence[TicketHistory]:
        async with self.db.read() as s:
            stmt = select(TicketHistory).where(TicketHistory.ticket_id == ticket_id).order_by(TicketHistory.id)
            if public_only:
                stmt = stmt.where(TicketHistory.public)
            return (await s.execute(stmt)).scalars().all()

    async def recordings(self, ticket_id: int) -> Sequence[Recording]:
        async with self.db.read() as s:
            stmt = select(Recording).where(Recording.ticket_id == ticket_id).order_by(Recording.id)
            return (await s.execute(stmt)).scalars().all()

    # -- changes -------------------------------------------------------------------------
    async def _locked(self, s: AsyncSession, ticket_id: int) -> Ticket:
        ticket = (await s.execute(select(Ticket).where(Ticket.id == ticket_id).with_for_update())).scalar_one_or_none()
        if ticket is None:
            raise NotFound("ticket", ticket_id)
        return ticket

    async def change_status(
        self, ticket_id: int, status: str, actor: Actor, *, comment: str | None = None, result: str | None = None
    ) -> Ticket:
        try:
            wanted = Status(status)
        except ValueError:
            raise InvalidValue("status", f"unknown status {status!r}") from None
        async with self.db.write() as s:
            ticket = await self._locked(s, ticket_id)
            if not can_change(ticket.status, wanted):
                raise IllegalTransition(ticket.number, ticket.status, wanted.value,
                                        frozenset(x.value for x in allowed_from(ticket.status)))
            now = utcnow()
            before = ticket.status
            self._apply_status(ticket, wanted, now)
            if result is not None:
                history.record(s, ticket, actor, HistoryKind.EDIT, field="result", before=ticket.result, after=result, at=now)
                ticket.result = result
            history.record(s, ticket, actor, HistoryKind.STATUS, field="status", before=before, after=wanted.value,
                           text=comment, at=now)
            log.info("ticket.status", ticket_id=ticket.id, ticket=ticket.number, before=before, after=wanted.value)
            return ticket

    def _apply_status(self, ticket: Ticket, wanted: Status, now: datetime) -> None:
        ticket.status = wanted.value
        ticket.is_open = is_open(wanted) and ticket.channel != Channel.TRAINING.value
        ticket.updated_at = now
        if wanted == Status.DONE:
            ticket.done_at = now
            ticket.localized_at = ticket.localized_at or now
        elif wanted == Status.CLOSED:
            ticket.closed_at = now
        elif wanted == Status.REOPENED:
            ticket.done_at = None
            ticket.closed_at = None

    async def assign(self, ticket_id: int, executor_id: int | None, actor: Actor) -> Ticket:
        async with self.db.write() as s:
            ticket = await self._locked(s, ticket_id)
            if not is_open(ticket.status):
                raise IllegalTransition(ticket.number, ticket.status, Status.ASSIGNED.value,
                                        frozenset(x.value for x in allowed_from(ticket.status)))
            now = utcnow()
            if executor_id is None:
                history.record(s, ticket, actor, HistoryKind.ASSIGNMENT, field="executor_id",
                               before=ticket.executor_id, after=None, at=now)
                ticket.executor_id = None
                ticket.assigned_at = None
                if ticket.status == Status.ASSIGNED:
                    history.record(s, ticket, actor, HistoryKind.STATUS, field="status", before=ticket.status,
                                   after=Status.ACCEPTED.value, at=now)
                    self._apply_status(ticket, Status.ACCEPTED, now)
                return ticket
            executor = await s.get(User, executor_id)
            if executor is None or executor.role != Role.EXECUTOR or not executor.is_active:
                raise NotFound("executor", executor_id)
            self._set_executor(s, ticket, executor_id, actor, now)
            return ticket

    def _set_executor(self, s: AsyncSession, ticket: Ticket, executor_id: int, actor: Actor, now: datetime) -> None:
        history.record(s, ticket, actor, HistoryKind.ASSIGNMENT, field="executor_id",
                       before=ticket.executor_id, after=executor_id, at=now)
        ticket.executor_id = executor_id
        ticket.assigned_at = now
        ticket.updated_at = now
        if ticket.status in (Status.NEW, Status.ACCEPTED, Status.REOPENED, Status.POSTPONED):
            history.record(s, ticket, actor, HistoryKind.STATUS, field="status", before=ticket.status,
                           after=Status.ASSIGNED.value, at=now)
            self._apply_status(ticket, Status.ASSIGNED, now)
        log.info("ticket.assigned", ticket_id=ticket.id, ticket=ticket.number, executor_id=executor_id)

    async def edit(self, ticket_id: int, actor: Actor, **changes: object) -> Ticket:
        unknown = set(changes) - set(EDITABLE)
        if unknown:
            raise InvalidValue(", ".join(sorted(unknown)), "cannot be edited")
        if "category" in changes and changes["category"] not in CATEGORIES:
            raise InvalidValue("category", f"unknown category {changes['category']!r}")
        if "priority" in changes and changes["priority"] not in {p.value for p in Priority}:
            raise InvalidValue("priority", f"unknown priority {changes['priority']!r}")
        if changes.get("problem") is not None and changes["problem"] not in self.sla.problems:
            raise InvalidValue("problem", f"unknown problem {changes['problem']!r}")
        async with self.db.write() as s:
            ticket = await self._locked(s, ticket_id)
            if "building_id" in changes and changes["building_id"] is not None:
                if await s.get(Building, changes["building_id"]) is None:
                    raise NotFound("building", changes["building_id"])
            now = utcnow()
            changed = False
            for name, value in changes.items():
                before = getattr(ticket, name)
                if before == value:
                    continue
                history.record(s, ticket, actor, HistoryKind.EDIT, field=name, before=before, after=value, at=now)
                setattr(ticket, name, value)
                changed = True
            if changed and {"category", "problem", "priority"} & set(changes):
                self._recompute_deadlines(s, ticket, actor, now)
            ticket.updated_at = now
            return ticket

    def _recompute_deadlines(self, s: AsyncSession, ticket: Ticket, actor: Actor, now: datetime) -> None:
        d = self.sla.deadlines(ticket.received_at, ticket.category, ticket.problem, ticket.priority, ticket.channel)
        for name, value in (("localize_due_at", d.localize_due_at), ("due_at", d.due_at), ("sla_rule", d.rule_id),
                            ("handover_to", d.handover_to)):
            if getattr(ticket, name) != value:
                history.record(s, ticket, actor, HistoryKind.EDIT, field=name, before=getattr(ticket, name),
                               after=value, at=now)
                setattr(ticket, name, value)
        ticket.sla_version = self.sla.version
        ticket.next_due_at = ticket.localize_due_at if ticket.localized_at is None and ticket.localize_due_at else ticket.due_at

    async def mark_localized(self, ticket_id: int, actor: Actor, comment: str | None = None) -> Ticket:
        """The emergency is contained (water shut off, line isolated): the repair clock takes over."""
        async with self.db.write() as s:
            ticket = await self._locked(s, ticket_id)
            if ticket.localized_at is not None:
                return ticket
            now = utcnow()
            history.record(s, ticket, actor, HistoryKind.EDIT, field="localized_at", after=now, text=comment, at=now)
            ticket.localized_at = now
            ticket.next_due_at = ticket.due_at
            ticket.updated_at = now
            return ticket

    async def hand_over(self, ticket_id: int, actor: Actor, comment: str | None = None) -> Ticket:
        """A gas smell goes to the gas emergency service (104) at once; the ticket is then done."""
        async with self.db.write() as s:
            ticket = await self._locked(s, ticket_id)
            if not ticket.handover_to:
                raise InvalidValue("handover", f"ticket {ticket.number} has no hand-over service")
            if not can_change(ticket.status, Status.DONE):
                raise IllegalTransition(ticket.number, ticket.status, Status.DONE.value,
                                        frozenset(x.value for x in allowed_from(ticket.status)))
            now = utcnow()
            result = f"Передано в аварийную службу {ticket.handover_to}"
            history.record(s, ticket, actor, HistoryKind.HANDOVER, after=ticket.handover_to, text=comment, at=now)
            history.record(s, ticket, actor, HistoryKind.STATUS, field="status", before=ticket.status,
                           after=Status.DONE.value, at=now)
            ticket.result = result if not comment else f"{result}. {comment}"
            self._apply_status(ticket, Status.DONE, now)
            return ticket

    async def comment(self, ticket_id: int, actor: Actor, text: str, *, public: bool = True) -> TicketHistory:
        if not text.strip():
            raise InvalidValue("comment", "is empty")
        async with self.db.write() as s:
            ticket = await self._locked(s, ticket_id)
            ticket.updated_at = utcnow()
            return history.record(s, ticket, actor, HistoryKind.COMMENT, text=text.strip(), public=public)

    async def attach_recording(self, ticket_id: int, recording_id: int, actor: Actor) -> None:
        async with self.db.write() as s:
            ticket = await self._locked(s, ticket_id)
            rec = await s.get(Recording, recording_id)
            if rec is None:
                raise NotFound("recording", recording_id)
            rec.ticket_id = ticket.id
            history.record(s, ticket, actor, HistoryKind.ATTACHMENT, field="recording", after=rec.name)

    async def set_transcript(
        self, ticket_id: int, *, text: str | None, status: str, error: str | None = None,
        actor: Actor = Actor.system("asr"),
    ) -> Ticket:
        async with self.db.write() as s:
            ticket = await self._locked(s, ticket_id)
            if text is not None:
                ticket.transcript = text if not ticket.transcript else f"{ticket.transcript}\n{text}"
            ticket.transcript_status = TranscriptStatus(status).value
            ticket.transcript_error = error
            ticket.updated_at = utcnow()
            history.record(s, ticket, actor, HistoryKind.TRANSCRIPT, field="transcript_status", after=status,
                           text=error, public=False)
            return ticket

    async def record_feedback(
        self, ticket_id: int, actor: Actor, *, confirmed: bool | None, rating: int | None, comment: str | None = None
    ) -> Ticket:
        if rating is not None and not 1 <= rating <= 5:
            raise InvalidValue("rating", f"must be 1..5, got {rating}")
        async with self.db.write() as s:
            ticket = await self._locked(s, ticket_id)
            history.record(s, ticket, actor, HistoryKind.FEEDBACK, field="rating", before=ticket.rating,
                           after=rating, text=comment)
            ticket.confirmed = confirmed
            ticket.rating = rating
            ticket.rating_comment = comment
            ticket.updated_at = utcnow()
            return ticket
