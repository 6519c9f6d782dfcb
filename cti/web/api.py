"""The /api routes: one record per operation (see spec.Op); the router and /api/openapi.json
are both built from API_OPS."""

from __future__ import annotations

from aiohttp import web

from cti.web import api_calls as calls
from cti.web import api_queue as queue
from cti.web import api_tickets as tickets
from cti.web import api_users as users
from cti.web import openapi
from cti.web import shift_pages as shift
from cti.web.admin_api import ADMIN_OPS
from cti.web.admin_estate import ESTATE_OPS
from cti.web.admin_sla import SLA_OPS
from cti.web.admin_system import SYSTEM_OPS
from cti.web.admin_voice import VOICE_OPS
from cti.web.api_training import TRAINING_OPS
from cti.web.auth import require
from cti.web.outage_pages import OUTAGE_OPS
from cti.web.spec import (
    ALL_ROLES,
    BOOL,
    DATE,
    EDITORS,
    ID,
    INT,
    NINT,
    NSTR,
    READERS,
    STR,
    TICKET,
    Op,
    Param,
    array,
    obj,
)

TICKET_LIST_PARAMS = (
    Param("status", description="Статус (new, accepted, ...)"), Param("category", description="Категория"),
    Param("priority", description="Приоритет"), Param("building_id", schema=INT, description="Дом"),
    Param("executor_id", schema=INT, description="Исполнитель"), Param("overdue", schema=BOOL, description="Просроченные"),
    Param("unassigned", schema=BOOL, description="Без исполнителя"),
    Param("open_only", schema=BOOL, description="Только открытые (по умолчанию — да, если статус не задан)"),
    Param("from", schema=DATE, description="Поступили с (ГГГГ-ММ-ДД)"),
    Param("to", schema=DATE, description="Поступили по (ГГГГ-ММ-ДД)"),
    Param("q", description="Поиск: номер заявки, телефон, адрес или слова описания и расшифровки"),
    Param("sort", description="Порядок: due — ближайший срок первым, received — новые первыми"),
    Param("limit", schema=INT), Param("offset", schema=INT),
)
NEW_TICKET = obj(("channel", "category"), channel=STR, category=STR, priority=NSTR, problem=NSTR, caller_phone=NSTR,
                 caller_name=NSTR, building_id=NINT, apartment=NSTR, address_text=NSTR, description=NSTR,
                 auto_assign=BOOL)
EDIT = obj(category=STR, problem=NSTR, priority=STR, building_id=NINT, apartment=NSTR, address_text=NSTR,
           description=NSTR, caller_name=NSTR)
ITEM = obj(value=STR, label=STR)

API_OPS: tuple[Op, ...] = (
    Op("GET", "/api/openapi.json", openapi.serve, "Этот документ OpenAPI", ALL_ROLES, response={"type": "object"}),
    Op("GET", "/api/me", tickets.me, "Текущий пользователь", ALL_ROLES,
       response=obj(id=INT, login=STR, name=STR, role=STR, role_label=STR, extension=NSTR, expires=INT)),
    Op("GET", "/api/tickets", tickets.list_tickets, "Заявки с фильтрами и постранично (исполнитель — только свои)",
       ALL_ROLES, TICKET_LIST_PARAMS, response=obj(items=array(TICKET), total=INT, limit=INT, offset=INT), errors=(400,)),
    Op("POST", "/api/tickets", tickets.create_ticket, "Создать заявку вручную", EDITORS, body=NEW_TICKET,
       response=obj(ticket=TICKET, created=BOOL), status=201, errors=(400, 404, 422)),
    Op("GET", r"/api/tickets/{id:\d+}", tickets.get_ticket, "Заявка с записями и вложениями", ALL_ROLES, (ID,),
       response=obj(ticket=TICKET, recordings=array({"type": "object"}), attachments=array({"type": "object"})),
       errors=(404,)),
    Op("PATCH", r"/api/tickets/{id:\d+}", tickets.edit_ticket, "Исправить категорию, адрес, приоритет", EDITORS,
       (ID,), body=EDIT, response=TICKET, errors=(400, 404, 422)),
    Op("POST", r"/api/tickets/{id:\d+}/assign", tickets.assign_ticket, "Назначить или снять исполнителя", EDITORS,
       (ID,), body=obj(executor_id=NINT), response=TICKET, errors=(400, 404, 409)),
    Op("POST", r"/api/tickets/{id:\d+}/status", tickets.change_status, "Сменить статус", (*EDITORS, "executor"),
       (ID,), body=obj(("status",), status=STR, comment=NSTR, result=NSTR), response=TICKET,
       errors=(400, 404, 409, 422)),
    Op("POST", r"/api/tickets/{id:\d+}/comments", tickets.add_comment, "Комментарий (публичный или служебный)",
       (*EDITORS, "executor"), (ID,), body=obj(("text",), text=STR, public=BOOL), response=obj(id=INT), status=201,
       errors=(400, 404, 422)),
    Op("GET", r"/api/tickets/{id:\d+}/history", tickets.ticket_history, "История изменений заявки", ALL_ROLES, (ID,),
       response=array({"type": "object"}), errors=(404,)),
    Op("POST", r"/api/tickets/{id:\d+}/attachments", tickets.upload_attachment, "Загрузить фотографию",
       (*EDITORS, "executor"), (ID,), body=obj(("photo",), photo={"type": "string", "format": "binary"}),
       body_type="multipart/form-data", response={"type": "object"}, status=201, errors=(400, 404)),
    Op("GET", "/api/console/card", tickets.console_card, "Карточка звонка: заявка, история абонента, заявки по дому",
       READERS, (Param("ticket_id", schema=INT), Param("phone"), Param("building_id", schema=INT)),
       response=obj(ticket={"type": "object", "nullable": True}, recordings=array({"type": "object"}),
                    history=array(TICKET), building={"type": "object"}), errors=(404,)),
    Op("GET", "/api/console/queue", queue.work_queue,
       "Очередь работы: новые, к перезвону, срок в течение часа, просроченные, без исполнителя", READERS,
       response=obj(now=STR, counts={"type": "object"}, new=array({"type": "object"}),
                    due_soon=array({"type": "object"}), overdue=array({"type": "object"}),
                    unassigned=array({"type": "object"}), callbacks=array({"type": "object"}))),
    Op("GET", "/api/residents/lookup", tickets.resident_lookup, "Житель по телефону и его открытые заявки", READERS,
       (Param("phone"),), response=obj(known=BOOL, name=NSTR, building_id=NINT, apartment=NSTR, address=NSTR,
                                       open_tickets=array(TICKET))),
    Op("GET", "/api/caller-history", tickets.caller_history, "Прежние заявки по телефону и адресу", READERS,
       (Param("phone"), Param("building_id", schema=INT)), response=array(TICKET)),
    Op("GET", "/api/missed", calls.missed_calls, "Пропущенные вызовы (по умолчанию — ожидающие перезвона)", READERS,
       (Param("all", schema=BOOL), Param("limit", schema=INT), Param("offset", schema=INT)),
       response=array({"type": "object"})),
    Op("POST", r"/api/missed/{id:\d+}/callback-result", calls.callback_result, "Записать результат перезвона",
       EDITORS, (ID,), body=obj(("outcome",), outcome=STR, comment=NSTR, ticket_id=NINT),
       response={"type": "object"}, errors=(400, 404, 422)),
    Op("POST", "/api/callback", calls.call_back, "Перезвонить жителю с телефона диспетчера", EDITORS,
       body=obj(("number",), number=STR), response=obj(status=STR, extension=STR, number=STR), status=202,
       errors=(400, 409, 429, 503)),
    Op("GET", "/api/executors", calls.executors, "Исполнители", READERS, response=array({"type": "object"})),
    Op("GET", "/api/buildings", calls.buildings, "Дома", READERS, response=array(obj(id=INT, address=STR))),
    Op("POST", r"/api/users/{id:\d+}/end-sessions", users.end_sessions,
       "Завершить все сеансы пользователя (его пульты закрываются, нужен повторный вход)", ("admin",), (ID,),
       response=obj(user={"type": "object"}, consoles_closed=INT), errors=(404,)),
    Op("PATCH", r"/api/users/{id:\d+}", users.update_user, "Отключить учётную запись или сменить роль", ("admin",),
       (ID,), body=obj(active=BOOL, role=STR), response={"type": "object"}, errors=(400, 404, 422)),
    Op("POST", "/api/me/presence", users.set_presence, "Моё состояние: на линии, перерыв, не на смене",
       ("dispatcher", "admin"), body=obj(("state",), state=STR), response=obj(state=STR, label=STR),
       errors=(400,)),
    Op("GET", "/api/dispatchers", users.dispatchers_presence, "Диспетчеры смены и их состояние", READERS,
       response=array({"type": "object"})),
    Op("POST", "/api/shift/notes", shift.add_handover_note, "Заметка следующей смене", ("dispatcher", "admin"),
       body=obj(("text",), text=STR), response=obj(at=STR, author=STR, text=STR), status=201, errors=(400,)),
    Op("GET", "/api/shift/notes/latest", shift.latest_note, "Последняя заметка о передаче смены", READERS,
       response={"type": "object", "nullable": True}),
    Op("GET", "/api/dictionaries", calls.dictionaries, "Справочники: категории, приоритеты, статусы, каналы",
       ALL_ROLES, response=obj(categories=array(ITEM), problems=array(ITEM), priorities=array(ITEM),
                               statuses=array(ITEM), channels=array(ITEM), callback_outcomes=array(ITEM))),
)


def add_routes(app: web.Application) -> None:
    ops = (*API_OPS, *TRAINING_OPS, *ADMIN_OPS, *ESTATE_OPS, *SYSTEM_OPS, *SLA_OPS, *VOICE_OPS, *OUTAGE_OPS)
    for op in ops:
        app.router.add_route(op.method, op.path, require(*op.roles)(op.handler), name=f"api.{op.handler.__name__}")
    app[openapi.OPENAPI_KEY] = openapi.build_document(ops)
