"""API handlers for calls, people and dictionaries."""

from __future__ import annotations

from typing import cast

import structlog
from aiohttp import web

from cti.console import labels, serialize
from cti.web.api_tickets import actor, together
from cti.web.callback_limits import CallbackLimits
from cti.web.errors import BadRequest, Conflict, Unavailable, WebError
from cti.web.keys import CALLBACK_LIMITS_KEY, JOURNAL_KEY, NOTIFIER_KEY, ORIGINATOR_KEY, USER_KEY, CallbackOriginator
from cti.web.params import json_body, opt_bool, opt_int, opt_str, paging, path_id, req_str
from journal import CATEGORIES
from journal.addresses import format_address, normalize_phone
from journal.dialing import dialable, known_resident_number

log = structlog.get_logger(__name__)


class TooManyCallbacks(WebError):
    status = 429


async def missed_calls(request: web.Request) -> web.Response:
    journal = request.app[JOURNAL_KEY]
    limit, offset = paging(dict(request.query), default_limit=100)
    rows = await journal.calls.missed(pending_only=not opt_bool(dict(request.query), "all"), limit=limit, offset=offset)
    lk = await serialize.Lookups.load(journal)
    return web.json_response([serialize.missed(m, lk) for m in rows])


async def callback_result(request: web.Request) -> web.Response:
    data = await json_body(request)
    async with together(request):
        m = await request.app[JOURNAL_KEY].calls.callback_result(
            path_id(request), actor(request[USER_KEY]), req_str(data, "outcome", max_len=30),
            comment=opt_str(data, "comment"), ticket_id=opt_int(data, "ticket_id"),
        )
        request.app[NOTIFIER_KEY].missed_changed(m.id)
    lk = await serialize.Lookups.load(request.app[JOURNAL_KEY])
    return web.json_response(serialize.missed(m, lk))


def masked(number: str) -> str:
    """A number for the log: enough to see a paid range or a pattern, not the whole of it."""
    return number[:4] + "*" * max(0, len(number) - 6) + number[-2:]


async def call_back(request: web.Request) -> web.Response:
    """Ring the dispatcher's own phone, then the resident (the PBX side does the dialling).
    Only a resident's number the journal knows (a ticket's caller, a missed call), never a paid
    range, within the hourly limits; every request is logged with who asked."""
    data = await json_body(request)
    user = request[USER_KEY]
    raw = req_str(data, "number", max_len=32)
    number = dialable(raw)
    limits = cast(CallbackLimits, request.app[CALLBACK_LIMITS_KEY])
    digits = normalize_phone(raw) or ""
    log.info("callback.requested", user_id=user.user_id, login=user.login, extension=user.extension,
             number=masked(digits))
    if number is None:
        # A resident's Russian number only: a mis-click must never ring 112, a service number or
        # a paid range (the dialplan's callback context refuses them too).
        log.warning("callback.refused", login=user.login, number=masked(digits), reason="not dialable")
        raise BadRequest("Обратный звонок возможен только на российский номер жителя из 11 цифр, например "
                         "8 916 123-45-67 (платные номера 8-80x не набираются)")
    journal = request.app[JOURNAL_KEY]
    if not limits.allow_any and number not in limits.allowed and not await known_resident_number(journal.db, number):
        log.warning("callback.refused", login=user.login, number=masked(number), reason="unknown number")
        raise BadRequest("Перезвонить можно только на номер жителя из журнала (заявка или пропущенный вызов)")
    originate = cast("CallbackOriginator | None", request.app[ORIGINATOR_KEY])
    if originate is None:
        raise Unavailable("АТС не подключена: обратный звонок невозможен")
    if not user.extension:
        raise Conflict("У вашей учётной записи нет внутреннего номера")
    if (why := await limits.take(user.user_id)) is not None:
        log.warning("callback.refused", login=user.login, number=masked(number), reason="rate limit")
        raise TooManyCallbacks(why)
    try:
        await originate(user.extension, number)
    except Exception:
        log.exception("callback.originate_failed", extension=user.extension)
        raise Unavailable("АТС не приняла вызов, попробуйте ещё раз") from None
    log.info("callback.originated", user_id=user.user_id, login=user.login, extension=user.extension,
             number=masked(number))
    return web.json_response({"status": "calling", "extension": user.extension, "number": number}, status=202)


async def executors(request: web.Request) -> web.Response:
    users = await request.app[JOURNAL_KEY].people.users(role="executor")
    return web.json_response([serialize.user(u) for u in users if u.is_active])


async def buildings(request: web.Request) -> web.Response:
    rows = await request.app[JOURNAL_KEY].people.buildings()
    return web.json_response([{"id": b.id, "address": format_address(b.street_type, b.street, b.house, b.building)}
                              for b in rows])


async def dictionaries(request: web.Request) -> web.Response:
    journal = request.app[JOURNAL_KEY]
    lk = await serialize.Lookups.load(journal)
    return web.json_response({
        "categories": [{"value": c, "label": lk.category(c)} for c in CATEGORIES],
        "problems": [{"value": k, "label": v} for k, v in lk.problems.items()],
        "priorities": [{"value": k, "label": v} for k, v in labels.PRIORITY.items()],
        "statuses": [{"value": k, "label": v} for k, v in labels.STATUS.items()],
        "channels": [{"value": k, "label": labels.CHANNEL[k]} for k in labels.MANUAL_CHANNELS],
        "callback_outcomes": [{"value": k, "label": v} for k, v in labels.CALLBACK_OUTCOME.items()],
    })
