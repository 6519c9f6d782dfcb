"""Login throttling by (login, client address), with delays that grow with each failure.

Counting per login alone let anyone lock a dispatcher out from everywhere; counting per address
alone let one script lock out a whole shift behind one NAT or proxy address. Here failures of
one login from one address slow down only that pair: a correct password from an address that
has not failed for that login always goes through. Patterns of guessing (many logins from one
address, one login from many) are reported for the administrator instead of locking anyone out.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_KEYS = 10_000  # bounded memory whatever a scanner sends


@dataclass
class _Entry:
    failures: int = 0
    last: float = 0.0
    locked_until: float = 0.0


@dataclass
class _Spread:
    """Failures seen from one address (or for one login) within the window."""

    first: float
    others: set[str] = field(default_factory=set)
    failures: int = 0
    alerted: bool = False


class LoginThrottle:
    def __init__(self, *, free: int = 3, base_delay: float = 2.0, max_delay: float = 300.0, window: float = 900.0,
                 spread_alert: int = 10, failures_alert: int = 30,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.free = free  # failures before the first delay (typos)
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.window = window  # a pair's count is forgotten after this long without failures
        self.spread_alert = spread_alert  # logins from one address / addresses for one login
        self.failures_alert = failures_alert  # failures of one login from anywhere
        self._clock = clock
        self._pairs: OrderedDict[tuple[str, str], _Entry] = OrderedDict()
        self._spread: OrderedDict[str, _Spread] = OrderedDict()

    def retry_after(self, login: str, address: str) -> float:
        """Seconds until this login may be tried again from this address (0: now)."""
        e = self._pairs.get((login.lower(), address))
        return 0.0 if e is None else max(0.0, e.locked_until - self._clock())

    def failed(self, login: str, address: str) -> str | None:
        """Count a failure; returns why this looks like guessing, once per pattern and window."""
        now = self._clock()
        key = (login.lower(), address)
        e = self._pairs.pop(key, None) or _Entry()
        if now - e.last > self.window:
            e = _Entry()
        e.failures += 1
        e.last = now
        if e.failures > self.free:
            e.locked_until = now + min(self.max_delay, self.base_delay * 2 ** (e.failures - self.free - 1))
        self._pairs[key] = e
        alert = self._note(f"ip:{address}", key[0], now, "logins from one address") or \
            self._note(f"login:{key[0]}", address, now, "addresses for one login")
        self._trim()
        return alert

    def succeeded(self, login: str, address: str) -> None:
        self._pairs.pop((login.lower(), address), None)

    def _note(self, subject: str, other: str, now: float, what: str) -> str | None:
        s = self._spread.pop(subject, None)
        if s is None or now - s.first > self.window:
            s = _Spread(first=now)
        s.others.add(other)
        s.failures += 1
        self._spread[subject] = s
        if s.alerted:
            return None
        if len(s.others) >= self.spread_alert:
            s.alerted = True
            return f"{subject}: {len(s.others)} {what} failed within {int(self.window)} s"
        if subject.startswith("login:") and s.failures >= self.failures_alert:
            s.alerted = True
            return f"{subject}: {s.failures} failed log-ins within {int(self.window)} s"
        return None

    def _trim(self) -> None:
        for entries in (self._pairs, self._spread):
            while len(entries) > MAX_KEYS:
                entries.popitem(last=False)
