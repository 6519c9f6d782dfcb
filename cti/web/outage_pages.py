"""«Аварии»: the list of mass outages with the suggestions, declaring one (buildings by street,
by list, or every building of a street), its page (state, texts, children, attach/detach) and
the printable notices (ПП 416 п. 13 for the municipality, the entrance-door notice); the
/api/outages twins that change them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from aiohttp import web

from cti.console import serialize
from cti.periodic import Periodic
from cti.telephony.outages import CATEGORY_UTILITY, outage_view
from cti.web.admin_api import actor
from cti.web.auth import require
from cti.web.errors import BadRequest
from cti.web.keys import JOURNAL_KEY, OUTAGES_KEY
from cti.web.params import json_body, opt_str, path_id, req_str
from cti.web.render import local_time, render
from cti.web.spec import EDITORS, ID, INT, NSTR, READERS, STR, Op, array, obj
from journal import OutageDraft
from journal.clock import utcnow
from journal.enums import UTILITY_LABELS, Utility
from journal.errors import NotFound
from journal.outage_reads import street_name

log = structlog.get_logger(__name__)
REFRESH_SECONDS = 30.0


async def lifecycle(app: web.Application) -> AsyncIterator[None]:
    """The desk voices what an earlier run declared, then keeps the banner current."""
    desk = app[OUTAGES_KEY]
    try:
        await desk.start()
    except Exception:
        # The database is away at start: the console still serves (its pages say what fails),
        # and the board is read again on its next refresh.
        log.exception("outage.board_start_failed")
    task = Periodic("outage-board", desk.refresh, REFRESH_SECONDS)
    task.start()
    yield
    await task.stop()


def _tz(request: web.Request) -> ZoneInfo:
    return request.app[JOURNAL_KEY].config.tz


def _local(value: str | None, key: str, tz: ZoneInfo) -> datetime | None:
    """A datetime-local field («2026-01-15T18:30») in the service's time zone."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"Поле «{key}»: дата и время в виде 2026-01-15T18:30") from None
    return parsed.replace(tzinfo=tz) if parsed.tzinfo is None else parsed


def _ids(data: dict[str, Any], key: str) -> list[int]:
    raw = data.get(key, [])
    if not isinstance(raw, list) or not all(isinstance(x, int) and not isinstance(x, bool) for x in raw):
        raise BadRequest(f"Поле «{key}»: список номеров")
    return raw


# -- the API ---------------------------------------------------------------------------------
async def declare(request: web.Request) -> web.Response:
    data = await json_body(request)
    tz = _tz(request)
    draft = OutageDraft(
        utility=req_str(data, "utility", max_len=20), building_ids=_ids(data, "building_ids"),
        announcement=req_str(data, "announcement", max_len=1000), cause=opt_str(data, "cause", max_len=1000),
        started_at=_local(opt_str(data, "started_at", max_len=30), "started_at", tz),
        expected_restoration=_local(opt_str(data, "expected_restoration", max_len=30), "expected_restoration", tz),
        expires_at=_local(opt_str(data, "expires_at", max_len=30), "expires_at", tz),
        proposed=bool(data.get("proposed", False)),
    )
    outage = await request.app[OUTAGES_KEY].declare(draft, actor(request), _ids(data, "ticket_ids"))
    return web.json_response({"outage": outage_view(outage, tz)}, status=201)


async def change(request: web.Request) -> web.Response:
    data = await json_body(request)
    tz = _tz(request)
    changes: dict[str, object] = {}
    for key in ("announcement", "cause"):
        if key in data:
            changes[key] = opt_str(data, key, max_len=1000) or ""
    for key in ("expected_restoration", "expires_at"):
        if data.get(key):
            changes[key] = _local(opt_str(data, key, max_len=30), key, tz)
    if "building_ids" in data:
        changes["building_ids"] = _ids(data, "building_ids")
    if not changes:
        raise BadRequest("Нечего менять")
    outage = await request.app[OUTAGES_KEY].change(path_id(request), actor(request), **changes)
    return web.json_response({"outage": outage_view(outage, tz)})


async def set_state(request: web.Request) -> web.Response:
    data = await json_body(request)
    outage = await request.app[OUTAGES_KEY].set_state(
        path_id(request), req_str(data, "state", max_len=20), actor(request),
        resolution=opt_str(data, "resolution", max_len=2000), comment=opt_str(data, "comment", max_len=1000))
    return web.json_response({"outage": outage_view(outage, _tz(request))})


async def attach(request: web.Request) -> web.Response:
    data = await json_body(request)
    number = req_str(data, "number", max_len=20)
    journal = request.app[JOURNAL_KEY]
    ticket = await journal.tickets.by_number(number) if "-" in number else await journal.tickets.by_spoken_number(number)
    if ticket is None:
        raise NotFound("ticket", number)
    ticket = await request.app[OUTAGES_KEY].attach(path_id(request), ticket.id, actor(request))
    return web.json_response({"ticket_id": ticket.id, "number": ticket.number})


async def detach(request: web.Request) -> web.Response:
    data = await json_body(request)
    ticket_id = data.get("ticket_id")
    if not isinstance(ticket_id, int) or isinstance(ticket_id, bool):
        raise BadRequest("Поле «ticket_id»: номер заявки")
    ticket = await request.app[OUTAGES_KEY].detach(ticket_id, actor(request))
    return web.json_response({"ticket_id": ticket.id, "number": ticket.number})


async def list_outages(request: web.Request) -> web.Response:
    tz = _tz(request)
    now = utcnow()
    return web.json_response([outage_view(o, tz, now) for o in await request.app[JOURNAL_KEY].outages.recent()])


OUTAGE = {"type": "object"}
OUTAGE_OPS = (
    Op("GET", "/api/outages", list_outages, "Массовые аварии (последние)", READERS, response=array(OUTAGE)),
    Op("POST", "/api/outages", declare, "Объявить массовую аварию или плановое отключение", EDITORS,
       body=obj(("utility", "building_ids", "announcement"), utility=STR, building_ids=array(INT), announcement=STR,
                cause=NSTR, started_at=NSTR, expected_restoration=NSTR, expires_at=NSTR,
                proposed={"type": "boolean"}, ticket_ids=array(INT)),
       response=obj(outage=OUTAGE), status=201, errors=(400, 422)),
    Op("PATCH", r"/api/outages/{id:\d+}", change, "Изменить текст, дома, срок восстановления или действия", EDITORS,
       (ID,), body=obj(announcement=STR, cause=NSTR, expected_restoration=NSTR, expires_at=NSTR,
                       building_ids=array(INT)), response=obj(outage=OUTAGE), errors=(400, 404, 422)),
    Op("POST", r"/api/outages/{id:\d+}/state", set_state, "Сменить состояние (локализована, восстановлено, отменена)",
       EDITORS, (ID,), body=obj(("state",), state=STR, resolution=NSTR, comment=NSTR), response=obj(outage=OUTAGE),
       errors=(400, 404, 422)),
    Op("POST", r"/api/outages/{id:\d+}/attach", attach, "Присоединить заявку к аварии (по номеру)", EDITORS, (ID,),
       body=obj(("number",), number=STR), response=obj(ticket_id=INT, number=STR), errors=(400, 404, 422)),
    Op("POST", r"/api/outages/{id:\d+}/detach", detach, "Отсоединить заявку от аварии", EDITORS, (ID,),
       body=obj(("ticket_id",), ticket_id=INT), response=obj(ticket_id=INT, number=STR), errors=(400, 404, 422)),
)


# -- pages ------------------------------------------------------------------------------------
async def _streets(request: web.Request) -> list[dict[str, Any]]:
    """Buildings grouped by street, for picking «все дома улицы» or some of them."""
    lk = await serialize.Lookups.load(request.app[JOURNAL_KEY])
    streets: dict[str, list[dict[str, Any]]] = {}
    for b in lk.buildings.values():
        name = street_name(b.street_type, b.street)
        streets.setdefault(name, []).append({"id": b.id, "address": lk.address(b.id, None, None)})
    return [{"name": name, "buildings": sorted(items, key=lambda x: x["address"])}
            for name, items in sorted(streets.items())]


@require(*READERS)
async def outages_page(request: web.Request) -> web.StreamResponse:
    desk = request.app[OUTAGES_KEY]
    await desk.refresh()
    tz = _tz(request)
    now = utcnow()
    lk = await serialize.Lookups.load(request.app[JOURNAL_KEY])
    suggestions = [{
        "category": lk.category(s.category), "street": s.street, "count": s.calls,
        "utility": CATEGORY_UTILITY[s.category].value, "building_ids": ",".join(map(str, s.building_ids)),
        "ticket_ids": ",".join(map(str, s.ticket_ids)),
        "addresses": [lk.address(b, None, None) for b in s.building_ids],
    } for s in desk.board.suggestions]
    recent = await request.app[JOURNAL_KEY].outages.recent()
    return render(request, "outages.html", outages=[outage_view(o, tz, now) for o in recent], suggestions=suggestions,
                  minutes=int(desk.suggest_window.total_seconds() // 60))


def _csv_ints(value: str | None) -> list[int]:
    return [int(x) for x in (value or "").split(",") if x.strip().isdigit()][:2000]


@require(*EDITORS)
async def new_outage_page(request: web.Request) -> web.StreamResponse:
    q = request.query
    utility = q.get("utility", "")
    return render(request, "outage_new.html", streets=await _streets(request),
                  utilities=[(u.value, label) for u, label in UTILITY_LABELS.items()],
                  prefill={"utility": utility if utility in {u.value for u in Utility} else "",
                           "buildings": set(_csv_ints(q.get("buildings"))),
                           "tickets": ",".join(map(str, _csv_ints(q.get("tickets"))))})


@require(*READERS)
async def outage_page(request: web.Request) -> web.StreamResponse:
    journal = request.app[JOURNAL_KEY]
    desk = request.app[OUTAGES_KEY]
    outage = await journal.outages.get(path_id(request))
    lk = await serialize.Lookups.load(journal)
    now = utcnow()
    children = [serialize.ticket(t, lk, now) for t in await journal.outages.children(outage.id)]
    building_ids = await journal.outages.building_ids(outage.id)
    return render(request, "outage.html", o=outage_view(outage, _tz(request), now), children=children,
                  addresses=[lk.address(b, None, None) for b in building_ids], streets=await _streets(request),
                  chosen=set(building_ids), voice_error=desk.board.voice_errors.get(outage.id))


@require(*READERS)
async def notice_page(request: web.Request) -> web.StreamResponse:
    """Printable: the municipality's notice (ПП 416 п. 13) or the entrance-door notice."""
    journal = request.app[JOURNAL_KEY]
    outage = await journal.outages.get(path_id(request))
    kind = request.match_info["kind"]
    lk = await serialize.Lookups.load(journal)
    building_ids = await journal.outages.building_ids(outage.id)
    children = await journal.outages.children(outage.id)
    return render(request, "outage_notice.html", o=outage_view(outage, _tz(request)), kind=kind,
                  addresses=[lk.address(b, None, None) for b in building_ids], calls=len(children),
                  printed=local_time(utcnow(), _tz(request)))


def add_routes(app: web.Application) -> None:
    app.router.add_get("/outages", outages_page)
    app.router.add_get("/outages/new", new_outage_page)
    app.router.add_get(r"/outages/{id:\d+}", outage_page)
    app.router.add_get(r"/outages/{id:\d+}/{kind:municipality|door}", notice_page)
    app.cleanup_ctx.append(lifecycle)


__all__ = ["OUTAGE_OPS", "add_routes"]
