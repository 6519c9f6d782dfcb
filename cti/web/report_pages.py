"""Monitor, analytics summary and the ПП 416 compliance report: HTML with server-drawn SVG
charts, CSV and XLSX exports, and a PDF of the printable report."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from aiohttp import web

from cti.console import serialize
from cti.export import Cell, to_csv, to_xlsx
from cti.web.auth import require
from cti.web.charts import hbar, lines
from cti.web.errors import BadRequest, Unavailable
from cti.web.keys import JOURNAL_KEY
from cti.web.pdf import PdfUnavailable
from cti.web.period import period_from
from cti.web.quality_keys import PDF_KEY, QUALITY_KEY
from cti.web.render import local_time, render
from cti.web.spec import READERS
from journal import TicketFilter
from journal.analytics import Period, Summary
from journal.clock import utcnow
from journal.compliance import MAX_ROWS, ComplianceReport, compliance

STATIC = Path(__file__).parent / "static"
PAGE_CALLS = 1000
OUTCOME = {"ticket": "заявка", "missed": "пропущен", "transferred": "переведён", "answered": "отвечен",
           "in_progress": "идёт"}


@require(*READERS)
async def monitor(request: web.Request) -> web.StreamResponse:
    journal = request.app[JOURNAL_KEY]
    m = journal.monitor
    now = utcnow()
    lk = await serialize.Lookups.load(journal)
    by_category = [(lk.category(c), n) for c, n in await m.open_counts("category")]
    by_building = [(lk.address(b, None, None), n) for b, n in (await m.open_counts("building"))[:15]]
    load = [(lk.user_name(e) or "не назначен", n) for e, n in await m.open_counts("executor")]
    ages = []
    edges = [(None, timedelta(hours=1), "до 1 ч"), (timedelta(hours=1), timedelta(days=1), "1–24 ч"),
             (timedelta(days=1), timedelta(days=7), "1–7 дн."), (timedelta(days=7), None, "больше 7 дн.")]
    for young, old, label in edges:
        f = TicketFilter(received_from=now - old if old else None, received_to=now - young if young else None)
        ages.append((label, await m.count(f, now)))
    counts = {
        "open": await m.count(TicketFilter(), now),
        "overdue": await m.count(TicketFilter(overdue=True), now),
        "due_hour": await m.count(TicketFilter(due_within=timedelta(hours=1)), now),
        "unassigned": await m.count(TicketFilter(unassigned=True), now),
    }
    due_soon = [serialize.ticket(t, lk, now) for t in await m.due_within(now, 60, limit=20)]
    overdue = [serialize.ticket(t, lk, now) for t in await m.overdue(now, limit=20)]
    return render(request, "monitor.html", counts=counts, due_soon=due_soon, overdue=overdue, charts=[
        hbar(ages, title="Открытые заявки по давности"),
        hbar(by_category, title="Открытые заявки по категориям"),
        hbar(load, title="Загрузка исполнителей (открытые заявки)"),
        hbar(by_building, title="Дома с наибольшим числом открытых заявок"),
    ])


async def _summary(request: web.Request) -> tuple[Summary, Period, date, date, serialize.Lookups]:
    q = {k: v for k, v in request.query.items() if v != ""}
    p, first, last = period_from(q, request.app[JOURNAL_KEY].config.tz, default_days=30)
    summary = await request.app[QUALITY_KEY].analytics.summary(p)
    return summary, p, first, last, await serialize.Lookups.load(request.app[JOURNAL_KEY])


def summary_rows(s: Summary, lk: serialize.Lookups) -> list[tuple[str, str, Cell]]:
    rows: list[tuple[str, str, Cell]] = [
        ("Звонки", "Поступило", s.calls_received), ("Звонки", "Обслужено", s.calls_answered),
        ("Звонки", "Пропущено", s.calls_missed), ("Звонки", "Ответил диспетчер", s.calls_by_dispatcher),
        ("Звонки", "Среднее время ответа диспетчера, с", s.answer_avg_seconds),
        ("Пропущенные", "Всего", s.missed_total), ("Пропущенные", "Перезвонили за 10 минут", s.missed_called_back_10min),
        ("Пропущенные", "Перезвонили за 10 минут, %", s.callback_percent),
        ("Заявки", "Всего", s.tickets_total), ("Заявки", "С повторными обращениями", s.repeat_tickets),
        ("Заявки", "Повторных обращений", s.repeat_requests),
    ]
    rows += [("Время ответа", label, n) for label, n in s.answer_buckets]
    rows += [("Заявки по категориям", lk.category(c), n) for c, n in s.by_category]
    rows += [("Заявки по домам", lk.address(b, None, None), n) for b, n in s.by_building]
    rows += [("Локализация, ч (среднее)", lk.category(c), h) for c, h in s.localize_hours.items()]
    rows += [("Устранение, ч (среднее)", lk.category(c), h) for c, h in s.fix_hours.items()]
    rows += [("Оценка исполнителя (среднее, число)", lk.user_name(e) or "не назначен", f"{a} ({n})")
             for e, a, n in s.ratings]
    return rows


@require(*READERS)
async def analytics(request: web.Request) -> web.StreamResponse:
    s, _p, first, last, lk = await _summary(request)
    # Every day of the period, with or without tickets, so the lines span it.
    days = [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]
    top = [c for c, _ in s.by_category[:5]]
    series = {lk.category(c): [float(s.by_day.get(d, {}).get(c, 0)) for d in days] for c in top}
    charts = [
        hbar(s.answer_buckets, title="Время ответа диспетчера"),
        hbar([(lk.category(c), n) for c, n in s.by_category], title="Заявки по категориям"),
        lines(series, [d[8:10] + "." + d[5:7] for d in days], title="Заявки по дням (5 основных категорий)"),
        hbar([(lk.address(b, None, None), n) for b, n in s.by_building], title="Заявки по домам (15 первых)"),
        hbar([(lk.category(c), h) for c, h in s.localize_hours.items()], title="Среднее время локализации, ч"),
        hbar([(lk.category(c), h) for c, h in s.fix_hours.items()], title="Среднее время устранения, ч"),
        hbar([(lk.user_name(e) or "не назначен", a) for e, a, _ in s.ratings], title="Оценки жителей по исполнителям"),
    ]
    return render(request, "analytics.html", s=s, charts=charts, q={"from": first.isoformat(), "to": last.isoformat()},
                  ratings=[(lk.user_name(e) or "не назначен", a, n) for e, a, n in s.ratings])


def _file(data: bytes, name: str, fmt: str) -> web.Response:
    types = {"csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "pdf": "application/pdf"}
    resp = web.Response(body=data, headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})
    resp.headers["Content-Type"] = types[fmt]
    return resp


def _table(fmt: str, header: list[str], rows: list[list[Cell]], name: str) -> web.Response:
    if fmt == "csv":
        return _file(to_csv(header, rows), name, fmt)
    if fmt == "xlsx":
        return _file(to_xlsx(header, rows), name, fmt)
    raise BadRequest("Формат выгрузки: csv или xlsx")


@require(*READERS)
async def analytics_export(request: web.Request) -> web.StreamResponse:
    s, _, first, last, lk = await _summary(request)
    rows = [list(r) for r in summary_rows(s, lk)]
    return _table(request.match_info["fmt"], ["Раздел", "Показатель", "Значение"], rows,
                  f"summary-{first.isoformat()}-{last.isoformat()}")


async def _compliance(request: web.Request, *, max_calls: int = MAX_ROWS, calls_only: bool = False,
                      ) -> tuple[ComplianceReport, date, date, serialize.Lookups]:
    q = {k: v for k, v in request.query.items() if v != ""}
    p, first, last = period_from(q, request.app[JOURNAL_KEY].config.tz, default_days=7)
    report = await compliance(request.app[JOURNAL_KEY].db, p, utcnow(), max_calls=max_calls, calls_only=calls_only)
    return report, first, last, await serialize.Lookups.load(request.app[JOURNAL_KEY])


def compliance_rows(r: ComplianceReport, lk: serialize.Lookups, request: web.Request) -> list[list[Cell]]:
    tz = request.app[JOURNAL_KEY].config.tz
    return [[local_time(c.started_at, tz, "%d.%m.%Y %H:%M:%S"),
             local_time(c.answered_at, tz, "%H:%M:%S") if c.answered_at else "",
             round(c.answer_seconds, 1) if c.answer_seconds is not None else None, c.caller_number or "",
             lk.user_name(c.dispatcher_id) or "", OUTCOME.get(c.outcome, c.outcome), c.ticket_number or "",
             "да" if c.recording else "нет"] for c in r.calls]


CALL_HEADER = ["Начало", "Ответ", "Ожидание, с", "Номер", "Диспетчер", "Исход", "Номер заявки сообщён", "Запись"]


@require(*READERS)
async def compliance_page(request: web.Request) -> web.StreamResponse:
    # The page lists the first calls; the files (CSV, XLSX, PDF) list them all.
    report, first, last, lk = await _compliance(request, max_calls=PAGE_CALLS)
    return _compliance_html(request, report, first, last, lk, pdf=False)


def _compliance_html(request: web.Request, report: ComplianceReport, first: date, last: date,
                     lk: serialize.Lookups, *, pdf: bool) -> web.Response:
    css = (STATIC / "style.css").read_text(encoding="utf-8") if pdf else ""
    return render(request, "compliance.html", r=report, calls=compliance_rows(report, lk, request),
                  header=CALL_HEADER, q={"from": first.isoformat(), "to": last.isoformat()}, pdf=pdf, inline_css=css,
                  generated=local_time(utcnow(), request.app[JOURNAL_KEY].config.tz), lk=lk,
                  period_text=f"{first:%d.%m.%Y} — {last:%d.%m.%Y}")


@require(*READERS)
async def compliance_file(request: web.Request) -> web.StreamResponse:
    fmt = request.match_info["fmt"]
    # The PDF prints the whole report; the tables (CSV, XLSX) list the calls.
    report, first, last, lk = await _compliance(request, calls_only=fmt != "pdf")
    name = f"pp416-{first.isoformat()}-{last.isoformat()}"
    if fmt == "pdf":
        html = _compliance_html(request, report, first, last, lk, pdf=True).text or ""
        try:
            data = await request.app[PDF_KEY].print(html)
        except PdfUnavailable:
            raise Unavailable("Формирование PDF недоступно на этом сервере; распечатайте страницу отчёта") from None
        return _file(data, name, "pdf")
    return _table(fmt, CALL_HEADER, compliance_rows(report, lk, request), name)


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/monitor", monitor)
    r.add_get("/analytics", analytics)
    r.add_get(r"/analytics/export.{fmt:csv|xlsx}", analytics_export)
    r.add_get("/reports/compliance", compliance_page)
    r.add_get(r"/reports/compliance.{fmt:csv|xlsx|pdf}", compliance_file)


