"""The administrator's pages (Russian UI, role admin only): staff and executors' schedules,
buildings and residents, the audit log, the system page. They only read; every change goes
through /api/admin (static/admin.js), which writes the audit log."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from aiohttp import web

from cti.console import labels, serialize
from cti.web.admin_api import WEEKDAYS, audit_json, calendar_data, duty_data, profile_json, user_json
from cti.web.admin_estate import building_json
from cti.web.admin_sla import sla_page
from cti.web.admin_system import system_status
from cti.web.auth import require
from cti.web.keys import JOURNAL_KEY
from cti.web.params import path_id
from cti.web.render import render
from journal import CATEGORIES, Role
from journal.addresses import format_address
from journal.clock import utcnow

ADMIN = ("admin",)
PATTERNS = (("1000", "Сутки через трое (1000)"), ("1100", "Два через два (1100)"), ("1", "Каждый день (1)"),
            ("1111100", "Пятидневка (1111100)"))
ACTIONS = {
    "user.create": "Новый сотрудник", "user.update": "Изменение сотрудника", "user.deactivate": "Отключение",
    "user.activate": "Включение", "user.reset_password": "Сброс пароля", "executor.profile": "Профиль исполнителя",
    "executor.day_change": "Изменение дня", "executor.day_change_delete": "Отмена изменения дня",
    "executor.leave": "Отпуск", "executor.leave_delete": "Отмена отпуска", "building.create": "Новый дом",
    "building.update": "Изменение дома", "building.import": "Импорт домов", "resident.create": "Новый житель",
    "resident.update": "Изменение жителя", "resident.import": "Импорт жителей",
    "sla.version": "Новая версия сроков",
}


@require(*ADMIN)
async def admin_index(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/admin/staff")


@require(*ADMIN)
async def staff_page(request: web.Request) -> web.StreamResponse:
    journal = request.app[JOURNAL_KEY]
    users = [user_json(u) for u in await journal.people.users()]
    return render(request, "admin_staff.html", users=users, duty=await duty_data(request),
                  roles=list(labels.ROLE.items()))


@require(*ADMIN)
async def user_page(request: web.Request) -> web.StreamResponse:
    journal = request.app[JOURNAL_KEY]
    user_id = path_id(request)
    u = await journal.people.user(user_id)
    lk = await serialize.Lookups.load(journal)
    context: dict[str, Any] = {"u": user_json(u), "roles": list(labels.ROLE.items()), "profile": None}
    if u.role == Role.EXECUTOR:
        profile = await journal.staff.profile(user_id)
        leave = [{"id": lv.id, "from": lv.starts_on.isoformat(), "to": lv.ends_on.isoformat(), "reason": lv.reason}
                 for lv in await journal.staff.leave(user_id)]
        cal = await calendar_data(request, user_id)
        first = date.fromisoformat(cal["month"] + "-01")
        prev_month = (first - timedelta(days=1)).strftime("%Y-%m")
        next_month = (first + timedelta(days=32)).strftime("%Y-%m")
        buildings = sorted(((b.id, format_address(b.street_type, b.street, b.house, b.building))
                            for b in lk.buildings.values()), key=lambda kv: kv[1])
        pj = profile_json(profile, leave)
        context.update(
            profile=pj, weekly_by_day={w["weekday"]: w for w in pj["weekly"]},
            categories=[(c, lk.category(c)) for c in CATEGORIES], buildings=buildings, weekdays=WEEKDAYS,
            calendar=cal, lead_blanks=first.weekday(), prev_month=prev_month, next_month=next_month,
            patterns=PATTERNS, today=utcnow().astimezone(journal.config.tz).date().isoformat(),
        )
    return render(request, "admin_user.html", **context)


@require(*ADMIN)
async def buildings_page(request: web.Request) -> web.StreamResponse:
    journal = request.app[JOURNAL_KEY]
    rows = [building_json(b) for b in await journal.estate.buildings()]
    return render(request, "admin_buildings.html", rows=rows)


@require(*ADMIN)
async def residents_page(request: web.Request) -> web.StreamResponse:
    journal = request.app[JOURNAL_KEY]
    rows = [{"id": r.id, "phone": r.phone, "name": r.name, "apartment": r.apartment, "building_id": r.building_id,
             "other_phones": r.other_phones.strip(",") if r.other_phones else None,
             "address": format_address(b.street_type, b.street, b.house, b.building) if b else "—"}
            for r, b in await journal.estate.residents(limit=500)]
    buildings = sorted(((b.id, format_address(b.street_type, b.street, b.house, b.building))
                        for b in await journal.estate.buildings()), key=lambda kv: kv[1])
    return render(request, "admin_residents.html", rows=rows, buildings=buildings)


@require(*ADMIN)
async def audit_page(request: web.Request) -> web.StreamResponse:
    journal = request.app[JOURNAL_KEY]
    rows = [audit_json(e) for e in await journal.audit.entries(limit=200)]
    return render(request, "admin_audit.html", rows=rows, actions=ACTIONS)


@require(*ADMIN)
async def system_page(request: web.Request) -> web.StreamResponse:
    return render(request, "admin_system.html", s=await system_status(request))


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/admin", admin_index)
    r.add_get("/admin/staff", staff_page)
    r.add_get(r"/admin/staff/{id:\d+}", user_page)
    r.add_get("/admin/buildings", buildings_page)
    r.add_get("/admin/residents", residents_page)
    r.add_get("/admin/audit", audit_page)
    r.add_get("/admin/system", system_page)
    r.add_get("/admin/sla", sla_page)
