"""/api/admin: the administrator's REST twins of the staff pages (accounts, executors'
schedules, who is on duty) and of the audit log; buildings and residents are in
admin_estate.py. Handlers parse, call a journal service, answer; the rules live in
journal/staff.py and journal/schedule.py."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import structlog
from aiohttp import web

from cti.console import labels
from cti.web.errors import BadRequest
from cti.web.keys import HUB_KEY, JOURNAL_KEY, USER_KEY
from cti.web.params import json_body, opt_bool, opt_day, opt_int, opt_str, paging, path_id, req_str
from cti.web.spec import BOOL, ID, INT, NSTR, STR, Op, Param, Schema, array, obj
from journal import Actor, AuditFilter
from journal.clock import utcnow
from journal.models import AuditEntry, User
from journal.schedule import Period, Rota, WeeklyShift, check_pattern, hhmm, month_days, span_minutes
from journal.staff import ExecutorProfile

log = structlog.get_logger(__name__)

ADMIN = ("admin",)
WEEKDAYS = ("Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс")


def actor(request: web.Request) -> Actor:
    """Who, for the audit log: the name and the login."""
    user = request[USER_KEY]
    return Actor(f"{user.name} ({user.login})", user.user_id)


# -- serialisation -----------------------------------------------------------------------------

def user_json(u: User) -> dict[str, Any]:
    return {"id": u.id, "login": u.login, "full_name": u.full_name, "role": u.role,
            "role_label": labels.ROLE.get(u.role, u.role), "extension": u.extension, "phone": u.phone,
            "is_active": u.is_active, "must_change_password": u.must_change_password}


def period_json(p: Period | None, tz: Any) -> dict[str, str] | None:
    if p is None:
        return None
    return {"start": p.start.isoformat(), "end": p.end.isoformat(),
            "label": f"{p.start.astimezone(tz):%d.%m %H:%M} – {p.end.astimezone(tz):%d.%m %H:%M}"}


def profile_json(p: ExecutorProfile, leave: list[dict[str, Any]]) -> dict[str, Any]:
    rota = p.schedule.rotas[0] if p.schedule.rotas else None
    return {
        "categories": sorted(p.categories), "building_ids": sorted(p.building_ids),
        "weekly": [{"weekday": s.weekday, "start": hhmm(s.start_minute), "end": hhmm(s.start_minute + s.length_minutes)}
                   for s in sorted(p.schedule.weekly, key=lambda s: (s.weekday, s.start_minute))],
        "rota": {"starts_on": rota.starts_on.isoformat(), "start": hhmm(rota.start_minute),
                 "end": hhmm(rota.start_minute + rota.length_minutes), "pattern": rota.pattern} if rota else None,
        "changes": [{"id": p.change_ids[d], "date": d.isoformat(),
                     "start": hhmm(c.start_minute) if c.start_minute is not None else None,
                     "end": hhmm(c.start_minute + c.length_minutes)
                     if c.start_minute is not None and c.length_minutes is not None else None,
                     "reason": c.reason} for d, c in sorted(p.schedule.changes.items())],
        "leave": leave,
    }


def audit_json(e: AuditEntry) -> dict[str, Any]:
    return {"id": e.id, "at": e.at.isoformat(), "actor": e.actor, "actor_id": e.actor_id, "action": e.action,
            "object_type": e.object_type, "object_id": e.object_id, "summary": e.summary, "before": e.before,
            "after": e.after}


# -- staff -------------------------------------------------------------------------------------

async def list_users(request: web.Request) -> web.Response:
    users = await request.app[JOURNAL_KEY].people.users()
    return web.json_response([user_json(u) for u in users])


async def create_user(request: web.Request) -> web.Response:
    data = await json_body(request)
    user, password = await request.app[JOURNAL_KEY].staff.create_user(
        actor(request), login=req_str(data, "login", max_len=64), full_name=req_str(data, "full_name", max_len=200),
        role=req_str(data, "role"), extension=opt_str(data, "extension", max_len=20),
        phone=opt_str(data, "phone", max_len=32))
    return web.json_response({"user": user_json(user), "temporary_password": password}, status=201)


async def edit_user(request: web.Request) -> web.Response:
    data = await json_body(request)
    changes: dict[str, Any] = {}
    for key in ("full_name", "role", "extension", "phone"):
        if key in data:
            changes[key] = opt_str(data, key, max_len=200)
    if "is_active" in data:
        changes["is_active"] = opt_bool(data, "is_active")
    user = await request.app[JOURNAL_KEY].staff.update_user(actor(request), path_id(request), changes)
    if not user.is_active:
        # The journal voided the sessions; the consoles open now close at once.
        closed = await request.app[HUB_KEY].close_user(user.id)
        log.warning("sessions.ended", user_id=user.id, login=user.login, by=request[USER_KEY].login,
                    consoles=closed, reason="deactivated")
    return web.json_response(user_json(user))


async def reset_password(request: web.Request) -> web.Response:
    user_id = path_id(request)
    password = await request.app[JOURNAL_KEY].staff.reset_password(actor(request), user_id)
    closed = await request.app[HUB_KEY].close_user(user_id)
    log.warning("sessions.ended", user_id=user_id, by=request[USER_KEY].login, consoles=closed,
                reason="password_reset")
    return web.json_response({"temporary_password": password})


async def _leave(request: web.Request, user_id: int) -> list[dict[str, Any]]:
    rows = await request.app[JOURNAL_KEY].staff.leave(user_id)
    return [{"id": lv.id, "from": lv.starts_on.isoformat(), "to": lv.ends_on.isoformat(), "reason": lv.reason}
            for lv in rows]


async def get_profile(request: web.Request) -> web.Response:
    user_id = path_id(request)
    journal = request.app[JOURNAL_KEY]
    await journal.people.user(user_id)
    profile = await journal.staff.profile(user_id)
    return web.json_response(profile_json(profile, await _leave(request, user_id)))


def _span(data: dict[str, Any], where: str) -> tuple[int, int]:
    start, end = data.get("start"), data.get("end")
    if not isinstance(start, str) or not isinstance(end, str):
        raise BadRequest(f"{where}: укажите начало и конец смены (ЧЧ:ММ)")
    return span_minutes(start, end)


async def set_profile(request: web.Request) -> web.Response:
    user_id = path_id(request)
    data = await json_body(request)
    categories = data.get("categories", [])
    building_ids = data.get("building_ids", [])
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
        raise BadRequest("Поле «categories»: список категорий")
    if not isinstance(building_ids, list) or not all(isinstance(b, int) and not isinstance(b, bool)
                                                      for b in building_ids):
        raise BadRequest("Поле «building_ids»: список номеров домов (пустой — все дома)")
    weekly = []
    for item in data.get("weekly") or []:
        if not isinstance(item, dict) or not isinstance(item.get("weekday"), int):
            raise BadRequest("Поле «weekly»: список смен {weekday, start, end}")
        start, length = _span(item, "Смена по дням недели")
        weekly.append(WeeklyShift(item["weekday"], start, length))
    rota = None
    raw_rota = data.get("rota")
    if raw_rota:
        if not isinstance(raw_rota, dict):
            raise BadRequest("Поле «rota»: {starts_on, start, end, pattern}")
        starts_on = opt_day(str(raw_rota.get("starts_on") or ""), "rota.starts_on")
        if starts_on is None:
            raise BadRequest("График: укажите дату начала")
        start, length = _span(raw_rota, "График")
        rota = Rota(starts_on, start, length, check_pattern(str(raw_rota.get("pattern") or "")))
    profile = await request.app[JOURNAL_KEY].staff.set_profile(
        actor(request), user_id, categories=categories, building_ids=building_ids, weekly=weekly, rota=rota)
    return web.json_response(profile_json(profile, await _leave(request, user_id)))


async def add_day_change(request: web.Request) -> web.Response:
    user_id = path_id(request)
    data = await json_body(request)
    day = opt_day(opt_str(data, "date"), "date")
    if day is None:
        raise BadRequest("Укажите дату")
    start: int | None = None
    length: int | None = None
    if not opt_bool(data, "off"):
        start, length = _span(data, "Смена")
    await request.app[JOURNAL_KEY].staff.set_day_change(actor(request), user_id, day, start_minute=start,
                                                        length_minutes=length, reason=opt_str(data, "reason"))
    return web.json_response({"status": "ok"}, status=201)


async def delete_day_change(request: web.Request) -> web.Response:
    await request.app[JOURNAL_KEY].staff.delete_day_change(actor(request), path_id(request),
                                                           path_id(request, "change_id"))
    return web.json_response({"status": "ok"})


async def add_leave(request: web.Request) -> web.Response:
    user_id = path_id(request)
    data = await json_body(request)
    first = opt_day(opt_str(data, "from"), "from")
    last = opt_day(opt_str(data, "to"), "to")
    if first is None or last is None:
        raise BadRequest("Укажите даты начала и конца отпуска")
    leave_id = await request.app[JOURNAL_KEY].staff.add_leave(actor(request), user_id, first, last,
                                                              opt_str(data, "reason", max_len=200))
    return web.json_response({"id": leave_id}, status=201)


async def delete_leave(request: web.Request) -> web.Response:
    await request.app[JOURNAL_KEY].staff.delete_leave(actor(request), path_id(request), path_id(request, "leave_id"))
    return web.json_response({"status": "ok"})


def _month(value: str | None, today: date) -> tuple[int, int]:
    if not value:
        return today.year, today.month
    try:
        year, month = (int(x) for x in value.split("-"))
        date(year, month, 1)
    except ValueError:
        raise BadRequest("Параметр «month»: ГГГГ-ММ") from None
    return year, month


async def calendar_data(request: web.Request, user_id: int) -> dict[str, Any]:
    journal = request.app[JOURNAL_KEY]
    tz = journal.config.tz
    await journal.people.user(user_id)
    profile = await journal.staff.profile(user_id)
    year, month = _month(request.query.get("month"), utcnow().astimezone(tz).date())
    days = []
    sched = profile.schedule
    for day in month_days(year, month):
        shifts = sched.shifts_starting(day, tz)
        change = sched.changes.get(day)
        kind = ("leave" if sched.on_leave(day) else "change" if change is not None else
                "work" if shifts else "off")
        days.append({"date": day.isoformat(), "day": day.day, "weekday": day.weekday(), "kind": kind,
                     "reason": change.reason if change else None,
                     "shifts": [{"start": f"{p.start.astimezone(tz):%H:%M}", "end": f"{p.end.astimezone(tz):%H:%M}",
                                 "overnight": p.end.astimezone(tz).date() != day} for p in shifts]})
    return {"month": f"{year:04d}-{month:02d}", "days": days}


async def calendar(request: web.Request) -> web.Response:
    return web.json_response(await calendar_data(request, path_id(request)))


async def duty_data(request: web.Request, at: datetime | None = None) -> list[dict[str, Any]]:
    journal = request.app[JOURNAL_KEY]
    tz = journal.config.tz
    rows = await journal.staff.duty(at or utcnow(), tz)
    return [{"user": user_json(d.user), "now": period_json(d.now, tz), "next": period_json(d.next, tz)} for d in rows]


async def duty(request: web.Request) -> web.Response:
    return web.json_response(await duty_data(request))


# -- audit -------------------------------------------------------------------------------------

async def audit_log(request: web.Request) -> web.Response:
    q = dict(request.query)
    limit, offset = paging(q, default_limit=100)
    f = AuditFilter(object_type=q.get("object_type") or None, object_id=opt_int(q, "object_id"))
    journal = request.app[JOURNAL_KEY]
    rows = await journal.audit.entries(f, limit=limit, offset=offset)
    return web.json_response({"items": [audit_json(e) for e in rows], "total": await journal.audit.count(f)})


# -- the route records -------------------------------------------------------------------------

USER: Schema = obj(id=INT, login=STR, full_name=STR, role=STR, role_label=STR, extension=NSTR, phone=NSTR,
                   is_active=BOOL, must_change_password=BOOL)
SHIFT: Schema = obj(("start", "end"), start=STR, end=STR)
PROFILE: Schema = obj(categories=array(STR), building_ids=array(INT),
                      weekly=array(obj(("weekday", "start", "end"), weekday=INT, start=STR, end=STR)),
                      rota={"type": "object", "nullable": True,
                            "properties": {"starts_on": STR, "start": STR, "end": STR, "pattern": STR}})
SUB_ID = Param("change_id", "path", INT, "Изменение графика", required=True)
LEAVE_ID = Param("leave_id", "path", INT, "Отпуск", required=True)
U = r"/api/admin/users/{id:\d+}"

ADMIN_OPS: tuple[Op, ...] = (
    Op("GET", "/api/admin/users", list_users, "Сотрудники", ADMIN, response=array(USER)),
    Op("POST", "/api/admin/users", create_user, "Новый сотрудник (временный пароль, сменить при первом входе)",
       ADMIN, body=obj(("login", "full_name", "role"), login=STR, full_name=STR, role=STR, extension=NSTR,
                       phone=NSTR), response=obj(user=USER, temporary_password=STR), status=201, errors=(400, 422)),
    Op("PATCH", U, edit_user, "Изменить сотрудника: ФИО, роль, внутренний номер, телефон, действует ли", ADMIN,
       (ID,), body=obj(full_name=STR, role=STR, extension=NSTR, phone=NSTR, is_active=BOOL), response=USER,
       errors=(400, 404, 422)),
    Op("POST", U + "/reset-password", reset_password, "Сбросить пароль (новый — при следующем входе)", ADMIN,
       (ID,), response=obj(temporary_password=STR), errors=(404,)),
    Op("GET", U + "/profile", get_profile, "Профиль исполнителя: категории, дома, смены, изменения, отпуска",
       ADMIN, (ID,), response=PROFILE, errors=(404,)),
    Op("PUT", U + "/profile", set_profile, "Задать профиль исполнителя (пустой список домов — все дома)", ADMIN,
       (ID,), body=PROFILE, response=PROFILE, errors=(400, 404, 422)),
    Op("POST", U + "/day-changes", add_day_change, "Разовое изменение дня: другая смена или выходной", ADMIN,
       (ID,), body=obj(("date",), date=STR, start=STR, end=STR, off=BOOL, reason=NSTR), response=obj(status=STR),
       status=201, errors=(400, 404, 422)),
    Op("DELETE", U + r"/day-changes/{change_id:\d+}", delete_day_change, "Отменить изменение дня", ADMIN,
       (ID, SUB_ID), response=obj(status=STR), errors=(404,)),
    Op("POST", U + "/leave", add_leave, "Отпуск или больничный", ADMIN, (ID,),
       body=obj(("from", "to"), reason=NSTR, **{"from": STR, "to": STR}), response=obj(id=INT), status=201,
       errors=(400, 404, 422)),
    Op("DELETE", U + r"/leave/{leave_id:\d+}", delete_leave, "Удалить отпуск", ADMIN, (ID, LEAVE_ID),
       response=obj(status=STR), errors=(404,)),
    Op("GET", U + "/calendar", calendar, "График исполнителя на месяц", ADMIN,
       (ID, Param("month", description="ГГГГ-ММ")), response=obj(month=STR, days=array({"type": "object"})),
       errors=(400, 404)),
    Op("GET", "/api/admin/duty", duty, "Кто на смене сейчас и чья смена следующая", ADMIN,
       response=array(obj(user=USER, now={"type": "object", "nullable": True},
                          next={"type": "object", "nullable": True}))),
    Op("GET", "/api/admin/audit", audit_log, "Журнал действий администраторов", ADMIN,
       (Param("object_type"), Param("object_id", schema=INT), Param("limit", schema=INT),
        Param("offset", schema=INT)), response=obj(items=array({"type": "object"}), total=INT), errors=(400,)),
)
