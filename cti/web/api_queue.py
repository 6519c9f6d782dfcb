"""GET /api/console/queue: the dispatcher's work queue beside the waiting callers (who come
over the websocket): new tickets not yet accepted, missed calls due for call-back, tickets due
within the hour, overdue and unassigned ones, with the counters every page's header shows.

The consoles ask again when a websocket message says something changed (a ticket, a missed
call, a call ending), and once a minute for what time alone changes (due -> overdue)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from cti.console import labels, serialize
from cti.web.keys import JOURNAL_KEY
from journal import TicketFilter
from journal.clock import utcnow
from journal.models import Ticket
from journal.work_queue import WorkQueue

LIST_LIMIT = 10  # per list: what the console's side column shows; the counters give the totals
DUE_SOON = timedelta(hours=1)
# What each list holds, in the order the console shows them.
SECTIONS: dict[str, TicketFilter] = {
    "due_soon": TicketFilter(due_within=DUE_SOON),
    "overdue": TicketFilter(overdue=True),
    "unassigned": TicketFilter(unassigned=True),
}


def item(t: Ticket, lk: serialize.Lookups, now: datetime) -> dict[str, Any]:
    return {"id": t.id, "number": t.number, "priority": t.priority, "emergency": t.priority == "emergency",
            "category_label": lk.category(t.category), "status_label": labels.STATUS.get(t.status, t.status),
            "address": lk.address(t.building_id, t.apartment, t.address_text), "caller_phone": t.caller_phone,
            "channel": t.channel, "next_due_at": serialize.iso(t.next_due_at),
            "received_at": serialize.iso(t.received_at),
            "overdue": bool(t.next_due_at is not None and t.next_due_at < now)}


def _emergencies_first(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: (not r["emergency"], r["next_due_at"] or "9999"))


async def work_queue(request: web.Request) -> web.Response:
    journal = request.app[JOURNAL_KEY]
    now = utcnow()
    lk = await serialize.Lookups.load(journal)
    out: dict[str, Any] = {"now": now.isoformat(), "counts": {}}
    # New voice-menu tickets nobody has handled yet (accepted, assigned, commented).
    queue = WorkQueue(journal.db)
    out["new"] = [item(t, lk, now) for t in await queue.unhandled(limit=LIST_LIMIT)]
    out["counts"]["new"] = await queue.unhandled_count()
    for name, f in SECTIONS.items():
        rows = await journal.monitor.tickets(f, now, limit=LIST_LIMIT)
        out[name] = _emergencies_first([item(t, lk, now) for t in rows])
        out["counts"][name] = await journal.monitor.count(f, now)
    missed = await journal.calls.missed(pending_only=True, limit=200)
    out["callbacks"] = [{"id": m.id, "caller_number": m.caller_number, "caller_name": m.caller_name,
                         "callback_due_at": serialize.iso(m.callback_due_at),
                         "reason_label": labels.missed_reason(m.reason, m.step)}
                        for m in missed[:LIST_LIMIT]]
    out["counts"]["callbacks"] = len(missed)
    return web.json_response(out)
