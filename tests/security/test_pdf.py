"""The report printer (headless Chromium) runs no script of the page and reads the page from
memory, not from a file:// URL."""

from __future__ import annotations

import shutil
from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from cti.web.pdf import PdfPrinter

pytestmark = pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium")


async def test_a_script_in_a_report_does_not_run(aiohttp_server: Callable[..., Awaitable[TestServer]]) -> None:
    hits: list[str] = []

    async def record(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(text="")

    app = web.Application()
    app.router.add_get("/{tail:.*}", record)
    spy = await aiohttp_server(app)
    html = (f"<html><body><p>Отчёт</p><script>fetch('{spy.make_url('/js-ran')}');"
            f"document.write('<img src=\"{spy.make_url('/js-wrote')}\">');</script>"
            f"<img src=\"{spy.make_url('/image')}\"></body></html>")
    pdf = await PdfPrinter(timeout=60).print(html)
    assert pdf.startswith(b"%PDF")
    assert hits == []  # no script ran, and the page reached nothing outside itself


async def test_the_page_is_never_a_local_file(monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    seen: list[tuple[str, ...]] = []
    real = asyncio.create_subprocess_exec

    async def spy(*argv: str, **kw: object) -> asyncio.subprocess.Process:
        seen.append(argv)
        return await real(*argv, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(asyncio, "create_subprocess_exec", spy)
    await PdfPrinter(timeout=60).print("<html><body>Отчёт</body></html>")
    (argv,) = seen
    assert not any(a.startswith("file:") or (a.endswith(".html") and not a.startswith("http://127.0.0.1:"))
                   for a in argv)
    assert next(a for a in argv if a.startswith("http")).startswith("http://127.0.0.1:")
