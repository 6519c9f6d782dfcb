"""The reporting period of a page from its query string: local dates ``from``..``to`` inclusive."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from cti.web.errors import BadRequest
from cti.web.params import opt_day
from journal.analytics import Period
from journal.clock import utcnow

MAX_DAYS = 366


def period_from(query: dict[str, str], tz: ZoneInfo, *, default_days: int = 7) -> tuple[Period, date, date]:
    today = utcnow().astimezone(tz).date()
    last = opt_day(query.get("to"), "to") or today
    first = opt_day(query.get("from"), "from") or last - timedelta(days=default_days - 1)
    if first > last:
        raise BadRequest("Начало периода позже его конца")
    if (last - first).days >= MAX_DAYS:
        raise BadRequest(f"Период не длиннее {MAX_DAYS} дней")
    p = Period(datetime.combine(first, time(), tz), datetime.combine(last + timedelta(days=1), time(), tz))
    return p, first, last
