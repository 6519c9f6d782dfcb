"""The call log: every call, its recordings, and missed calls with their callbacks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import structlog
from sqlalchemy import select, update

from .addresses import normalize_phone
from .clock import utcnow
from .db import Database
from .enums import CallbackOutcome, CallDirection, CallOutcome, MissedStatus
from .errors import InvalidValue, NotFound
from .history import Actor
from .models import Call, MissedCall, Recording, Ticket
from .storage import BlobStore
from .tickets import JournalConfig

log = structlog.get_logger(__name__)


class CallLog:
    def __init__(self, db: Database, files: BlobStore, config: JournalConfig) -> None:
        self.db = db
        self.files = files
        self.config = config

    async def start(
        self, *, channel_id: str | None, caller_number: str | None, caller_name: str | None = None,
        called_number: str | None = None, direction: str = "inbound", started_at: datetime | None = None,
        node: str = "main",
    ) -> Call:
        """Idempotent on the Asterisk node and channel id: a resumed call session (this process
        reconnected, or another instance took the node over) finds its row again."""
        async with self.db.write() as s:
            if channel_id is not None:
                existing = (await s.execute(select(Call).where(
                    Call.node == node, Call.channel_id == channel_id))).scalar_one_or_none()
                if existing is not None:
                    return existing
            call = Call(
                node=node, channel_id=channel_id, direction=direction, caller_number=normalize_phone(caller_number) or caller_number,
                caller_name=caller_name, called_number=called_number, started_at=started_at or utcnow(),
                outcome=CallOutcome.IN_PROGRESS.value,
            )
            s.add(call)
            await s.flush()
            return call

    async def get(self, call_id: int) -> Call:
        async with self.db.read() as s:
            call = await s.get(Call, call_id)
        if call is None:
            raise NotFound("call", call_id)
        return call

    async def update(self, call_id: int, **values: object) -> None:
        allowed = {"answered_at", "ended_at", "outcome", "dispatcher_id", "ivr_path"}
        if set(values) - allowed:
            raise InvalidValue(", ".join(sorted(set(values) - allowed)), "cannot be set on a call")
        async with self.db.write() as s:
            call = await s.get(Call, call_id)
            if call is None:
                raise NotFound("call", call_id)
            for k, v in values.items():
                setattr(call, k, v)

    async def ticket_of(self, call_id: int) -> Ticket | None:
        """The ticket a call made, or the open one it joined as a repeat (through its recording)."""
        async with self.db.read() as s:
            made = select(Ticket).where(Ticket.call_id == call_id).order_by(Ticket.id).limit(1)
            joined = (select(Ticket).join(Recording, Recording.ticket_id == Ticket.id)
                      .where(Recording.call_id == call_id).order_by(Ticket.id).limit(1))
            return ((await s.execute(made)).scalar_one_or_none()
                    or (await s.execute(joined)).scalar_one_or_none())

    async def add_recording(
        self, *, call_id: int | None, name: str, data: bytes, duration_seconds: float | None = None,
        fmt: str = "wav", ticket_id: int | None = None,
    ) -> Recording:
        stored = await self.files.put(data, f".{fmt}")
        async with self.db.write() as s:
            rec = Recording(
                call_id=call_id, ticket_id=ticket_id, name=name, sha256=stored.sha256, path=stored.relpath,
                format=fmt, size_bytes=stored.size, duration_seconds=duration_seconds,
            )
            s.add(rec)
            await s.flush()
            return rec

    async def recording(self, recording_id: int) -> Recording:
        async with self.db.read() as s:
            rec = await s.get(Recording, recording_id)
        if rec is None:
            raise NotFound("recording", recording_id)
        return rec

    # -- missed calls --------------------------------------------------------------------
    async def record_missed(
        self, *, call_id: int | None, caller_number: str | None, caller_name: str | None = None,
        reason: str, step: str | None = None, occurred_at: datetime | None = None,
    ) -> MissedCall | None:
        """A call that ended before a ticket was made. Exactly once per call; none for a call
        that did make a ticket."""
        occurred = occurred_at or utcnow()
        async with self.db.write() as s:
            if call_id is not None:
                call = await s.get(Call, call_id)
                if call is None:
                    raise NotFound("call", call_id)
                if call.outcome == CallOutcome.TICKET:
                    return None
                existing = (await s.execute(select(MissedCall).where(MissedCall.call_id == call_id))).scalar_one_or_none()
                if existing is not None:
                    return existing
                call.outcome = CallOutcome.MISSED.value
                call.ended_at = call.ended_at or occurred
                if call.direction == CallDirection.TRAINING:
                    # The "caller" was a script: nobody to call back.
                    return None
            missed = MissedCall(
                call_id=call_id, caller_number=normalize_phone(caller_number) or caller_number, caller_name=caller_name,
                occurred_at=occurred, reason=reason, step=step,
                callback_due_at=occurred + self.config.missed_callback, status=MissedStatus.PENDING.value,
            )
            s.add(missed)
            await s.flush()
            log.info("call.missed", call_id=call_id, missed_id=missed.id, reason=reason, step=step)
            return missed

    async def close_orphans(self, live_channel_ids: set[str], *, listed_at: datetime | None = None,
                            reason: str = "service_restart", node: str | None = None) -> int:
        """Calls a previous process left open whose channels no longer exist. One "in progress"
        becomes a missed-call record (callback due), so a restart abandons nobody silently; one
        that already made its ticket (the caller was hearing the number, or talking to a
        dispatcher) is given the end it never got. Returns the number of missed calls made.

        ``listed_at``: when ``live_channel_ids`` was taken. A call that came in after it is not
        in the list but is no orphan: it is left alone. ``node``: only that Asterisk node's calls
        (the list came from it; the other nodes' calls belong to their owners)."""
        now = utcnow()
        async with self.db.read() as s:
            stmt = select(Call.id, Call.channel_id, Call.caller_number, Call.caller_name, Call.outcome).where(
                Call.ended_at.is_(None))
            if listed_at is not None:
                stmt = stmt.where(Call.started_at < listed_at)
            if node is not None:
                stmt = stmt.where(Call.node == node)
            rows = (await s.execute(stmt)).all()
        closed, ended = 0, []
        for call_id, channel_id, number, name, outcome in rows:
            if channel_id in live_channel_ids:
                continue
            if outcome != CallOutcome.IN_PROGRESS:
                ended.append(call_id)
                continue
            await self.record_missed(call_id=call_id, caller_number=number, caller_name=name, reason=reason,
                                     step="interrupted", occurred_at=now)
            closed += 1
        if ended:
            # When it really ended nobody heard: the restart is the latest it can have been.
            async with self.db.write() as s:
                await s.execute(update(Call).where(Call.id.in_(ended), Call.ended_at.is_(None)).values(ended_at=now))
        if closed or ended:
            log.warning("calls.orphans_closed", count=closed, ended=len(ended), reason=reason)
        return closed

    async def missed(self, *, pending_only: bool = True, limit: int = 100, offset: int = 0) -> Sequence[MissedCall]:
        async with self.db.read() as s:
            stmt = select(MissedCall)
            if pending_only:
                stmt = stmt.where(MissedCall.status == MissedStatus.PENDING.value).order_by(MissedCall.callback_due_at)
            else:
                stmt = stmt.order_by(MissedCall.occurred_at.desc())
            return (await s.execute(stmt.limit(limit).offset(offset))).scalars().all()

    async def callback_result(
        self, missed_id: int, actor: Actor, outcome: str, *, comment: str | None = None, ticket_id: int | None = None,
        at: datetime | None = None,
    ) -> MissedCall:
        try:
            result = CallbackOutcome(outcome)
        except ValueError:
            raise InvalidValue("outcome", f"unknown callback outcome {outcome!r}") from None
        async with self.db.write() as s:
            missed = await s.get(MissedCall, missed_id)
            if missed is None:
                raise NotFound("missed call", missed_id)
            missed.attempts += 1
            missed.callback_at = at or utcnow()
            missed.callback_by_id = actor.user_id
            missed.outcome = result.value
            missed.comment = comment
            if ticket_id is not None:
                missed.ticket_id = ticket_id
            # Nobody answered: it stays on the callback list for another try.
            if result not in (CallbackOutcome.NO_ANSWER, CallbackOutcome.BUSY):
                missed.status = MissedStatus.DONE.value
            return missed
