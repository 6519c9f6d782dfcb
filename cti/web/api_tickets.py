"""API handlers for tickets. They parse, call the journal, serialise; rules live in the journal."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from cti.console import labels, serialize
from cti.web.errors import BadRequest, Forbidden
from cti.web.keys import ATTACHMENTS_KEY, JOURNAL_KEY, NOTIFIER_KEY, USER_KEY
from cti.web.params import form_body, json_body, opt_bool, opt_int, opt_str, paging, path_id, req_str, ticket_filter
from cti.web.sessions import SessionUser
from journal import Actor, NewTicket, Role, Status, TicketFilter
from journal.clock import utcnow
from journal.lifecycle import can_change
from journal.models import Ticket
from journal.search import Order, TicketSearch
from journal.work_queue import WorkQueue

# Statuses an executor may set on their own ticket; accepting, closing, cancelling are the dispatcher's.
EXECUTOR_STATUSES = frozenset({Status.IN_PROGRESS, Status.POSTPONED, Status.DONE, Status.CANNOT_BE_DONE})
# A ticket is finished only with what was done (or why it cannot be), whoever finishes it.
NEEDS_RESULT = frozenset({Status.DONE, Status.CANNOT_BE_DONE, Status.CLOSED})
ALL_STATUSES = frozenset(s.value for s in Status)
MAX_DESCRIPTION = 5000
EDIT_FIELDS = ("category", "problem", "priority", "building_id", "apartment", "address_text", "description",
               "caller_name")
PHOTO_TYPES = {b"\xff\xd8\xff": (".jpg", "image/jpeg"), b"\x89PNG\r\n\x1a\n": (".png", "image/png")}
MAX_PHOTO = 10 * 1024 * 1024


def actor(user: SessionUser) -> Actor:
    return Actor(user.name, user.user_id)


async def visible_ticket(request: web.Request, ticket_id: int) -> Ticket:
    """The ticket, if this user may see it: executors only their own."""
    t = await request.app[JOURNAL_KEY].tickets.get(ticket_id)
    user = request[USER_KEY]
    if user.role == Role.EXECUTOR and t.executor_id != user.user_id:
        raise Forbidden("Это заявка другого исполнителя")
    return t


async def _one(request: web.Request, t: Ticket) -> dict[str, Any]:
    lk = await serialize.Lookups.load(request.app[JOURNAL_KEY])
    return serialize.ticket(t, lk)


def together(request: web.Request) -> AbstractAsyncContextManager[object]:
    """The journal change and the console's message about it commit together (cti/console/notifier.py)."""
    return request.app[NOTIFIER_KEY].together(request.app[JOURNAL_KEY].db)


def _changed(request: web.Request, t: Ticket) -> None:
    request.app[NOTIFIER_KEY].ticket_updated(t.id, status=t.status, executor_id=t.executor_id)


async def me(request: web.Request) -> web.Response:
    u = request[USER_KEY]
    return web.json_response({"id": u.user_id, "login": u.login, "name": u.name, "role": u.role,
                              "role_label": labels.ROLE.get(u.role, u.role), "extension": u.extension,
                              "expires": int(u.expires)})


async def list_tickets(request: web.Request) -> web.Response:
    """The journal as the «Журнал» page shows it: the same filters, the search (``q``) and the
    order (``sort``); without either, the journal's own order."""
    journal = request.app[JOURNAL_KEY]
    query = {k: v for k, v in request.query.items() if v != ""}
    f = ticket_filter(query, request[USER_KEY], journal.config.tz)
    limit, offset = paging(query)
    now = utcnow()
    text = query.get("q", "")[:100] or None
    sort = query.get("sort")
    if text is None and sort is None:
        rows = await journal.monitor.tickets(f, now, limit=limit, offset=offset)
        total = await journal.monitor.count(f, now)
    else:
        try:
            order = Order(sort or Order.DUE)
        except ValueError:
            raise BadRequest("Порядок (sort): due или received") from None
        search = TicketSearch(journal.db)
        rows = await search.tickets(f, now, text=text, order=order, limit=limit, offset=offset)
        total = await search.count(f, now, text=text)
    lk = await serialize.Lookups.load(journal)
    return web.json_response({"items": [serialize.ticket(t, lk, now) for t in rows], "total": total,
                              "limit": limit, "offset": offset})


async def create_ticket(request: web.Request) -> web.Response:
    data = await json_body(request)
    channel = req_str(data, "channel")
    if channel not in labels.MANUAL_CHANNELS:
        raise BadRequest("Канал: телефон (диспетчер), личный приём, письменное обращение или сайт")
    category = req_str(data, "category")
    caller_phone, building_id = opt_str(data, "caller_phone", max_len=32), opt_int(data, "building_id")
    address_text = opt_str(data, "address_text", max_len=300)
    # Somebody to call back or somewhere to go, and what is wrong: without them a crew cannot act.
    if not (caller_phone or building_id or address_text):
        raise BadRequest("Укажите телефон заявителя или адрес (дом или адрес текстом)")
    description = req_str(data, "description", max_len=MAX_DESCRIPTION)
    async with together(request):
        reg = await request.app[JOURNAL_KEY].tickets.register(NewTicket(
            channel=channel, category=category, actor=actor(request[USER_KEY]),
            priority=opt_str(data, "priority"), problem=opt_str(data, "problem"),
            caller_phone=caller_phone, caller_name=opt_str(data, "caller_name", max_len=200),
            building_id=building_id, apartment=opt_str(data, "apartment", max_len=20),
            address_text=address_text, description=description,
            auto_assign=opt_bool(data, "auto_assign", default=True),
        ))
        _changed(request, reg.ticket)
    return web.json_response({"ticket": await _one(request, reg.ticket), "created": reg.created},
                             status=201 if reg.created else 200)


async def get_ticket(request: web.Request) -> web.Response:
    t = await visible_ticket(request, path_id(request))
    journal = request.app[JOURNAL_KEY]
    recordings = await journal.tickets.recordings(t.id)
    attachments = await request.app[ATTACHMENTS_KEY].for_ticket(t.id)
    return web.json_response({"ticket": await _one(request, t),
                              "recordings": [serialize.recording(r) for r in recordings if r.deleted_at is None],
                              "attachments": [serialize.attachment(a) for a in attachments]})


async def edit_ticket(request: web.Request) -> web.Response:
    ticket_id = path_id(request)
    data = await json_body(request)
    unknown = set(data) - set(EDIT_FIELDS)
    if unknown:
        raise BadRequest("Эти поля нельзя изменить: " + ", ".join(sorted(unknown)))
    changes: dict[str, object] = {}
    for name in EDIT_FIELDS:
        if name in data:
            changes[name] = opt_int(data, name) if name == "building_id" else opt_str(data, name)
    if not changes:
        raise BadRequest("Нет изменений")
    async with together(request):
        t = await request.app[JOURNAL_KEY].tickets.edit(ticket_id, actor(request[USER_KEY]), **changes)
        _changed(request, t)
    return web.json_response(await _one(request, t))


async def assign_ticket(request: web.Request) -> web.Response:
    ticket_id = path_id(request)
    data = await json_body(request)
    async with together(request):
        t = await request.app[JOURNAL_KEY].tickets.assign(ticket_id, opt_int(data, "executor_id"), actor(request[USER_KEY]))
        _changed(request, t)
    return web.json_response(await _one(request, t))


async def change_status(request: web.Request) -> web.Response:
    ticket_id = path_id(request)
    user = request[USER_KEY]
    if user.role == Role.EXECUTOR:
        # Whose ticket first: another executor's ticket is refused whatever the body says.
        await visible_ticket(request, ticket_id)
    data = await json_body(request)
    status = req_str(data, "status", max_len=30)
    comment = opt_str(data, "comment", max_len=MAX_DESCRIPTION)
    result = opt_str(data, "result", max_len=MAX_DESCRIPTION)
    if user.role == Role.EXECUTOR and status not in EXECUTOR_STATUSES:
        raise Forbidden("Исполнитель может отметить: в работе, отложена, выполнена, невозможно выполнить")
    current = await request.app[JOURNAL_KEY].tickets.get(ticket_id)
    # The journal refuses an illegal change itself (409); these rules apply to a legal one.
    if status in ALL_STATUSES and can_change(current.status, status):
        if status == Status.ASSIGNED and current.executor_id is None:
            raise BadRequest("Статус «Назначена» требует исполнителя: выберите его и нажмите «Назначить»")
        if status in NEEDS_RESULT and not (result or current.result):
            raise BadRequest("Укажите результат работ")
    async with together(request):
        t = await request.app[JOURNAL_KEY].tickets.change_status(ticket_id, status, actor(user), comment=comment,
                                                                result=result)
        _changed(request, t)
    return web.json_response(await _one(request, t))


async def add_comment(request: web.Request) -> web.Response:
    ticket_id = path_id(request)
    await visible_ticket(request, ticket_id)
    data = await json_body(request)
    async with together(request):
        h = await request.app[JOURNAL_KEY].tickets.comment(
            ticket_id, actor(request[USER_KEY]), req_str(data, "text", max_len=5000), public=opt_bool(data, "public", True)
        )
        request.app[NOTIFIER_KEY].ticket_updated(ticket_id)
    return web.json_response({"id": h.id}, status=201)


async def ticket_history(request: web.Request) -> web.Response:
    t = await visible_ticket(request, path_id(request))
    journal = request.app[JOURNAL_KEY]
    lk = await serialize.Lookups.load(journal)
    return web.json_response([serialize.history_row(h, lk) for h in await journal.tickets.history(t.id)])


async def upload_attachment(request: web.Request) -> web.Response:
    t = await visible_ticket(request, path_id(request))
    form = await form_body(request)
    field = form.get("photo")
    if not isinstance(field, web.FileField):
        raise BadRequest("Прикрепите фотографию (поле «photo»)")
    data = field.file.read(MAX_PHOTO + 1)
    if len(data) > MAX_PHOTO:
        raise BadRequest("Фотография больше 10 МБ")
    # Trust the bytes, not the browser's content type: only JPEG and PNG are stored.
    kind = next((v for magic, v in PHOTO_TYPES.items() if data.startswith(magic)), None)
    if kind is None:
        raise BadRequest("Поддерживаются фотографии JPEG и PNG")
    suffix, content_type = kind
    # Some clients percent-encode non-ASCII names; a path part is never kept.
    name = unquote(field.filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip() or f"photo{suffix}"
    async with together(request):
        row = await request.app[ATTACHMENTS_KEY].add(t.id, actor(request[USER_KEY]), data=data, filename=name,
                                                     content_type=content_type, suffix=suffix)
        request.app[NOTIFIER_KEY].ticket_updated(t.id)
    return web.json_response(serialize.attachment(row), status=201)


async def caller_history(request: web.Request) -> web.Response:
    journal = request.app[JOURNAL_KEY]
    q = dict(request.query)
    rows = await journal.monitor.caller_history(phone=q.get("phone") or None, building_id=opt_int(q, "building_id"))
    lk = await serialize.Lookups.load(journal)
    return web.json_response([serialize.ticket(t, lk) for t in rows])


async def console_card(request: web.Request) -> web.Response:
    """Everything a screen-pop card shows, in one request: the ticket, its recordings, the
    caller's previous tickets (by phone and address) and open tickets on the same building."""
    journal = request.app[JOURNAL_KEY]
    q = dict(request.query)
    ticket_id = opt_int(q, "ticket_id")
    phone = q.get("phone") or None
    building_id = opt_int(q, "building_id")
    lk = await serialize.Lookups.load(journal)
    now = utcnow()
    out: dict[str, Any] = {"ticket": None, "recordings": []}
    if ticket_id is not None:
        t = await journal.tickets.get(ticket_id)
        out["ticket"] = serialize.ticket(t, lk, now)
        out["ticket"]["handled"] = await WorkQueue(journal.db).handled(t.id)
        out["recordings"] = [serialize.recording(r) for r in await journal.tickets.recordings(t.id) if r.deleted_at is None]
        phone = phone or t.caller_phone
        building_id = building_id or t.building_id
    history = await journal.monitor.caller_history(phone=phone, building_id=building_id)
    out["history"] = [serialize.ticket(h, lk, now) for h in history if h.id != ticket_id]
    building_open = (await journal.monitor.tickets(TicketFilter(building_id=building_id), now, limit=200)
                     if building_id is not None else [])
    out["building"] = {"id": building_id, "address": lk.address(building_id, None, None) if building_id else None,
                       "groups": serialize.building_groups(building_open, lk)}
    return web.json_response(out)


async def resident_lookup(request: web.Request) -> web.Response:
    """A phone typed on the new-ticket form: the known resident (name, house, flat) and their
    open tickets, so the dispatcher fills nothing twice and sees a repeat at once."""
    journal = request.app[JOURNAL_KEY]
    phone = request.query.get("phone", "")
    resident = await journal.people.find_resident(phone) if phone else None
    lk = await serialize.Lookups.load(journal)
    now = utcnow()
    history = await journal.monitor.caller_history(phone=phone, building_id=None, limit=10) if phone else []
    out: dict[str, Any] = {
        "known": resident is not None,
        "name": resident.name if resident else None,
        "building_id": resident.building_id if resident else None,
        "apartment": resident.apartment if resident else None,
        "address": lk.address(resident.building_id, resident.apartment, None) if resident and resident.building_id
        else None,
        "open_tickets": [serialize.ticket(t, lk, now) for t in history if t.is_open],
    }
    return web.json_response(out)
