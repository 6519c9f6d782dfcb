"""/api/admin for buildings and residents: lists, one added or edited, a CSV/XLSX table checked
(a preview with every bad row) or imported (all rows or none), and exported back."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from cti.console import labels
from cti.tables import TableError, read_table, write_table
from cti.web.admin_api import ADMIN, actor
from cti.web.errors import BadRequest
from cti.web.keys import JOURNAL_KEY
from cti.web.params import json_body, opt_bool, opt_int, paging, path_id, uploaded_file
from cti.web.spec import BOOL, ID, INT, NINT, NSTR, STR, Op, Param, Schema, array, obj
from journal import ImportReport
from journal.addresses import format_address
from journal.estate import BUILDING_FIELDS, RESIDENT_FIELDS, building_row, resident_row
from journal.models import Building

KINDS = ("buildings", "residents")
IMPORT_MAX = 10 * 1024 * 1024


def report_json(r: ImportReport) -> dict[str, Any]:
    return {"kind": r.kind, "rows": r.rows, "created": r.created, "updated": r.updated, "applied": r.applied,
            "errors": [{"row": e.row, "field": e.field, "field_label": labels.FIELDS.get(e.field, e.field),
                        "message": e.message} for e in r.errors],
            "preview": [dict(row.items()) for row in r.preview],
            "columns": [{"key": k, "label": _capital(PREVIEW_LABELS.get(k, labels.FIELDS.get(k, k)))}
                        for k in (r.preview[0] if r.preview else {}) if k != "building_id"]}


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


PREVIEW_LABELS = {"exists": "В журнале", "address": "Дом", "street": "Улица", "house": "Дом", "building": "Корпус"}


def _fields(data: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """The known fields of a building or resident body, each text, a number or null."""
    out: dict[str, Any] = {}
    for name in names:
        if name not in data:
            continue
        value = data[name]
        if value is not None and (isinstance(value, bool) or not isinstance(value, (str, int, float))):
            raise BadRequest(f"Поле «{name}»: строка или число")
        if isinstance(value, str) and len(value) > 300:
            raise BadRequest(f"Поле «{name}» слишком длинное")
        out[name] = value
    return out


def building_json(b: Building) -> dict[str, Any]:
    return {"id": b.id, "address": format_address(b.street_type, b.street, b.house, b.building), **building_row(b)}


async def list_buildings(request: web.Request) -> web.Response:
    return web.json_response([building_json(b) for b in await request.app[JOURNAL_KEY].estate.buildings()])


async def create_building(request: web.Request) -> web.Response:
    data = _fields(await json_body(request), BUILDING_FIELDS)
    b = await request.app[JOURNAL_KEY].estate.save_building(actor(request), data)
    return web.json_response(building_json(b), status=201)


async def edit_building(request: web.Request) -> web.Response:
    building_id = path_id(request)
    data = _fields(await json_body(request), BUILDING_FIELDS)
    estate = request.app[JOURNAL_KEY].estate
    current = next((b for b in await estate.buildings() if b.id == building_id), None)
    if current is None:
        raise web.HTTPNotFound()
    b = await estate.save_building(actor(request), {**building_row(current), **data}, building_id)
    return web.json_response(building_json(b))


def _resident_body(data: dict[str, Any]) -> dict[str, Any]:
    out = _fields(data, RESIDENT_FIELDS)
    if "building_id" in data:
        out["building_id"] = opt_int(data, "building_id")
    return out


async def list_residents(request: web.Request) -> web.Response:
    limit, offset = paging(dict(request.query), default_limit=500)
    rows = await request.app[JOURNAL_KEY].estate.residents(limit=limit, offset=offset)
    return web.json_response([{"id": r.id, "building_id": r.building_id, **resident_row(r, b)} for r, b in rows])


async def create_resident(request: web.Request) -> web.Response:
    data = _resident_body(await json_body(request))
    r = await request.app[JOURNAL_KEY].estate.save_resident(actor(request), data)
    return web.json_response({"id": r.id, "phone": r.phone}, status=201)


async def edit_resident(request: web.Request) -> web.Response:
    resident_id = path_id(request)
    data = _resident_body(await json_body(request))
    estate = request.app[JOURNAL_KEY].estate
    base = resident_row(*await estate.resident(resident_id))
    if "building_id" in data:  # a building chosen by id replaces the address
        base = {k: v for k, v in base.items() if k not in ("street", "house", "building")}
    r = await estate.save_resident(actor(request), {**base, **data}, resident_id)
    return web.json_response({"id": r.id, "phone": r.phone})


def _kind(request: web.Request) -> str:
    kind = request.match_info.get("kind", "")
    if kind not in KINDS:
        raise web.HTTPNotFound()
    return kind


async def import_table(request: web.Request) -> web.Response:
    """Check a CSV/XLSX file (``apply`` false: a preview and the per-row errors), or import it
    (``apply`` true): all rows or, with any bad row, none (422 with the report)."""
    kind = _kind(request)
    data, filename, form = await uploaded_file(request, what="Файл", choose="Выберите файл CSV или XLSX", max_bytes=IMPORT_MAX)
    try:
        table = read_table(kind, data, filename)
    except TableError as exc:
        raise BadRequest(str(exc)) from None
    apply = opt_bool(dict(form), "apply")
    estate = request.app[JOURNAL_KEY].estate
    run = estate.import_buildings if kind == "buildings" else estate.import_residents
    report = await run(actor(request), table.rows, apply=apply)
    status = 422 if apply and not report.applied else 200
    return web.json_response(report_json(report), status=status)


async def export_rows(request: web.Request, kind: str) -> list[dict[str, Any]]:
    estate = request.app[JOURNAL_KEY].estate
    if kind == "buildings":
        return [building_row(b) for b in await estate.buildings()]
    return [resident_row(r, b) for r, b in await estate.residents(limit=1_000_000)]


async def export_table(request: web.Request) -> web.Response:
    kind = _kind(request)
    fmt = request.match_info["fmt"]
    body = write_table(kind, await export_rows(request, kind), fmt)
    ctype = "text/csv" if fmt == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return web.Response(body=body, content_type=ctype, headers={
        "Content-Disposition": f'attachment; filename="{kind}.{fmt}"'})


BUILDING: Schema = obj(street=STR, street_type=STR, house=STR, building=NSTR, entrances=NINT, floors=NINT,
                       apartments=NINT, lifts=NINT, company_code=NSTR, fias_id=NSTR, district=NSTR)
RESIDENT: Schema = obj(phone=STR, name=NSTR, building_id=NINT, street=NSTR, house=NSTR, building=NSTR,
                       apartment=NSTR, other_phones=NSTR)
REPORT: Schema = obj(kind=STR, rows=INT, created=INT, updated=INT, applied=BOOL,
                     errors=array(obj(row=INT, field=STR, field_label=STR, message=STR)),
                     preview=array({"type": "object"}), columns=array(obj(key=STR, label=STR)))
KIND = Param("kind", "path", {"type": "string", "enum": list(KINDS)}, "buildings или residents", required=True)
FMT = Param("fmt", "path", {"type": "string", "enum": ["csv", "xlsx"]}, "Формат", required=True)

ESTATE_OPS: tuple[Op, ...] = (
    Op("GET", "/api/admin/buildings", list_buildings, "Дома с паспортными данными", ADMIN,
       response=array(BUILDING)),
    Op("POST", "/api/admin/buildings", create_building, "Добавить дом", ADMIN, body=BUILDING, response=BUILDING,
       status=201, errors=(400, 422)),
    Op("PATCH", r"/api/admin/buildings/{id:\d+}", edit_building, "Изменить дом", ADMIN, (ID,), body=BUILDING,
       response=BUILDING, errors=(400, 404, 422)),
    Op("GET", "/api/admin/residents", list_residents, "Жители", ADMIN,
       (Param("limit", schema=INT), Param("offset", schema=INT)), response=array(RESIDENT), errors=(400,)),
    Op("POST", "/api/admin/residents", create_resident, "Добавить жителя", ADMIN, body=RESIDENT,
       response=obj(id=INT, phone=STR), status=201, errors=(400, 404, 422)),
    Op("PATCH", r"/api/admin/residents/{id:\d+}", edit_resident, "Изменить жителя", ADMIN, (ID,), body=RESIDENT,
       response=obj(id=INT, phone=STR), errors=(400, 404, 422)),
    Op("POST", "/api/admin/import/{kind:buildings|residents}", import_table,
       "Проверка (apply=false) или импорт (apply=true) таблицы CSV/XLSX: все строки или ни одной", ADMIN, (KIND,),
       body=obj(("file",), file={"type": "string", "format": "binary"}, apply=BOOL),
       body_type="multipart/form-data", response=REPORT, errors=(400, 404, 422)),
    Op("GET", "/api/admin/export/{kind:buildings|residents}.{fmt:csv|xlsx}", export_table,
       "Выгрузка домов или жителей (CSV, XLSX)", ADMIN,
       (KIND, FMT), response={"type": "string", "format": "binary"}, errors=(404,)),
)
