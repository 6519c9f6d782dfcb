"""Наряд-заказ: a ticket printed for the crew (the page, or a PDF from the same HTML), with
the resident's address and phone, the task, the deadline, and blanks for the work done, the
materials and both signatures."""

from __future__ import annotations

from aiohttp import web

from cti.console import serialize
from cti.web.api_tickets import visible_ticket
from cti.web.errors import Unavailable
from cti.web.keys import JOURNAL_KEY
from cti.web.params import path_id
from cti.web.pdf import PdfUnavailable
from cti.web.quality_keys import PDF_KEY
from cti.web.render import local_time, render
from cti.web.report_pages import STATIC, _file
from journal.clock import utcnow


async def work_order(request: web.Request) -> web.StreamResponse:
    t = await visible_ticket(request, path_id(request))
    journal = request.app[JOURNAL_KEY]
    lk = await serialize.Lookups.load(journal)
    pdf = request.query.get("format") == "pdf"
    tz = journal.config.tz
    page = render(request, "work_order.html", t=serialize.ticket(t, lk), pdf=pdf,
                  inline_css=(STATIC / "style.css").read_text(encoding="utf-8") if pdf else "",
                  generated=local_time(utcnow(), tz),
                  due=local_time(t.next_due_at or t.due_at, tz), received=local_time(t.received_at, tz))
    if not pdf:
        return page
    try:
        data = await request.app[PDF_KEY].print(page.text or "")
    except PdfUnavailable:
        raise Unavailable("Формирование PDF недоступно на этом сервере; распечатайте страницу наряда") from None
    return _file(data, f"naryad-{t.number}", "pdf")
