"""Registration numbers: ``<year>-<sequence>``, gapless and unique per year.

The counter row is bumped with one ``INSERT .. ON CONFLICT DO UPDATE .. RETURNING`` inside the
ticket's own write transaction, so concurrent registrations serialise on that row (PostgreSQL)
or on the write lock (SQLite) and a rolled-back registration gives its number back.
"""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from .models import TicketCounter


async def next_number(session: AsyncSession, year: int, width: int = 6, *, training: bool = False) -> str:
    """``training``: a separate series ``T<year>-N`` (counter row keyed by the negated year), so
    training tickets never take, or leave gaps in, the real journal's numbers."""
    key = -year if training else year
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    upsert = (
        insert(TicketCounter)
        .values(year=key, last=1)
        .on_conflict_do_update(index_elements=[TicketCounter.year], set_={"last": TicketCounter.last + 1})
        .returning(TicketCounter.last)
    )
    value = (await session.execute(upsert)).scalar_one()
    return f"{'T' if training else ''}{year}-{value:0{width}d}"
