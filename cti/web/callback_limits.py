"""How often dispatchers may ring residents back: per dispatcher and for the whole service,
in a sliding hour. A stolen dispatcher session (or a script) cannot run up a phone bill.

The call-backs are counted in the journal (journal/limits.py): the limits hold for calls made
through any service instance on the journal."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from journal.addresses import normalize_phone
from journal.limits import SharedLimits

HOUR = 3600.0
SCOPE, ALL = "callback", "all"


class CallbackLimits:
    def __init__(self, limits: SharedLimits, *, per_dispatcher: int, total: int, allowed_numbers: str = "",
                 allow_any: bool = False, clock: Callable[[], float] = time.time) -> None:
        self.limits = limits
        self.per_dispatcher = per_dispatcher
        self.total = total
        self.allow_any = allow_any
        self.allowed = frozenset(filter(None, (normalize_phone(n) for n in allowed_numbers.split(","))))
        self._clock = clock  # wall-clock seconds: instances on other machines compare them

    async def take(self, user_id: int) -> str | None:
        """Count one call-back; None if allowed, else why not (in Russian, for the dispatcher)."""
        now = self._clock()
        mine = f"user:{user_id}"
        # The service-wide row is locked by every call-back: they are counted one at a time.
        async with self.limits.hold([(SCOPE, ALL), (SCOPE, mine)], now=now) as held:
            since = now - HOUR  # a call-back exactly an hour old no longer counts
            if await held.marks_since(SCOPE, mine, since, inclusive=False) >= self.per_dispatcher:
                return f"Не больше {self.per_dispatcher} обратных звонков в час с одной учётной записи"
            if await held.marks_since(SCOPE, ALL, since, inclusive=False) >= self.total:
                return f"Превышен общий предел обратных звонков ({self.total} в час): обратитесь к администратору"
            call = uuid.uuid4().hex
            for key in (mine, ALL):
                await held.mark(SCOPE, key, call, at=now, expires_at=now + HOUR)
                held.counter(SCOPE, key).expires_at = now + HOUR
        return None
