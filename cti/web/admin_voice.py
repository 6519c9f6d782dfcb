"""The voice menu and notifications pages with their /api/admin twins: prompt texts and
recordings with a preview, the greeting's announcement and office hours; the webhook URL,
which events are sent, and a "send test" that shows the answer."""

from __future__ import annotations

from typing import Any

import aiohttp
from aiohttp import web

from cti.quality.notify import EVENT_LABELS, TEXTS, NotifyConfig
from cti.telephony.voice import EDITABLE, VoiceMenu, format_hours
from cti.web.admin_api import actor
from cti.web.auth import require
from cti.web.errors import BadRequest
from cti.web.keys import JOURNAL_KEY
from cti.web.params import json_body, opt_bool, opt_str, req_str, uploaded_file
from cti.web.render import render
from cti.web.spec import BOOL, NINT, NSTR, STR, Op, Param, array, obj

VOICE_KEY = web.AppKey("voice_menu", VoiceMenu)
NOTIFY_KEY = web.AppKey("notify_config", NotifyConfig)
NOTIFY_SETTING = "notify.webhook"
MAX_RECORDING = 5 * 1024 * 1024
NAME = Param("name", "path", {"type": "string", "enum": list(EDITABLE)}, "Текст меню", required=True)


def _name(request: web.Request) -> str:
    name = request.match_info["name"]
    if name not in EDITABLE:
        raise web.HTTPNotFound()
    return name


async def get_voice(request: web.Request) -> web.Response:
    return web.json_response(await request.app[VOICE_KEY].state())


async def set_prompt_text(request: web.Request) -> web.Response:
    name = _name(request)
    data = await json_body(request)
    await request.app[VOICE_KEY].set_text(actor(request), name, req_str(data, "text", max_len=1000))
    return web.json_response({"status": "ok"})


async def upload_prompt(request: web.Request) -> web.Response:
    name = _name(request)
    data, filename, _ = await uploaded_file(request, what="Запись", choose="Выберите звуковой файл", max_bytes=MAX_RECORDING)
    converted = await request.app[VOICE_KEY].set_recording(actor(request), name, data, filename)
    return web.json_response({"status": "ok", "converted": converted})


async def prompt_audio(request: web.Request) -> web.StreamResponse:
    path = request.app[VOICE_KEY].path(_name(request))
    if not path.exists():
        raise web.HTTPNotFound()
    return web.FileResponse(path, headers={"Content-Type": "audio/wav", "Cache-Control": "no-store"})


async def set_greeting(request: web.Request) -> web.Response:
    data = await json_body(request)
    if "announcement" not in data and "office_hours" not in data:
        raise BadRequest("Укажите «announcement» и/или «office_hours»")
    voice = request.app[VOICE_KEY]
    hours = opt_str(data, "office_hours", max_len=20) if "office_hours" in data else \
        _hours_text(voice)
    await voice.set_greeting(actor(request), office_hours=hours,
                             announcement=opt_bool(data, "announcement", default=voice.greeting.announcement))
    return web.json_response(await voice.state())


def _hours_text(voice: VoiceMenu) -> str | None:
    return format_hours(voice.greeting.office_hours)


def _notify_state(config: NotifyConfig) -> dict[str, Any]:
    return {"url": config.url, "events": sorted(config.events),
            "known_events": [{"value": k, "label": v} for k, v in EVENT_LABELS.items()]}


async def get_webhook(request: web.Request) -> web.Response:
    return web.json_response(_notify_state(request.app[NOTIFY_KEY]))


def _check_url(url: str | None) -> str:
    if url and not url.startswith(("http://", "https://")):
        raise BadRequest("Адрес должен начинаться с http:// или https://")
    return url or ""


async def set_webhook(request: web.Request) -> web.Response:
    data = await json_body(request)
    if "url" not in data:
        raise BadRequest("Укажите «url» (пустой — не отправлять)")
    url = _check_url(opt_str(data, "url", max_len=500))
    events = data.get("events", list(TEXTS))
    if not isinstance(events, list) or not all(isinstance(e, str) and e in TEXTS for e in events):
        raise BadRequest(f"Поле «events»: список из {', '.join(TEXTS)}")
    config = request.app[NOTIFY_KEY]
    await request.app[JOURNAL_KEY].settings.set(actor(request), NOTIFY_SETTING, {"url": url, "events": events},
                                                summary="Уведомления: вебхук")
    config.update({"url": url, "events": events})
    return web.json_response(_notify_state(config))


async def test_webhook(request: web.Request) -> web.Response:
    """Send a test message to the URL given (or the one saved) and show what came back."""
    data = await json_body(request) if request.can_read_body else {}
    url = _check_url(opt_str(data, "url", max_len=500)) or request.app[NOTIFY_KEY].url
    if not url:
        raise BadRequest("Адрес вебхука не задан")
    message = {"event": "test", "text": "Проверка связи с аварийно-диспетчерской службой", "ticket_number": None}
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http, \
                http.post(url, json=message) as resp:
            body = (await resp.text(errors="replace"))[:500]
            return web.json_response({"ok": resp.status < 300, "status": resp.status, "body": body})
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        return web.json_response({"ok": False, "status": None, "error": type(exc).__name__ + (
            f": {exc}" if str(exc) else "")})


@require("admin")
async def voice_page(request: web.Request) -> web.StreamResponse:
    return render(request, "admin_voice.html", v=await request.app[VOICE_KEY].state())


@require("admin")
async def notify_page(request: web.Request) -> web.StreamResponse:
    return render(request, "admin_notify.html", n=_notify_state(request.app[NOTIFY_KEY]))


def add_routes(app: web.Application) -> None:
    app.router.add_get("/admin/voice", voice_page)
    app.router.add_get("/admin/notify", notify_page)


PROMPT_PATH = "/api/admin/voice/prompts/{name:[a-z-]+}"
VOICE_OPS = (
    Op("GET", "/api/admin/voice", get_voice, "Тексты голосового меню, объявление и часы работы", ("admin",),
       response=obj(prompts=array({"type": "object"}), announcement=BOOL, office_hours=NSTR, plan=array(STR))),
    Op("PUT", PROMPT_PATH, set_prompt_text, "Новый текст (озвучивается синтезатором и ставится в АТС)", ("admin",),
       (NAME,), body=obj(("text",), text=STR), response=obj(status=STR), errors=(400, 404, 422)),
    Op("POST", PROMPT_PATH + "/recording", upload_prompt,
       "Своя запись (WAV 8 кГц моно; другой формат преобразуется)", ("admin",), (NAME,),
       body=obj(("file",), file={"type": "string", "format": "binary"}), body_type="multipart/form-data",
       response=obj(status=STR, converted=BOOL), errors=(400, 404, 422)),
    Op("GET", PROMPT_PATH + ".wav", prompt_audio, "Прослушать текст меню", ("admin",), (NAME,),
       response={"type": "string", "format": "binary"}, errors=(404,)),
    Op("PUT", "/api/admin/voice/greeting", set_greeting, "Объявление вкл./выкл. и часы работы", ("admin",),
       body=obj(announcement=BOOL, office_hours=NSTR), response={"type": "object"}, errors=(400, 422)),
    Op("GET", "/api/admin/webhook", get_webhook, "Вебхук уведомлений и события", ("admin",),
       response=obj(url=STR, events=array(STR), known_events=array({"type": "object"}))),
    Op("PUT", "/api/admin/webhook", set_webhook, "Задать вебхук и события (пустой адрес — не отправлять)",
       ("admin",), body=obj(url=NSTR, events=array(STR)), response={"type": "object"}, errors=(400,)),
    Op("POST", "/api/admin/webhook/test", test_webhook, "Отправить пробное сообщение и показать ответ",
       ("admin",), body=obj(url=NSTR), response=obj(ok=BOOL, status=NINT, body=NSTR, error=NSTR), errors=(400,)),
)
