"""A real Chromium on the QA player (the transcript's words light up as the audio plays, a click
on a word seeks there) and on the monitor and summary pages; screenshots in test-artifacts/."""

from __future__ import annotations

import io
import json
import math
import struct
import wave
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import update

from journal import Actor, Journal
from journal.clock import utcnow
from journal.models import Recording, Ticket
from tests.browser import ARTIFACTS, chromium_page, login, needs_browser
from tests.console.conftest import PASSWORD, Session, Staff, make_ticket

pytestmark = [pytest.mark.slow, needs_browser]
WORDS = ["здравствуйте", "у", "нас", "течёт", "кран", "на", "кухне"]


def tone_wav(seconds: float) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"".join(struct.pack("<h", int(3000 * math.sin(i / 8000 * 2 * math.pi * 440)))
                               for i in range(int(8000 * seconds))))
    return buf.getvalue()


async def test_qa_player_highlights_words_and_the_monitor_draws(
    server: TestServer, web_journal: Journal, staff: Staff, browser_session: Callable[[str], Awaitable[Session]],
) -> None:
    from playwright.async_api import expect

    call = await web_journal.calls.start(channel_id="qa-browser", caller_number="79161234567")
    await web_journal.calls.update(call.id, dispatcher_id=staff["petrova"], outcome="ticket", ended_at=utcnow())
    rec = await web_journal.calls.add_recording(call_id=call.id, name="call", data=tone_wav(4.0), duration_seconds=4.0)
    words = [{"word": w, "start": round(i * 0.5, 2), "end": round(i * 0.5 + 0.45, 2), "conf": 0.5 if w == "кран" else 0.95}
             for i, w in enumerate(WORDS)]
    async with web_journal.db.write() as s:
        await s.execute(update(Recording).where(Recording.id == rec.id).values(
            words_json=json.dumps(words, ensure_ascii=False), transcript=" ".join(WORDS)))
    b = await web_journal.people.add_building("Ленина", "5")
    await make_ticket(web_journal, call_id=call.id, recording_ids=[rec.id], building_id=b.id, apartment="12",
                      description="Течёт кран на кухне")
    for i, (category, executor) in enumerate([("water", "sidorov"), ("heating", "kozlov"), ("elevator", None),
                                               ("water", "sidorov"), ("electricity", None)]):
        await make_ticket(web_journal, caller_phone=f"7916000100{i}", category=category, building_id=b.id,
                          apartment=str(30 + i), executor_id=staff[executor] if executor else None)
    async with web_journal.db.write() as s:  # one of them is overdue
        await s.execute(update(Ticket).where(Ticket.category == "heating").values(next_due_at=utcnow() - timedelta(hours=2)))
    await web_journal.tickets.record_feedback((await web_journal.tickets.by_spoken_number("1")).id,  # type: ignore[union-attr]
                                              Actor("x"), confirmed=True, rating=5)
    base = f"http://{server.host}:{server.port}"
    ARTIFACTS.mkdir(exist_ok=True)

    async with chromium_page("--autoplay-policy=no-user-gesture-required", height=900) as (page, errors):
        await login(page, base, "qa", PASSWORD)
        await page.goto(f"{base}/qa/calls/{call.id}")
        audio = page.locator("audio")
        await expect(audio).to_have_count(1)
        await page.wait_for_function("document.querySelector('audio').readyState >= 1", timeout=5000)
        # A click on a word seeks the audio to it and lights it up.
        await page.locator(".transcript .w", has_text="течёт").click()
        start = await audio.evaluate("a => a.currentTime")
        assert 1.5 <= start < 2.0
        # As the audio moves on, the light follows the words. Headless Chromium has no sound
        # card and may stall playback, so the position is moved the way playback moves it.
        await audio.evaluate("a => a.pause()")
        for word in ("кран", "кухне"):
            at = float(await page.locator(".transcript .w", has_text=word).first.get_attribute("data-start") or 0)
            await audio.evaluate(f"a => {{ a.currentTime = {at + 0.05}; }}")
            await expect(page.locator(".transcript .w.now")).to_have_text(word, timeout=5000)
        assert await page.locator(".transcript .w.now").count() == 1
        await page.locator(".transcript .w", has_text="кран").click()
        await audio.evaluate("a => a.pause()")
        await expect(page.locator(".transcript .w.now")).to_have_text("кран")
        await page.screenshot(path=str(ARTIFACTS / "qa-player.png"), full_page=True)

        await page.goto(f"{base}/monitor")
        await expect(page.locator("#kpi-open")).to_have_text("6")
        await expect(page.locator("#kpi-overdue")).to_have_text("1")
        await expect(page.locator("#kpi-unassigned")).to_have_text("3")
        assert await page.locator("figure svg").count() == 4
        await page.screenshot(path=str(ARTIFACTS / "monitor.png"), full_page=True)
        await page.goto(f"{base}/analytics")
        await expect(page.locator('[data-k="tickets_total"]')).to_have_text("6")
        await page.screenshot(path=str(ARTIFACTS / "analytics.png"), full_page=True)
        await page.goto(f"{base}/reports/compliance")
        await expect(page.locator('[data-k="with_recording"]')).to_have_text("1")
        await page.screenshot(path=str(ARTIFACTS / "compliance.png"), full_page=True)
        assert not errors, errors
