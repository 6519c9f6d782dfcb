"""create_app: the dispatcher console's aiohttp application, wired from what the composition
root hands in (settings, the journal, the hub, the PBX's callback originator)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import structlog
from aiohttp import web

from cti.console.hub import ConsoleHub
from cti.console.notifier import ConsoleNotifier
from cti.quality.notify import NotifyConfig
from cti.settings import MAKE_KEY, Settings, SettingsError, weak_secret_key
from cti.telephony.outages import OutageDesk
from cti.telephony.voice import VoiceMenu
from cti.training import NoCalls, TestCalls, TrainingService
from cti.web import (
    admin_pages,
    admin_voice,
    api,
    auth,
    downloads,
    outage_pages,
    pages,
    pages_training,
    quality_pages,
    report_pages,
    shift_pages,
    work_order,
    ws,
)
from cti.web.admin_voice import NOTIFY_KEY, VOICE_KEY
from cti.web.callback_limits import CallbackLimits
from cti.web.clients import parse_networks
from cti.web.csrf import csrf_middleware
from cti.web.errors import error_middleware
from cti.web.keys import (
    ATTACHMENTS_KEY,
    CALLBACK_LIMITS_KEY,
    HUB_KEY,
    JOURNAL_KEY,
    NOTIFIER_KEY,
    ORIGINATOR_KEY,
    OUTAGES_KEY,
    SECURE_COOKIES_KEY,
    SESSIONS_KEY,
    SETTINGS_KEY,
    TEMPLATES_KEY,
    THROTTLE_KEY,
    TRAINING_KEY,
    TRUSTED_PROXIES_KEY,
    CallbackOriginator,
)
from cti.web.pdf import PdfPrinter
from cti.web.quality_keys import PDF_KEY, QUALITY_KEY, build_quality
from cti.web.render import build_environment
from cti.web.sessions import SessionCodec, derive_key
from cti.web.throttle import LoginThrottle
from ivr.flow.greeting import GreetingPlan
from journal import Journal
from journal.attachments import Attachments
from journal.quality_suite import QualitySuite

log = structlog.get_logger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
MAX_UPLOAD = 11 * 1024 * 1024  # a 10 MB photo and the form around it

SECURITY_HEADERS = {
    # Scripts only from our own files: an injected <script> in a transcript would not run even
    # if escaping were ever missed.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; media-src 'self'; connect-src 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def session_key(settings: Settings) -> bytes:
    """The signing key of sessions, derived (HKDF-SHA256) from ``server.secret_key``; in demo mode
    without one, from a random key made once and kept in ``var/secret_key`` (mode 0600)."""
    secret = str(settings.server.secret_key)
    if not secret:
        if not settings.server.demo:
            raise SettingsError(f"setting 'server.secret_key' is missing outside demo mode; make one with: {MAKE_KEY}")
        secret = _demo_key(settings.path("var/secret_key"))
    if problem := weak_secret_key(secret):
        raise SettingsError(f"setting 'server.secret_key' {problem}; make one with: {MAKE_KEY}")
    return derive_key(secret.encode(), info=b"hotline session signing v1")


def _demo_key(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(key + "\n")
    log.info("web.session_key_created", path=str(path), reason="demo mode without server.secret_key")
    return key


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    # Pages, API answers, recordings and photos hold residents' data: never kept by the browser
    # or a proxy, so Back after log-out shows nothing. Only our own static files are cached.
    if not request.path.startswith(("/static/", "/favicon.ico")):
        response.headers["Cache-Control"] = "no-store"
    # No versions for a scanner to look up.
    response.headers["Server"] = "hotline"


async def _close_consoles(app: web.Application) -> None:
    await app[HUB_KEY].close_all()


def create_app(
    settings: Settings,
    journal: Journal,
    *,
    hub: ConsoleHub | None = None,
    callback_originator: CallbackOriginator | None = None,
    session_ttl: float | None = None,
    throttle: LoginThrottle | None = None,
    training: TrainingService | None = None,
    quality: QualitySuite | None = None,
    notify: NotifyConfig | None = None,
    greeting: GreetingPlan | None = None,
) -> web.Application:
    app = web.Application(middlewares=[error_middleware, auth.session_middleware, csrf_middleware],
                          client_max_size=MAX_UPLOAD)
    app[JOURNAL_KEY] = journal
    app[SETTINGS_KEY] = settings
    app[HUB_KEY] = hub or ConsoleHub()
    app[NOTIFIER_KEY] = ConsoleNotifier(app[HUB_KEY])
    app[SESSIONS_KEY] = SessionCodec(session_key(settings), ttl=session_ttl or settings.server.session_hours * 3600)
    app[THROTTLE_KEY] = throttle or LoginThrottle(journal.limits)
    try:
        app[TRUSTED_PROXIES_KEY] = parse_networks(settings.server.trusted_proxies)
    except ValueError as exc:
        raise SettingsError(f"setting 'server.trusted_proxies': {exc}") from None
    app[TEMPLATES_KEY] = build_environment()
    app[ATTACHMENTS_KEY] = Attachments(journal.db, journal.files)
    app[ORIGINATOR_KEY] = callback_originator
    cb = settings.callback
    app[CALLBACK_LIMITS_KEY] = CallbackLimits(journal.limits, per_dispatcher=cb.per_dispatcher_per_hour,
                                              total=cb.total_per_hour, allowed_numbers=cb.allowed_numbers,
                                              allow_any=cb.allow_any_number)
    app[SECURE_COOKIES_KEY] = settings.server.secure_cookies or settings.server.public_url.startswith("https://")
    # Without the stand-in (tests, a real Asterisk) the pages explain that test calls need it.
    app[TRAINING_KEY] = training or TrainingService(
        journal, TestCalls(NoCalls(), settings.path(settings.training.test_calls_dir)), settings.path(settings.training.scenarios_dir))

    app[QUALITY_KEY] = quality or build_quality(settings, journal)
    app[PDF_KEY] = PdfPrinter()
    # Shared with the notifier and the call flow, which read them live.
    app[NOTIFY_KEY] = notify or NotifyConfig(settings.notify.webhook_url)
    app[VOICE_KEY] = VoiceMenu(journal, greeting or GreetingPlan(tz=journal.config.tz),
                               settings.path(settings.voice.prompts_dir), settings.path("."))
    app[OUTAGES_KEY] = OutageDesk(journal, app[VOICE_KEY], suggest_calls=settings.outages.suggest_calls,
                                               suggest_minutes=settings.outages.suggest_minutes)

    r = app.router
    r.add_get("/health", pages.health)
    r.add_get("/favicon.ico", pages.favicon)
    r.add_get("/login", auth.login_page)
    r.add_post("/login", auth.login_submit)
    r.add_post("/login/password", auth.password_submit)
    r.add_post("/logout", auth.logout)
    r.add_get("/", pages.index)
    r.add_get("/console", pages.console)
    r.add_get("/tickets", pages.tickets)
    r.add_get("/tickets/new", pages.new_ticket)
    r.add_get(r"/tickets/{id:\d+}", pages.ticket)
    r.add_get(r"/tickets/{id:\d+}/order", work_order.work_order)
    r.add_get("/missed", pages.missed)
    r.add_get("/shift", shift_pages.shift)
    r.add_get("/my", pages.my_tickets)
    r.add_get("/test-call", pages_training.test_call)
    r.add_get("/training", pages_training.training)
    r.add_get(r"/recordings/{id:\d+}", downloads.recording)
    r.add_get(r"/attachments/{id:\d+}", downloads.attachment)
    r.add_get("/ws", ws.websocket)
    quality_pages.add_routes(app)
    report_pages.add_routes(app)
    admin_pages.add_routes(app)
    admin_voice.add_routes(app)
    outage_pages.add_routes(app)
    api.add_routes(app)
    r.add_static("/static/", STATIC_DIR, name="static")

    app.on_response_prepare.append(_security_headers)
    app.on_shutdown.append(_close_consoles)
    return app
