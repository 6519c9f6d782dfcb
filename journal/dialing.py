"""Which numbers the service may call out to (a dispatcher's call-back, the feedback calls):
a Russian subscriber's number, never a paid range, and one the journal knows as a resident's.
The dialplan refuses the same ranges (dialplans/extensions.conf, contexts callback and
callback-out): the code's check and the PBX's are two locks, not one."""

from __future__ import annotations

import re

from sqlalchemy import exists, or_, select

from .addresses import normalize_phone
from .db import Database
from .models import Call, MissedCall, Ticket

# 11 digits: 7 then a geographic (3xx, 4xx, 8xx) or mobile (9xx) code: what the dialplan dials.
RESIDENT_NUMBER = re.compile(r"7[3489]\d{9}")
# Paid non-geographic ranges, 8-801..8-809 (8-803 and 8-809 are premium-rate); 8-800 is free.
PAID_RANGE = re.compile(r"780[1-9]\d{7}")


def dialable(raw: str | None) -> str | None:
    """The number in 11-digit form if the service may ever dial it, else None."""
    number = normalize_phone(raw)
    if number is None or not RESIDENT_NUMBER.fullmatch(number) or PAID_RANGE.fullmatch(number):
        return None
    return number


async def called_in(db: Database, number: str) -> bool:
    """Whether this number has called the service (a call or a missed call in the journal)."""
    async with db.read() as s:
        stmt = select(or_(exists().where(Call.caller_number == number),
                          exists().where(MissedCall.caller_number == number)))
        return bool((await s.execute(stmt)).scalar())


async def known_resident_number(db: Database, number: str) -> bool:
    """Whether the journal holds this number as a resident's: a caller of a ticket or a missed
    call (or any call in)."""
    async with db.read() as s:
        stmt = select(or_(exists().where(Ticket.caller_phone == number),
                          exists().where(MissedCall.caller_number == number),
                          exists().where(Call.caller_number == number)))
        return bool((await s.execute(stmt)).scalar())
