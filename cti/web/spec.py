"""The API's routes as data: method, path, handler, roles and schemas in one record, so the
router and the OpenAPI document are built from the same list and cannot drift apart."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cti.web.errors import Handler
from journal import Role

Schema = dict[str, Any]

ALL_ROLES: tuple[str, ...] = tuple(Role)
READERS: tuple[str, ...] = (Role.DISPATCHER, Role.QA, Role.ADMIN)
EDITORS: tuple[str, ...] = (Role.DISPATCHER, Role.ADMIN)


@dataclass(frozen=True)
class Param:
    name: str
    where: str = "query"  # query | path
    schema: Schema = field(default_factory=lambda: {"type": "string"})
    description: str = ""
    required: bool = False


@dataclass(frozen=True)
class Op:
    method: str
    path: str
    handler: Handler
    summary: str
    roles: tuple[str, ...]
    params: tuple[Param, ...] = ()
    body: Schema | None = None
    body_type: str = "application/json"
    response: Schema | None = None
    status: int = 200
    errors: tuple[int, ...] = ()


def obj(required: tuple[str, ...] = (), **props: Schema) -> Schema:
    s: Schema = {"type": "object", "properties": props}
    if required:
        s["required"] = list(required)
    return s


STR: Schema = {"type": "string"}
NSTR: Schema = {"type": "string", "nullable": True}
INT: Schema = {"type": "integer"}
NINT: Schema = {"type": "integer", "nullable": True}
BOOL: Schema = {"type": "boolean"}
# A local date; the format makes the fuzzer try the extremes (0001-01-01, 9999-12-31).
DATE: Schema = {"type": "string", "format": "date"}
ID = Param("id", "path", INT, "Идентификатор", required=True)

TICKET: Schema = {"$ref": "#/components/schemas/Ticket"}
TICKET_SCHEMA: Schema = obj(
    id=INT, number=STR, status=STR, status_label=STR, is_open=BOOL, category=STR, category_label=STR,
    problem=NSTR, problem_label=NSTR, priority=STR, priority_label=STR, channel=STR, channel_label=STR,
    caller_phone=NSTR, caller_name=NSTR, building_id=NINT, apartment=NSTR, address_text=NSTR, address=STR,
    description=NSTR, transcript=NSTR, transcript_status=STR, suggested_category=NSTR,
    suggested_category_label=NSTR, suggested_guess=BOOL, executor_id=NINT, executor_name=NSTR, received_at=STR, next_due_at=NSTR,
    due_at=NSTR, localize_due_at=NSTR, localized_at=NSTR, done_at=NSTR, closed_at=NSTR, overdue=BOOL,
    result=NSTR, handover_to=NSTR, repeat_count=INT,
    allowed_statuses={"type": "array", "items": obj(value=STR, label=STR)},
)
ERROR_SCHEMA: Schema = obj(("error",), error=STR, request_id=STR, allowed={"type": "array", "items": STR})


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}
