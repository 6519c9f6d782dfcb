"""What a benchmark reads from a service running as a process of its own: the event loop's lag
since the service started, from the administrator's system status (``/api/admin/system``)."""

from __future__ import annotations

import re
from typing import Any

import aiohttp

FORM_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def service_loop_lag(base: str, login: str, password: str) -> dict[str, Any]:
    """``{"p50_ms", "p99_ms", "max_ms", "own_p99_ms", ...}`` of the service at ``base``, logged in
    as the administrator ``login``."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(f"{base}/login") as r:
            m = FORM_CSRF.search(await r.text())
        assert m, "no log-in form"
        async with http.post(f"{base}/login", data={"login": login, "password": password,
                                                   "csrf_token": m.group(1)}, allow_redirects=False) as r:
            assert r.status == 302, f"log-in of {login}: {r.status}"
        async with http.get(f"{base}/api/admin/system") as r:
            assert r.status == 200, f"system status: {r.status}"
            return dict((await r.json())["loop"]["since_start"])


def lag_text(lag: dict[str, Any]) -> str:
    own = (f"; without waiting for a CPU p99 {lag['own_p99_ms']}, max {lag['own_max_ms']} ms"
           if "own_max_ms" in lag else "")
    return f"loop lag p50 {lag['p50_ms']} ms, p99 {lag['p99_ms']} ms, max {lag['max_ms']} ms{own}"
