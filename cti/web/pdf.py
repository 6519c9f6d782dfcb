"""HTML to PDF with headless Chromium (Debian's chromium package, also installed in CI): the
printable report is the same HTML the browser shows, so the two cannot disagree.

The page is served to Chromium from memory, by a one-request server on loopback under a random
path (never a file:// page, which may read other local files), with a policy that runs no
script of the page and fetches nothing: a resident's words in a report are text, never a
script that runs in the printer."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import structlog
from aiohttp import web

log = structlog.get_logger(__name__)
CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


class PdfUnavailable(Exception):
    pass


@contextlib.asynccontextmanager
async def _served(html: str) -> AsyncIterator[str]:
    """The page at a random URL on loopback for as long as Chromium needs it; nothing else."""
    path = f"/{secrets.token_urlsafe(16)}/report.html"
    body = html.encode()

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        if request.path != path:
            return web.Response(status=404)
        # Scripts off for the page (Chromium's own print machinery needs its JavaScript, so the
        # switch is the page's policy, not a command-line flag), and nothing fetched from anywhere.
        return web.Response(body=body, content_type="text/html", charset="utf-8", headers={
            "Content-Security-Policy": "default-src 'none'; script-src 'none'; style-src 'unsafe-inline'; "
                                       "img-src data:; font-src data:"})

    runner = web.ServerRunner(web.Server(handler), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        yield f"http://127.0.0.1:{port}{path}"
    finally:
        await runner.cleanup()


class PdfPrinter:
    def __init__(self, binary: str | None = None, *, timeout: float = 60.0, concurrency: int = 1) -> None:
        self.binary = binary or next((p for c in CANDIDATES if (p := shutil.which(c))), None)
        self.timeout = timeout
        # A Chromium takes ~150 MB: one at a time is plenty for occasional reports.
        self._limit = asyncio.Semaphore(concurrency)

    async def print(self, html: str) -> bytes:
        if self.binary is None:
            raise PdfUnavailable("chromium is not installed")
        async with self._limit, _served(html) as url:
            with tempfile.TemporaryDirectory(prefix="hotline-pdf-") as tmp:
                out = Path(tmp) / "report.pdf"
                proc = await asyncio.create_subprocess_exec(
                    self.binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    f"--user-data-dir={tmp}/profile", "--no-pdf-header-footer", "--no-first-run",
                    "--disable-extensions", "--no-proxy-server",
                    f"--print-to-pdf={out}", url,
                    stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
                try:
                    _, err = await asyncio.wait_for(proc.communicate(), self.timeout)
                except TimeoutError:
                    with contextlib.suppress(ProcessLookupError):
                        proc.kill()
                    await proc.wait()
                    raise PdfUnavailable("chromium timed out") from None
                if proc.returncode != 0 or not out.is_file():
                    log.warning("pdf.failed", code=proc.returncode, stderr=err.decode(errors="replace")[-500:])
                    raise PdfUnavailable(f"chromium exited with {proc.returncode}")
                return await asyncio.to_thread(out.read_bytes)
