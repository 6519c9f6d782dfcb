"""The voice menu page's API: a prompt from text (espeak-ng + sox, as the prompt generator
makes it) or an uploaded recording (converted to 8 kHz mono), installed where Asterisk plays it
from, with a preview; the greeting switched live; the webhook set live, its events chosen, a
test send with the answer shown; and the notifier following the live settings."""

from __future__ import annotations

import io
import shutil
import wave
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from cti.quality.notify import NotifyConfig, StatusNotifier, WebhookChannel
from cti.settings import Settings
from cti.web.admin_voice import NOTIFY_KEY, VOICE_KEY
from ivr.prompts import PROMPTS_DIR
from journal import Actor, Journal, NewTicket
from journal.notifications import NotificationLog
from tests.console.conftest import Session

MakeSession = Callable[[str], Awaitable[Session]]
needs_tools = pytest.mark.skipif(not (shutil.which("espeak-ng") and shutil.which("sox")),
                                 reason="needs espeak-ng and sox")


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    settings.voice.prompts_dir = str(tmp_path / "asterisk-sounds")
    return settings


def wav_format(data: bytes) -> tuple[int, int, int, float]:
    with wave.open(io.BytesIO(data)) as w:
        return w.getframerate(), w.getsampwidth(), w.getnchannels(), w.getnframes() / w.getframerate()


def tone(rate: int, channels: int, seconds: float = 1.0) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        frames = bytearray()
        for i in range(int(rate * seconds)):
            sample = (8000 if (i // 20) % 2 else -8000).to_bytes(2, "little", signed=True)
            frames += sample * channels
        w.writeframes(bytes(frames))
    return out.getvalue()


async def fetch(s: Session, path: str) -> tuple[int, bytes]:
    async with s.http.get(s.url(path)) as r:
        return r.status, await r.read()


@needs_tools
async def test_prompts_from_text_and_recordings(browser_session: MakeSession, settings: Settings,
                                                app: web.Application) -> None:
    admin = await browser_session("admin")
    installed = Path(settings.voice.prompts_dir)
    status, state = await admin.api("GET", "/api/admin/voice")
    assert status == 200 and isinstance(state, dict)
    welcome = next(p for p in state["prompts"] if p["name"] == "welcome")
    assert welcome["source"] == "shipped" and "аварийно-диспетчерскую" in welcome["text"]
    status, shipped = await fetch(admin, "/api/admin/voice/prompts/welcome.wav")
    assert status == 200 and shipped == (PROMPTS_DIR / "welcome.wav").read_bytes()

    text = "Здравствуйте! Вы позвонили в диспетчерскую службу управляющей компании «Уют»."
    status, _ = await admin.api("PUT", "/api/admin/voice/prompts/welcome", {"text": text})
    assert status == 200
    data = (installed / "welcome.wav").read_bytes()
    rate, width, channels, seconds = wav_format(data)
    assert (rate, width, channels) == (8000, 2, 1) and 2 < seconds < 15
    assert data != shipped
    assert (await fetch(admin, "/api/admin/voice/prompts/welcome.wav"))[1] == data
    assert (PROMPTS_DIR / "welcome.wav").read_bytes() == shipped  # the shipped prompt is untouched

    # A recording already in the telephone format is installed as it is; another is converted.
    form = aiohttp.FormData()
    narrow = tone(8000, 1)
    form.add_field("file", narrow, filename="announce.wav", content_type="audio/wav")
    async with admin.http.post(admin.url("/api/admin/voice/prompts/announcement/recording"), data=form,
                               headers={"X-CSRF-Token": admin.csrf}) as r:
        assert r.status == 200 and (await r.json())["converted"] is False
    assert (installed / "announcement.wav").read_bytes() == narrow
    form = aiohttp.FormData()
    form.add_field("file", tone(44100, 2), filename="studio.wav", content_type="audio/wav")
    async with admin.http.post(admin.url("/api/admin/voice/prompts/out-of-hours/recording"), data=form,
                               headers={"X-CSRF-Token": admin.csrf}) as r:
        assert r.status == 200 and (await r.json())["converted"] is True
    assert wav_format((installed / "out-of-hours.wav").read_bytes())[:3] == (8000, 2, 1)
    form = aiohttp.FormData()
    form.add_field("file", b"not a sound at all", filename="x.wav", content_type="audio/wav")
    async with admin.http.post(admin.url("/api/admin/voice/prompts/gas-warning/recording"), data=form,
                               headers={"X-CSRF-Token": admin.csrf}) as r:
        assert r.status == 422 and "не звуковой файл" in (await r.json())["error"]
    assert not (installed / "gas-warning.wav").exists()

    # Only the menu's editable texts; the greeting switched live.
    assert (await admin.api("PUT", "/api/admin/voice/prompts/goodbye", {"text": "Пока"}))[0] == 404
    status, state = await admin.api("PUT", "/api/admin/voice/greeting",
                                    {"announcement": True, "office_hours": "08:00-20:00"})
    assert status == 200 and isinstance(state, dict) and "announcement" in state["plan"]
    greeting = app[VOICE_KEY].greeting
    assert greeting.announcement and greeting.office_hours is not None
    status, body = await admin.api("PUT", "/api/admin/voice/greeting", {"office_hours": "в восемь"})
    assert status == 422 and "08:00-20:00" in str(body)

    status, log = await admin.api("GET", "/api/admin/audit?object_type=setting")
    assert isinstance(log, dict)
    assert [e["summary"] for e in log["items"]] == [
        "Голосовое меню: объявление и часы работы", "Голосовое меню: Нерабочее время (запись)",
        "Голосовое меню: Объявление (запись)", "Голосовое меню: Приветствие"]
    # Kept in the journal: a restarted service's greeting is the same.
    status, state = await admin.api("GET", "/api/admin/voice")
    assert isinstance(state, dict)
    assert next(p for p in state["prompts"] if p["name"] == "welcome")["text"] == text


@pytest.fixture
async def hook(aiohttp_server: Callable[..., Awaitable[TestServer]]) -> tuple[str, list[Any]]:
    received: list[Any] = []

    async def handle(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.Response(text="принято, id 17")

    receiver = web.Application()
    receiver.router.add_post("/sms", handle)
    server = await aiohttp_server(receiver)
    return str(server.make_url("/sms")), received


async def test_webhook_set_live_with_a_test_send(browser_session: MakeSession, app: web.Application,
                                                 hook: tuple[str, list[Any]], web_journal: Journal) -> None:
    url, received = hook
    admin = await browser_session("admin")
    status, body = await admin.api("POST", "/api/admin/webhook/test", {"url": url})
    assert status == 200 and body == {"ok": True, "status": 200, "body": "принято, id 17"}
    assert received == [{"event": "test", "text": "Проверка связи с аварийно-диспетчерской службой",
                         "ticket_number": None}]
    status, body = await admin.api("POST", "/api/admin/webhook/test", {"url": "http://127.0.0.1:9/nothing"})
    assert status == 200 and isinstance(body, dict) and body["ok"] is False and body["error"]
    assert (await admin.api("PUT", "/api/admin/webhook", {"url": "ftp://x"}))[0] == 400

    # The notifier follows what the administrator sets: off, then on with one event only.
    config = app[NOTIFY_KEY]
    notifier = StatusNotifier(web_journal.db, NotificationLog(web_journal.db, timedelta(0)), WebhookChannel(config),
                              config)
    try:
        async def ticket(phone: str) -> None:
            await web_journal.tickets.register(NewTicket(channel="phone_ivr", category="water", caller_phone=phone,
                                                         actor=Actor.system("ivr"), auto_assign=False))

        await ticket("79160000001")
        assert await notifier.step() == 0  # no URL: nothing sent, and no backlog kept
        status, state = await admin.api("PUT", "/api/admin/webhook", {"url": url, "events": ["completed"]})
        assert status == 200 and isinstance(state, dict) and state["events"] == ["completed"]
        await notifier.step()
        await ticket("79160000002")
        assert await notifier.step() == 0  # "registered" is not chosen
        await admin.api("PUT", "/api/admin/webhook", {"url": url, "events": ["registered", "completed"]})
        await ticket("79160000003")
        assert await notifier.step() == 1
    finally:
        await notifier.channel.close()  # type: ignore[attr-defined]
    assert [(m["event"], m["phone"]) for m in received[1:]] == [("registered", "79160000003")]
    assert isinstance(config, NotifyConfig) and config.url == url


@needs_tools
@pytest.mark.slow
@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs /usr/bin/chromium")
async def test_voice_and_notifications_pages_in_chromium(server: TestServer, settings: Settings,
                                                         hook: tuple[str, list[Any]]) -> None:
    from playwright.async_api import expect

    from tests.browser import ARTIFACTS, chromium_page, login
    from tests.console.conftest import PASSWORD

    url, received = hook
    base = f"http://{server.host}:{server.port}"
    async with chromium_page() as (page, errors):
        await login(page, base, "admin", PASSWORD, lands_on="/console")
        await page.goto(f"{base}/admin/voice")
        section = page.locator('.prompt[data-name="announcement"]')
        await section.locator("textarea").fill("Внимание! Завтра с десяти до четырнадцати часов отключат "
                                              "горячую воду в доме пять по улице Ленина.")
        await section.locator('.prompt-text button[type="submit"]').click()
        await expect(section.locator(".prompt-text .msg")).to_have_text("Озвучено и поставлено", timeout=20000)
        assert wav_format((Path(settings.voice.prompts_dir) / "announcement.wav").read_bytes())[:3] == (8000, 2, 1)
        # The preview plays what was installed.
        src = await section.locator("audio").get_attribute("src")
        assert src and src.startswith("/api/admin/voice/prompts/announcement.wav")
        response = await page.request.get(f"{base}{src}")
        assert response.status == 200 and (await response.body())[:4] == b"RIFF"

        greeting = page.locator("#greeting")
        await greeting.locator('[name="announcement"]').check()
        await greeting.locator('button[type="submit"]').click()
        await expect(page.locator("#voice-plan")).to_have_text(
            "welcome → announcement → call-recorded → gas-warning", timeout=5000)

        await page.goto(f"{base}/admin/notify")
        form = page.locator("#webhook")
        await form.locator('[name="url"]').fill(url)
        await form.locator('input[name="event"][value="assigned"]').uncheck()
        await form.locator('button[type="submit"]').click()
        await expect(form.locator(".msg")).to_have_text("Сохранено", timeout=5000)
        await page.click('[data-admin="webhook-test"]')
        await expect(page.locator("#webhook-answer")).to_have_text("Доставлено: HTTP 200\nпринято, id 17",
                                                                   timeout=5000)
        await page.reload()
        await expect(page.locator('input[name="event"][value="assigned"]')).not_to_be_checked()
        await expect(page.locator('[name="url"]')).to_have_value(url)
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "admin-notify.png"), full_page=True)
        assert errors == []
    assert [m["event"] for m in received] == ["test"]
