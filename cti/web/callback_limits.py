"""How often dispatchers may ring residents back: per dispatcher and for the whole service,
in a sliding hour. A stolen dispatcher session (or a script) cannot run up a phone bill."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable

from journal.addresses import normalize_phone

HOUR = 3600.0


class CallbackLimits:
    def __init__(self, *, per_dispatcher: int, total: int, allowed_numbers: str = "", allow_any: bool = False,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.per_dispatcher = per_dispatcher
        self.total = total
        self.allow_any = allow_any
        self.allowed = frozenset(filter(None, (normalize_phone(n) for n in allowed_numbers.split(","))))
        self._clock = clock
        self._mine: defaultdict[int, deque[float]] = defaultdict(deque)
        self._all: deque[float] = deque()

    def take(self, user_id: int) -> str | None:
        """Count one call-back; None if allowed, else why not (in Russian, for the dispatcher)."""
        now = self._clock()
        mine = self._mine[user_id]
        for times in (mine, self._all):
            while times and times[0] <= now - HOUR:
                times.popleft()
        if len(mine) >= self.per_dispatcher:
            return f"Не больше {self.per_dispatcher} обратных звонков в час с одной учётной записи"
        if len(self._all) >= self.total:
            return f"Превышен общий предел обратных звонков ({self.total} в час): обратитесь к администратору"
        mine.append(now)
        self._all.append(now)
        return None
