"""Jinja2 pages. Autoescape is on for everything: transcripts and names are shown as text."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from aiohttp import web

from cti.console import labels
from cti.web.keys import HUB_KEY, JOURNAL_KEY, OUTAGES_KEY, SESSIONS_KEY, TEMPLATES_KEY, TRAINING_KEY, USER_KEY

TEMPLATES_DIR = Path(__file__).parent / "templates"

NAV = (
    ("/console", "Пульт", ("dispatcher", "admin")),
    ("/tickets", "Журнал заявок", ("dispatcher", "qa", "admin")),
    ("/tickets/new", "Новая заявка", ("dispatcher", "admin")),
    ("/missed", "Пропущенные вызовы", ("dispatcher", "qa", "admin")),
    ("/outages", "Аварии", ("dispatcher", "qa", "admin")),
    ("/my", "Мои заявки", ("executor",)),
    ("/monitor", "Мониторинг", ("dispatcher", "qa", "admin")),
    ("/analytics", "Сводка", ("dispatcher", "qa", "admin")),
    ("/shift", "Смена", ("dispatcher", "admin")),
    ("/qa/calls", "Контроль качества", ("dispatcher", "qa", "admin")),
    ("/test-call", "Тестовый звонок", ("dispatcher", "admin")),
    ("/training", "Тренировка", ("dispatcher", "admin")),
    ("/admin/staff", "Администрирование", ("admin",)),
)


def build_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(labels=labels, nav_items=NAV)
    return env


def local_time(value: datetime | None, tz: ZoneInfo, fmt: str = "%d.%m.%Y %H:%M") -> str:
    return value.astimezone(tz).strftime(fmt) if value else "—"


def render(request: web.Request, template: str, *, status: int = 200, **context: Any) -> web.Response:
    env = request.app[TEMPLATES_KEY]
    user = request.get(USER_KEY)
    csrf = request.app[SESSIONS_KEY].csrf_token(user.sid) if user else ""
    tz = request.app[JOURNAL_KEY].config.tz
    html = env.get_template(template).render(
        user=user, csrf_token=csrf, path=request.path, pbx_connected=request.app[HUB_KEY].pbx_connected,
        pbx_nodes=request.app[HUB_KEY].pbx_nodes,
        pbx_standin=request.app[TRAINING_KEY].calls.available,
        lt=lambda v: local_time(datetime.fromisoformat(v), tz) if v else "—",
        outage_banner=request.app[OUTAGES_KEY].banner(tz) if user and OUTAGES_KEY in request.app else None,
        **context
    )
    return web.Response(text=html, status=status, content_type="text/html")
