"""Who gets a new ticket: an executor on shift, serving that building and category, with the
fewest open tickets. No match is not an error: the ticket waits unassigned."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from .enums import Role
from .models import ExecutorBuilding, ExecutorCategory, ExecutorLeave, ExecutorShift, Ticket, User


def on_shift(shifts: list[ExecutorShift], local: datetime) -> bool:
    minute = local.hour * 60 + local.minute
    weekday = local.weekday()
    for sh in shifts:
        if sh.weekday == weekday and sh.start_minute <= minute < sh.start_minute + sh.length_minutes:
            return True
        # A night shift that began yesterday and runs past midnight.
        if (sh.weekday + 1) % 7 == weekday and minute + 1440 < sh.start_minute + sh.length_minutes:
            return True
    return False


async def pick_executor(
    session: AsyncSession, *, category: str, building_id: int | None, at: datetime, tz: ZoneInfo
) -> int | None:
    local = at.astimezone(tz)
    serves_building = ~select(ExecutorBuilding.user_id).where(ExecutorBuilding.user_id == User.id).exists()
    if building_id is not None:
        serves_building = or_(
            serves_building,
            select(ExecutorBuilding.user_id)
            .where(ExecutorBuilding.user_id == User.id, ExecutorBuilding.building_id == building_id)
            .exists(),
        )
    on_leave = (
        select(ExecutorLeave.id)
        .where(
            ExecutorLeave.user_id == User.id,
            ExecutorLeave.starts_on <= local.date(),
            ExecutorLeave.ends_on >= local.date(),
        )
        .exists()
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
                    ~on_leave,
                )
            )
        )
        .scalars()
        .all()
    )
    if not candidates:
        return None
    shifts: dict[int, list[ExecutorShift]] = defaultdict(list)
    rows = await session.execute(select(ExecutorShift).where(ExecutorShift.user_id.in_(candidates)))
    for sh in rows.scalars():
        shifts[sh.user_id].append(sh)
    working = [uid for uid in candidates if on_shift(shifts[uid], local)]
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


__all__ = ["on_shift", "pick_executor"]
