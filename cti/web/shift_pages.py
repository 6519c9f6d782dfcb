"""Передача смены: the shift's summary (calls, tickets, missed calls and what is left open) and
the notes one shift leaves the next; the console shows the newest note to the next shift."""

from __future__ import annotations

from aiohttp import web

from cti.console import serialize
from cti.web.api_queue import SECTIONS
from cti.web.auth import require
from cti.web.errors import BadRequest
from cti.web.keys import JOURNAL_KEY, SETTINGS_KEY, USER_KEY
from cti.web.params import json_body
from cti.web.quality_keys import QUALITY_KEY
from cti.web.render import render
from cti.web.report_pages import summary_rows
from cti.web.spec import READERS
from journal import Actor, TicketFilter
from journal.analytics import Period
from journal.clock import utcnow
from journal.errors import InvalidValue
from journal.handover import add_note, notes, shift_at, shift_changes

LEFT_LABELS = {"due_soon": "Срок в течение часа", "overdue": "Просрочены", "unassigned": "Без исполнителя"}


@require(*READERS)
async def shift(request: web.Request) -> web.StreamResponse:
    journal = request.app[JOURNAL_KEY]
    now = utcnow()
    changes = shift_changes(request.app[SETTINGS_KEY].dispatchers.shift_changes)
    period = shift_at(now, journal.config.tz, changes)
    # What happened since the shift began (the summary counts up to now).
    summary = await request.app[QUALITY_KEY].analytics.summary(Period(period.start, now))
    lk = await serialize.Lookups.load(journal)
    left = [("Открыты", await journal.monitor.count(TicketFilter(), now))]
    left += [(LEFT_LABELS[name], await journal.monitor.count(f, now)) for name, f in SECTIONS.items()]
    left.append(("Ждут перезвона", len(await journal.calls.missed(pending_only=True, limit=500))))
    return render(request, "shift.html", start=period.start.isoformat(), end=period.end.isoformat(),
                  rows=summary_rows(summary, lk)[:11], left=left, notes=await notes(journal.settings))


async def add_handover_note(request: web.Request) -> web.Response:
    data = await json_body(request)
    user = request[USER_KEY]
    try:
        note = await add_note(request.app[JOURNAL_KEY].settings, Actor(user.name, user.user_id),
                              str(data.get("text") or ""))
    except InvalidValue as exc:
        raise BadRequest("Напишите заметку для следующей смены (до 2000 знаков)") from exc
    return web.json_response({"at": note.at.isoformat(), "author": note.author, "text": note.text}, status=201)


async def latest_note(request: web.Request) -> web.Response:
    """The newest note, for the console's banner (the next shift reads it once)."""
    found = await notes(request.app[JOURNAL_KEY].settings)
    if not found:
        return web.json_response(None)
    n = found[0]
    return web.json_response({"at": n.at.isoformat(), "author": n.author, "text": n.text})
