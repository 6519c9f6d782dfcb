"""HTML pages (Russian UI). They only read; every change goes through the /api routes
(static/app.js submits the forms there with the CSRF header)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from cti.console import labels, serialize
from cti.web.api_tickets import visible_ticket
from cti.web.auth import require
from cti.web.keys import ATTACHMENTS_KEY, JOURNAL_KEY, USER_KEY
from cti.web.params import opt_int, paging, path_id, ticket_filter
from cti.web.render import render
from cti.web.spec import EDITORS, READERS
from journal import CATEGORIES, Role, TicketFilter
from journal.clock import utcnow
from journal.search import Order, TicketSearch

HOME = {"dispatcher": "/console", "admin": "/console", "qa": "/tickets", "executor": "/my"}


async def index(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound(HOME.get(request[USER_KEY].role, "/tickets"))


async def _choices(request: web.Request) -> dict[str, Any]:
    journal = request.app[JOURNAL_KEY]
    lk = await serialize.Lookups.load(journal)
    return {
        "categories": [(c, lk.category(c)) for c in CATEGORIES],
        "problems": sorted(lk.problems.items(), key=lambda kv: kv[1]),
        "executors": [(u.id, u.full_name) for u in lk.users.values() if u.role == Role.EXECUTOR and u.is_active],
        "buildings": sorted(((b.id, lk.address(b.id, None, None)) for b in lk.buildings.values()), key=lambda kv: kv[1]),
        "lookups": lk,
    }


@require(*EDITORS)
async def console(request: web.Request) -> web.StreamResponse:
    return render(request, "console.html", **await _choices(request))


@require(*READERS)
async def tickets(request: web.Request) -> web.StreamResponse:
    journal = request.app[JOURNAL_KEY]
    query = {k: v for k, v in request.query.items() if v != ""}
    f = ticket_filter(query, request[USER_KEY], journal.config.tz)
    limit, offset = paging(query, default_limit=50)
    text = query.get("q", "")[:100] or None
    # The most urgent first unless asked otherwise: an emergency with 18 minutes left is on top.
    order = Order.RECEIVED if query.get("sort") == Order.RECEIVED else Order.DUE
    now = utcnow()
    search = TicketSearch(journal.db)
    rows = await search.tickets(f, now, text=text, order=order, limit=limit, offset=offset)
    total = await search.count(f, now, text=text)
    choices = await _choices(request)
    lk = choices["lookups"]
    base = {k: v for k, v in query.items() if k != "offset"}
    return render(
        request, "tickets.html", rows=[serialize.ticket(t, lk, now) for t in rows], total=total, q=query,
        prev_url=f"?{urlencode({**base, 'offset': max(0, offset - limit)})}" if offset > 0 else None,
        next_url=f"?{urlencode({**base, 'offset': offset + limit})}" if offset + limit < total else None,
        first=offset + 1 if rows else 0, last=offset + len(rows), **choices,
    )


async def ticket(request: web.Request) -> web.StreamResponse:
    t = await visible_ticket(request, path_id(request))
    journal = request.app[JOURNAL_KEY]
    choices = await _choices(request)
    lk = choices["lookups"]
    return render(
        request, "ticket.html", t=serialize.ticket(t, lk),
        history=[serialize.history_row(h, lk) for h in await journal.tickets.history(t.id)],
        recordings=[serialize.recording(r) for r in await journal.tickets.recordings(t.id) if r.deleted_at is None],
        attachments=[serialize.attachment(a) for a in await request.app[ATTACHMENTS_KEY].for_ticket(t.id)],
        **choices,
    )


@require(*EDITORS)
async def new_ticket(request: web.Request) -> web.StreamResponse:
    q = dict(request.query)
    return render(request, "new_ticket.html", channels=[(c, labels.CHANNEL[c]) for c in labels.MANUAL_CHANNELS],
                  prefill_phone=q.get("phone", "")[:32], prefill_missed=opt_int(q, "missed_id"), **await _choices(request))


@require(*READERS)
async def missed(request: web.Request) -> web.StreamResponse:
    journal = request.app[JOURNAL_KEY]
    show_all = request.query.get("all") == "1"
    rows = await journal.calls.missed(pending_only=not show_all, limit=200)
    lk = await serialize.Lookups.load(journal)
    return render(request, "missed.html", rows=[serialize.missed(m, lk) for m in rows], show_all=show_all,
                  outcomes=list(labels.CALLBACK_OUTCOME.items()), now=utcnow().isoformat())


@require("executor")
async def my_tickets(request: web.Request) -> web.StreamResponse:
    journal = request.app[JOURNAL_KEY]
    user = request[USER_KEY]
    now = utcnow()
    rows = await journal.monitor.tickets(TicketFilter(executor_id=user.user_id), now, limit=200)
    lk = await serialize.Lookups.load(journal)
    return render(request, "my.html", rows=[serialize.ticket(t, lk, now) for t in rows])


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def favicon(request: web.Request) -> web.Response:
    # Browsers ask for it on every page; an empty answer keeps it out of the log-in redirect.
    return web.Response(status=204)
