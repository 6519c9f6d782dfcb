"""Reading request input: query strings, JSON bodies. Bad input is a BadRequest in Russian."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from aiohttp import web

from cti.console import labels
from cti.web.errors import BadRequest, Forbidden
from cti.web.sessions import SessionUser
from journal import Role, TicketFilter

MAX_JSON_DEPTH = 16  # our bodies are flat objects; deeper is an attack on the parser
# Dates a journal can hold: anything outside is a typo or a probe (9999-12-31 + 1 day overflows).
MIN_DAY, MAX_DAY = date(1900, 1, 1), date(2999, 12, 31)


async def json_body(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BadRequest("Тело запроса должно быть JSON-объектом") from None
    except RecursionError:
        raise BadRequest(f"Слишком глубокая вложенность JSON (не больше {MAX_JSON_DEPTH} уровней)") from None
    if not isinstance(data, dict):
        raise BadRequest("Тело запроса должно быть JSON-объектом")
    if _depth(data) > MAX_JSON_DEPTH:
        raise BadRequest(f"Слишком глубокая вложенность JSON (не больше {MAX_JSON_DEPTH} уровней)")
    return data


def _depth(value: object) -> int:
    """Nesting depth of parsed JSON, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
    return deepest


def opt_str(data: dict[str, Any], key: str, *, max_len: int = 2000) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"Поле «{field_label(key)}» должно быть строкой")
    value = value.strip()
    if len(value) > max_len:
        raise BadRequest(f"Поле «{field_label(key)}» слишком длинное: не больше {max_len} "
                         f"{labels.plural(max_len, 'символа', 'символов', 'символов')}")
    return value or None


def req_str(data: dict[str, Any], key: str, *, max_len: int = 2000) -> str:
    value = opt_str(data, key, max_len=max_len)
    if value is None:
        raise BadRequest(f"Не заполнено поле «{field_label(key)}»")
    return value


def field_label(key: str) -> str:
    """A field as the form names it («имя заявителя», not ``caller_name``)."""
    return labels.FIELDS.get(key, key)


MAX_INT = 2**63 - 1


async def form_body(request: web.Request) -> Any:
    """The posted form (urlencoded or multipart); a malformed body is the client's error
    (400), not ours: e.g. multipart without a boundary."""
    try:
        return await request.post()
    except web.HTTPException:
        raise  # e.g. 413, too large
    except Exception:
        raise BadRequest("Неверный формат формы") from None


class Upload(NamedTuple):
    data: bytes
    filename: str
    form: Any  # the whole form, for the fields posted beside the file


async def uploaded_file(request: web.Request, *, what: str, choose: str, max_bytes: int) -> Upload:
    """The bytes and name of the file posted in the multipart field «file»: ``what`` names it in
    the error when the form is not multipart («Файл», «Запись»), ``choose`` asks for one when
    none came, and a file over ``max_bytes`` is refused with its limit in MB."""
    if not request.content_type.startswith("multipart/"):
        raise BadRequest(f"{what} отправляется формой multipart/form-data (поле «file»)")
    form = await form_body(request)
    upload = form.get("file")
    if upload is None or not hasattr(upload, "file"):
        raise BadRequest(choose)
    data = upload.file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise BadRequest(f"Файл больше {max_bytes // (1024 * 1024)} МБ")
    return Upload(data, str(upload.filename or ""), form)


def opt_int(data: dict[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise BadRequest(f"Поле «{field_label(key)}» должно быть числом")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise BadRequest(f"Поле «{field_label(key)}» должно быть числом") from None
    # Every number we store fits a signed 64-bit column; a larger one is nobody's id.
    if not -MAX_INT <= number <= MAX_INT:
        raise BadRequest(f"Поле «{field_label(key)}» вне допустимых пределов")
    return number


def opt_bool(data: dict[str, Any], key: str, default: bool = False) -> bool:
    value = data.get(key, default)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("1", "true", "on", "yes", "0", "false", "off", "no", ""):
        return value.lower() in ("1", "true", "on", "yes")
    raise BadRequest(f"Поле «{field_label(key)}» должно быть да/нет")


def path_id(request: web.Request, name: str = "id") -> int:
    try:
        number = int(request.match_info[name])
    except (KeyError, ValueError):
        raise web.HTTPNotFound() from None
    if not 0 < number <= MAX_INT:
        raise web.HTTPNotFound()
    return number


def opt_day(value: str | None, key: str) -> date | None:
    """A local date parameter (ГГГГ-ММ-ДД), or None when absent."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"Параметр «{key}»: дата в формате ГГГГ-ММ-ДД") from None
    if not MIN_DAY <= day <= MAX_DAY:
        raise BadRequest(f"Параметр «{key}»: дата вне допустимого диапазона "
                         f"({MIN_DAY:%d.%m.%Y} — {MAX_DAY:%d.%m.%Y})")
    return day


def ticket_filter(query: dict[str, str], user: SessionUser, tz: ZoneInfo) -> TicketFilter:
    """The journal filter from a query string. An executor always sees only their own tickets."""
    q = dict(query)
    start = opt_day(q.get("from"), "from")
    end = opt_day(q.get("to"), "to")
    executor_id = opt_int(q, "executor_id")
    if user.role == Role.EXECUTOR:
        if executor_id not in (None, user.user_id):
            raise Forbidden("Исполнитель видит только свои заявки")
        executor_id = user.user_id
    status = q.get("status") or None
    return TicketFilter(
        open_only=opt_bool(q, "open_only", default=status is None),
        received_from=datetime.combine(start, time(), tz) if start else None,
        received_to=datetime.combine(end + timedelta(days=1), time(), tz) if end else None,
        category=q.get("category") or None,
        building_id=opt_int(q, "building_id"),
        executor_id=executor_id,
        unassigned=opt_bool(q, "unassigned"),
        overdue=opt_bool(q, "overdue"),
        due_within=timedelta(hours=1) if opt_bool(q, "due_soon") else None,
        status=status,
        priority=q.get("priority") or None,
    )


def paging(query: dict[str, str], default_limit: int = 50) -> tuple[int, int]:
    q = dict(query)
    limit = opt_int(q, "limit") or default_limit
    offset = opt_int(q, "offset") or 0
    if not 1 <= limit <= 500 or offset < 0:
        raise BadRequest("Параметры страницы вне допустимых пределов")
    return limit, offset
