"""The web application (aiohttp). For now: health and a journal overview; the console grows here."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from journal import Journal, TicketFilter
from journal.clock import utcnow

from .settings import Settings

JOURNAL_KEY = web.AppKey("journal", Journal)
SETTINGS_KEY = web.AppKey("settings", Settings)


async def health(request: web.Request) -> web.Response:
    journal = request.app[JOURNAL_KEY]
    now = utcnow()
    open_count = await journal.monitor.count(TicketFilter(), now)
    return web.json_response({"status": "ok", "open_tickets": open_count})


async def overview(request: web.Request) -> web.Response:
    journal = request.app[JOURNAL_KEY]
    now = utcnow()
    monitor = journal.monitor
    figures = {
        "Открытые заявки": await monitor.count(TicketFilter(), now),
        "Просроченные": await monitor.count(TicketFilter(overdue=True), now),
        "Срок истекает в течение часа": await monitor.count(TicketFilter(due_within=timedelta(hours=1)), now),
        "Не назначены": await monitor.count(TicketFilter(unassigned=True), now),
    }
    rows = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in figures.items())
    html = (
        "<!doctype html><html lang='ru'><meta charset='utf-8'><title>АДС — журнал заявок</title>"
        f"<h1>Журнал заявок АДС</h1><table>{rows}</table></html>"
    )
    return web.Response(text=html, content_type="text/html")


def create_app(settings: Settings, journal: Journal) -> web.Application:
    app = web.Application()
    app[JOURNAL_KEY] = journal
    app[SETTINGS_KEY] = settings
    app.router.add_get("/health", health)
    app.router.add_get("/", overview)
    return app
