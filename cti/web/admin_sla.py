"""Categories and deadlines (config/sla.toml) edited by an administrator: the rules in force,
a draft checked before it is saved as a new version, and a preview — "a sewer blockage
reported now is due at …"."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from cti.console import labels
from cti.web.admin_api import actor
from cti.web.auth import require
from cti.web.errors import WebError
from cti.web.keys import JOURNAL_KEY
from cti.web.params import json_body, opt_str, req_str
from cti.web.render import render
from cti.web.spec import INT, NSTR, STR, Op, array, obj
from journal import CATEGORIES, ConfigError
from journal.clock import utcnow
from journal.sla import SlaPolicy

MAX_TEXT = 200_000


class Unprocessable(WebError):
    status = 422


def _rules(policy: SlaPolicy) -> list[dict[str, Any]]:
    return [{"id": r.id, "title": r.title, "categories": sorted(r.categories), "problems": sorted(r.problems),
             "priorities": sorted(r.priorities), "channels": sorted(r.channels), "handover": r.handover}
            for r in policy.rules]


def _checked(request: web.Request, text: str) -> SlaPolicy:
    try:
        return request.app[JOURNAL_KEY].sla_versions.check(text)
    except ConfigError as exc:
        raise Unprocessable(f"Ошибка в правилах: {exc}") from None


async def sla_state(request: web.Request) -> dict[str, Any]:
    journal = request.app[JOURNAL_KEY]
    policy = journal.sla
    versions = [{"id": v.id, "created_at": v.created_at.isoformat(), "created_by": v.created_by, "comment": v.comment}
                for v in await journal.sla_versions.versions()]
    return {"version": policy.version, "text": policy.source_text, "rules": _rules(policy), "versions": versions}


async def get_sla(request: web.Request) -> web.Response:
    return web.json_response(await sla_state(request))


async def check_sla(request: web.Request) -> web.Response:
    data = await json_body(request)
    policy = _checked(request, req_str(data, "text", max_len=MAX_TEXT))
    return web.json_response({"ok": True, "rules": _rules(policy)})


async def save_sla(request: web.Request) -> web.Response:
    data = await json_body(request)
    text = req_str(data, "text", max_len=MAX_TEXT)
    _checked(request, text)
    version = await request.app[JOURNAL_KEY].sla_versions.save(actor(request), text,
                                                                opt_str(data, "comment", max_len=300))
    return web.json_response({"version": version}, status=201)


async def preview_sla(request: web.Request) -> web.Response:
    data = await json_body(request)
    journal = request.app[JOURNAL_KEY]
    tz = journal.config.tz
    at_text = opt_str(data, "at")
    try:
        at = datetime.fromisoformat(at_text) if at_text else utcnow()
    except ValueError:
        raise Unprocessable("Время: ГГГГ-ММ-ДДTЧЧ:ММ") from None
    at = at if at.tzinfo else at.replace(tzinfo=tz)
    text = opt_str(data, "text", max_len=MAX_TEXT)
    if text is not None:
        _checked(request, text)
    category = req_str(data, "category")
    problem = opt_str(data, "problem")
    channel = opt_str(data, "channel") or "phone_ivr"
    if channel not in labels.CHANNEL:
        raise Unprocessable("Неизвестный канал")
    try:
        d, priority = journal.sla_versions.preview(at, category, problem, opt_str(data, "priority"), channel, text)
    except ConfigError:
        raise Unprocessable("Неизвестная категория или проблема") from None

    def local(value: datetime | None) -> str | None:
        return f"{value.astimezone(tz):%d.%m.%Y %H:%M}" if value else None

    what = labels.CATEGORY_FALLBACK.get(category, category)
    if problem:
        what = journal.sla.problems.get(problem, (problem, None))[0]
    parts = []
    if d.handover_to:
        parts.append(f"передать в {d.handover_to} немедленно")
    if d.localize_due_at:
        parts.append(f"локализовать до {local(d.localize_due_at)}")
    if d.due_at and not d.handover_to:
        parts.append(f"устранить до {local(d.due_at)}")
    sentence = f"«{what}», поступившая {local(at)}: {', '.join(parts) or 'без срока'} (норматив «{d.title}»)"
    return web.json_response({
        "rule_id": d.rule_id, "title": d.title, "priority": priority, "handover_to": d.handover_to,
        "localize_due_at": d.localize_due_at.isoformat() if d.localize_due_at else None,
        "due_at": d.due_at.isoformat() if d.due_at else None, "text": sentence})


@require("admin")
async def sla_page(request: web.Request) -> web.StreamResponse:
    journal = request.app[JOURNAL_KEY]
    return render(request, "admin_sla.html", sla=await sla_state(request),
                  categories=[(c, journal.sla.categories[c].title) for c in CATEGORIES],
                  problems=sorted(((k, v[0]) for k, v in journal.sla.problems.items()), key=lambda kv: kv[1]),
                  priorities=list(labels.PRIORITY.items()), channels=list(labels.CHANNEL.items()))


TEXT = obj(("text",), text=STR)
SLA_OPS = (
    Op("GET", "/api/admin/sla", get_sla, "Правила сроков в силе, их текст и версии", ("admin",),
       response=obj(version=INT, text=STR, rules=array({"type": "object"}), versions=array({"type": "object"}))),
    Op("POST", "/api/admin/sla/check", check_sla, "Проверить черновик правил", ("admin",), body=TEXT,
       response=obj(ok={"type": "boolean"}, rules=array({"type": "object"})), errors=(400, 422)),
    Op("POST", "/api/admin/sla", save_sla, "Сохранить правила новой версией (действуют для новых заявок)",
       ("admin",), body=obj(("text",), text=STR, comment=NSTR), response=obj(version=INT), status=201,
       errors=(400, 422)),
    Op("POST", "/api/admin/sla/preview", preview_sla, "Какой срок получит заявка (по правилам в силе или черновику)",
       ("admin",), body=obj(("category",), category=STR, problem=NSTR, priority=NSTR, channel=NSTR, at=NSTR,
                             text=NSTR),
       response=obj(rule_id=STR, title=STR, priority=STR, handover_to=NSTR, localize_due_at=NSTR, due_at=NSTR,
                    text=STR), errors=(400, 422)),
)
