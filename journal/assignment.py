"""Who gets a new ticket: an executor on shift by their schedule (weekly shifts, rota, one-off
changes, leave: journal/schedule.py), serving that building and category, with the
fewest open tickets. No match is not an error: the ticket waits unassigned."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from .enums import Role
from .models import (
    ExecutorBuilding,
    ExecutorCategory,
    ExecutorDayChange,
    ExecutorLeave,
    ExecutorRota,
    ExecutorShift,
    Ticket,
    User,
)
from .schedule import DayChange, LeaveSpan, Rota, Schedule, WeeklyShift


async def load_schedules(session: AsyncSession, user_ids: Sequence[int]) -> dict[int, Schedule]:
    """Each executor's schedule: weekly shifts, rotas, one-off changes and leave."""
    out: dict[int, Schedule] = defaultdict(Schedule)
    if not user_ids:
        return out
    for sh in (await session.execute(select(ExecutorShift).where(ExecutorShift.user_id.in_(user_ids)))).scalars():
        out[sh.user_id].weekly.append(WeeklyShift(sh.weekday, sh.start_minute, sh.length_minutes))
    for r in (await session.execute(select(ExecutorRota).where(ExecutorRota.user_id.in_(user_ids)))).scalars():
        out[r.user_id].rotas.append(Rota(r.starts_on, r.start_minute, r.length_minutes, r.pattern))
    for c in (await session.execute(select(ExecutorDayChange).where(ExecutorDayChange.user_id.in_(user_ids)))).scalars():
        out[c.user_id].changes[c.on_date] = DayChange(c.on_date, c.start_minute, c.length_minutes, c.reason)
    for lv in (await session.execute(select(ExecutorLeave).where(ExecutorLeave.user_id.in_(user_ids)))).scalars():
        out[lv.user_id].leave.append(LeaveSpan(lv.starts_on, lv.ends_on, lv.reason))
    return out


async def pick_executor(
    session: AsyncSession, *, category: str, building_id: int | None, at: datetime, tz: ZoneInfo
) -> int | None:
    serves_building = ~select(ExecutorBuilding.user_id).where(ExecutorBuilding.user_id == User.id).exists()
    if building_id is not None:
        serves_building = or_(
            serves_building,
            select(ExecutorBuilding.user_id)
            .where(ExecutorBuilding.user_id == User.id, ExecutorBuilding.building_id == building_id)
            .exists(),
        )
    candidates = (
        (
            await session.execute(
                select(User.id)
                .join(ExecutorCategory, ExecutorCategory.user_id == User.id)
                .where(
                    User.role == Role.EXECUTOR.value,
                    User.is_active,
                    ExecutorCategory.category == category,
                    serves_building,
                )
            )
        )
        .scalars()
        .all()
    )
    if not candidates:
        return None
    schedules = await load_schedules(session, candidates)
    working = [uid for uid in candidates if schedules[uid].on_duty(at, tz)]
    if not working:
        return None
    load = dict(
        (
            await session.execute(
                select(Ticket.executor_id, func.count())
                .where(Ticket.is_open, Ticket.executor_id.in_(working))
                .group_by(Ticket.executor_id)
            )
        ).all()
    )
    return min(working, key=lambda uid: (load.get(uid, 0), uid))


__all__ = ["load_schedules", "pick_executor"]
