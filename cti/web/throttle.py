"""Login throttling by (login, client address), with delays that grow with each failure.

Counting per login alone let anyone lock a dispatcher out from everywhere; counting per address
alone let one script lock out a whole shift behind one NAT or proxy address. Here failures of
one login from one address slow down only that pair: a correct password from an address that
has not failed for that login always goes through. Patterns of guessing (many logins from one
address, one login from many) are reported for the administrator instead of locking anyone out.

The counts live in the journal (journal/limits.py), so every service instance on one journal
throttles the same pairs: failures spread over two instances add up.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from journal.limits import Held, SharedLimits

PAIR, SPREAD = "login", "login_spread"


class LoginThrottle:
    def __init__(self, limits: SharedLimits, *, free: int = 3, base_delay: float = 2.0, max_delay: float = 300.0,
                 window: float = 900.0, spread_alert: int = 10, failures_alert: int = 30,
                 clock: Callable[[], float] = time.time) -> None:
        self.limits = limits
        self.free = free  # failures before the first delay (typos)
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.window = window  # a pair's count is forgotten after this long without failures
        self.spread_alert = spread_alert  # logins from one address / addresses for one login
        self.failures_alert = failures_alert  # failures of one login from anywhere
        self._clock = clock  # wall-clock seconds: instances on other machines compare them

    async def retry_after(self, login: str, address: str) -> float:
        """Seconds until this login may be tried again from this address (0: now)."""
        e = await self.limits.get(PAIR, _pair(login, address))
        return 0.0 if e is None else max(0.0, e.until - self._clock())

    async def failed(self, login: str, address: str) -> str | None:
        """Count a failure; returns why this looks like guessing, once per pattern and window."""
        now = self._clock()
        name = login.lower()
        pair = _pair(login, address)
        by_ip, by_login = f"ip:{address}", f"login:{name}"
        async with self.limits.hold([(PAIR, pair), (SPREAD, by_ip), (SPREAD, by_login)], now=now) as held:
            e = held.counter(PAIR, pair)
            if now - e.last_at > self.window:
                e.count, e.until = 0, 0.0
            e.count += 1
            e.last_at = now
            if e.count > self.free:
                e.until = now + min(self.max_delay, self.base_delay * 2 ** (e.count - self.free - 1))
            e.expires_at = max(now + self.window, e.until)
            return await self._note(held, by_ip, name, now, "logins from one address") or \
                await self._note(held, by_login, address, now, "addresses for one login")

    async def succeeded(self, login: str, address: str) -> None:
        await self.limits.drop(PAIR, _pair(login, address))

    async def _note(self, held: Held, subject: str, other: str, now: float, what: str) -> str | None:
        s = held.counter(SPREAD, subject)
        if s.count == 0 or now - s.started_at > self.window:
            s.count, s.started_at, s.flagged = 0, now, False
        s.count += 1
        s.expires_at = s.started_at + self.window
        await held.mark(SPREAD, subject, other, at=now, expires_at=s.expires_at)
        if s.flagged:
            return None
        others = await held.marks_since(SPREAD, subject, s.started_at)
        if others >= self.spread_alert:
            s.flagged = True
            return f"{subject}: {others} {what} failed within {int(self.window)} s"
        if subject.startswith("login:") and s.count >= self.failures_alert:
            s.flagged = True
            return f"{subject}: {s.count} failed log-ins within {int(self.window)} s"
        return None


def _pair(login: str, address: str) -> str:
    return f"{login.lower()}\n{address}"
