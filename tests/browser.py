"""Debian's Chromium driven by playwright (its bundled driver; no browser download)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.tools import missing_module, missing_program

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
# Without the background-networking flags Chromium keeps dialling hosts this machine cannot reach.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

_MISSING = missing_program("chromium") or missing_module("playwright", "playwright")
needs_browser = pytest.mark.skipif(_MISSING is not None, reason=_MISSING or "")


async def login(page: Any, base: str, user: str, password: str, *, lands_on: str | None = None) -> None:
    """Log in through the form, as a person would; ``lands_on``: the page that must follow."""
    await page.goto(f"{base}/login")
    await page.fill('input[name="login"]', user)
    await page.fill('input[name="password"]', password)
    await page.click('button[type="submit"]')
    if lands_on is None:
        await page.wait_for_load_state()
    else:
        await page.wait_for_url(f"{base}{lands_on}", timeout=5000)


@asynccontextmanager
async def chromium(*extra_args: str) -> AsyncIterator[Any]:
    """Debian's Chromium, headless, closed on the way out."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, *extra_args],
                                           headless=True)
        try:
            yield browser
        finally:
            await browser.close()


@asynccontextmanager
async def chromium_page(*extra_args: str, height: int = 1000) -> AsyncIterator[tuple[Any, list[str]]]:
    """A Russian-locale page 1400 px wide in Debian's Chromium, and the script errors it raised."""
    async with chromium(*extra_args) as browser:
        page = await browser.new_page(viewport={"width": 1400, "height": height}, locale="ru-RU")
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        yield page, errors
