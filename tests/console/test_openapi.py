"""The OpenAPI document and the router agree: every /api route is described, nothing more."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from aiohttp import web

from tests.console.conftest import Session

MakeSession = Callable[[str], Awaitable[Session]]


def api_routes(app: web.Application) -> set[tuple[str, str]]:
    out = set()
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter") or ""
        if path.startswith("/api/") and route.method != "HEAD":
            out.add((route.method.lower(), re.sub(r"\{(\w+)(:[^}]+)?\}", r"{\1}", path)))
    return out


async def test_every_api_route_is_documented_and_vice_versa(browser_session: MakeSession, app: web.Application) -> None:
    s = await browser_session("qa")
    status, doc = await s.api("GET", "/api/openapi.json")
    assert status == 200 and doc["openapi"].startswith("3.")
    documented = {(method, path) for path, ops in doc["paths"].items() for method in ops}
    assert documented == api_routes(app)
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert op["summary"] and op["responses"] and op["x-roles"], (method, path)
            for name in re.findall(r"\{(\w+)\}", path):
                assert any(p["name"] == name and p["in"] == "path" for p in op["parameters"]), (method, path)
            if method != "get":
                assert any(p["name"] == "X-CSRF-Token" for p in op["parameters"])
