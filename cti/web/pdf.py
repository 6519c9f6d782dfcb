"""HTML to PDF with headless Chromium (Debian's chromium package, also installed in CI): the
printable report is the same HTML the browser shows, so the two cannot disagree."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from pathlib import Path

import structlog

log = structlog.get_logger(__name__)
CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


class PdfUnavailable(Exception):
    pass


class PdfPrinter:
    def __init__(self, binary: str | None = None, *, timeout: float = 60.0, concurrency: int = 1) -> None:
        self.binary = binary or next((p for c in CANDIDATES if (p := shutil.which(c))), None)
        self.timeout = timeout
        # A Chromium takes ~150 MB: one at a time is plenty for occasional reports.
        self._limit = asyncio.Semaphore(concurrency)

    async def print(self, html: str) -> bytes:
        if self.binary is None:
            raise PdfUnavailable("chromium is not installed")
        async with self._limit:
            with tempfile.TemporaryDirectory(prefix="hotline-pdf-") as tmp:
                src, out = Path(tmp) / "report.html", Path(tmp) / "report.pdf"
                await asyncio.to_thread(src.write_text, html, "utf-8")
                proc = await asyncio.create_subprocess_exec(
                    self.binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    f"--user-data-dir={tmp}/profile", "--no-pdf-header-footer", "--no-first-run",
                    f"--print-to-pdf={out}", src.as_uri(),
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
