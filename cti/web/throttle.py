"""Login throttling: after too many failures a login (or an address) is locked for a while.

Counted per login and per client address; the address limit is higher because a dispatch room
often sits behind one NAT address and one person's typos must not lock the whole shift out.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

MAX_KEYS = 10_000  # bounded memory whatever a scanner sends


@dataclass
class _Entry:
    failures: int = 0
    first: float = 0.0
    locked_until: float = 0.0


class LoginThrottle:
    def __init__(self, *, per_login: int = 5, per_ip: int = 20, window: float = 300.0, lockout: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.per_login = per_login
        self.per_ip = per_ip
        self.window = window
        self.lockout = lockout
        self._clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    def retry_after(self, login: str, ip: str) -> float:
        """Seconds until a login attempt is allowed again (0: allowed now)."""
        now = self._clock()
        wait = 0.0
        for key in (f"login:{login.lower()}", f"ip:{ip}"):
            e = self._entries.get(key)
            if e is not None and e.locked_until > now:
                wait = max(wait, e.locked_until - now)
        return wait

    def failed(self, login: str, ip: str) -> None:
        now = self._clock()
        for key, limit in ((f"login:{login.lower()}", self.per_login), (f"ip:{ip}", self.per_ip)):
            e = self._entries.pop(key, None) or _Entry(first=now)
            if now - e.first > self.window:
                e = _Entry(first=now)
            e.failures += 1
            if e.failures >= limit:
                e.locked_until = now + self.lockout
                e.failures = 0
                e.first = now
            self._entries[key] = e
        while len(self._entries) > MAX_KEYS:
            self._entries.popitem(last=False)

    def succeeded(self, login: str) -> None:
        self._entries.pop(f"login:{login.lower()}", None)
