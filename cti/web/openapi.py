"""The OpenAPI 3 document, built from the same route records the router is built from."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from aiohttp import web

from cti.web.spec import ERROR_SCHEMA, TICKET_SCHEMA, Op

OPENAPI_KEY = web.AppKey("openapi", dict)

ERROR_TEXT = {400: "Неверный запрос", 401: "Нет сессии", 403: "Недостаточно прав или неверный CSRF-токен",
              404: "Не найдено", 409: "Конфликт (недопустимый переход статуса)", 422: "Недопустимое значение",
              503: "АТС не подключена"}


def _path(path: str) -> str:
    # aiohttp's "{id:\d+}" is OpenAPI's "{id}".
    return re.sub(r"\{(\w+):[^}]+\}", r"{\1}", path)


def _operation(op: Op) -> dict[str, Any]:
    ref_error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    responses: dict[str, Any] = {str(op.status): {"description": "Успешно"}}
    if op.response is not None:
        responses[str(op.status)]["content"] = {"application/json": {"schema": op.response}}
    for code in sorted({401, 403, 500, *op.errors}):
        responses[str(code)] = {"description": ERROR_TEXT.get(code, "Ошибка"), **ref_error}
    out: dict[str, Any] = {
        "summary": op.summary,
        "operationId": op.handler.__name__,
        "x-roles": list(op.roles),
        "parameters": [
            {"name": p.name, "in": p.where, "required": p.required or p.where == "path", "schema": p.schema,
             **({"description": p.description} if p.description else {})}
            for p in op.params
        ],
        "responses": responses,
    }
    if op.method not in ("GET", "HEAD"):
        out["parameters"].append({"name": "X-CSRF-Token", "in": "header", "required": True,
                                  "schema": {"type": "string"}, "description": "CSRF-токен сессии"})
    if op.body is not None:
        out["requestBody"] = {"required": True, "content": {op.body_type: {"schema": op.body}}}
    return out


def build_document(ops: Iterable[Op]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for op in ops:
        paths.setdefault(_path(op.path), {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.0.3",
        "info": {"title": "АДС: API пульта диспетчера", "version": "1.0.0",
                 "description": "Сессия — cookie после входа на /login; небезопасные методы требуют X-CSRF-Token."},
        "paths": paths,
        "components": {
            "schemas": {"Ticket": TICKET_SCHEMA, "Error": ERROR_SCHEMA},
            "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": "hotline_session"}},
        },
        "security": [{"session": []}],
    }


async def serve(request: web.Request) -> web.Response:
    return web.json_response(request.app[OPENAPI_KEY])
