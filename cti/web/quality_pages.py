"""Quality control pages (Russian UI): calls with their recordings, random samples, the review
page (player beside the transcript, checklist form) and scores per dispatcher over time.
QA and administrators review; dispatchers may look."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from cti.console import serialize
from cti.web.api_tickets import actor
from cti.web.auth import require
from cti.web.charts import lines
from cti.web.errors import BadRequest
from cti.web.keys import JOURNAL_KEY, USER_KEY
from cti.web.params import opt_int, paging, path_id
from cti.web.period import period_from
from cti.web.quality_keys import QUALITY_KEY
from cti.web.render import render
from cti.web.spec import READERS
from journal import CATEGORIES
from journal.enums import CallOutcome
from journal.quality import CallFilter, CallRow

REVIEWERS = ("qa", "admin")
OUTCOME = {"ticket": "Заявка", "missed": "Пропущен", "transferred": "Переведён", "answered": "Отвечен",
           "in_progress": "Идёт"}


def _float(q: dict[str, str], key: str) -> float | None:
    value = q.get(key)
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise BadRequest(f"Параметр «{key}»: число") from None


def call_filter(request: web.Request) -> tuple[CallFilter, dict[str, str]]:
    q = {k: v for k, v in request.query.items() if v != ""}
    tz = request.app[JOURNAL_KEY].config.tz
    p, first, last = period_from(q, tz, default_days=7)
    outcome = q.get("outcome")
    if outcome is not None and outcome not in {o.value for o in CallOutcome}:
        raise BadRequest("Неизвестный исход звонка")
    category = q.get("category")
    if category is not None and category not in CATEGORIES:
        raise BadRequest("Неизвестная категория")
    f = CallFilter(started_from=p.start, started_to=p.end, dispatcher_id=opt_int(q, "dispatcher_id"),
                   category=category, outcome=outcome, min_seconds=_float(q, "min_s"), max_seconds=_float(q, "max_s"),
                   with_recording=q.get("with_recording") == "1")
    q.setdefault("from", first.isoformat())
    q.setdefault("to", last.isoformat())
    return f, q


def _row(r: CallRow, lk: serialize.Lookups) -> dict[str, Any]:
    c = r.call
    return {
        "id": c.id, "started_at": serialize.iso(c.started_at), "caller": c.caller_number or "скрыт",
        "dispatcher": lk.user_name(c.dispatcher_id) or "—", "outcome": OUTCOME.get(c.outcome, c.outcome),
        "duration": round(r.duration_seconds) if r.duration_seconds is not None else None,
        "ticket": {"id": r.ticket.id, "number": r.ticket.number, "category": lk.category(r.ticket.category)}
        if r.ticket else None,
        "recordings": [serialize.recording(x) for x in r.recordings],
        "review": f"{r.review_total:g} из {r.review_max:g}" if r.review_total is not None and r.review_max else None,
    }


async def _dispatchers(request: web.Request) -> list[tuple[int, str]]:
    users = await request.app[JOURNAL_KEY].people.users(role="dispatcher")
    return [(u.id, u.full_name) for u in users]


@require(*READERS)
async def calls(request: web.Request) -> web.StreamResponse:
    quality = request.app[QUALITY_KEY].quality
    f, q = call_filter(request)
    lk = await serialize.Lookups.load(request.app[JOURNAL_KEY])
    sample = opt_int(q, "sample")
    if sample is not None:
        rows = await quality.sample(CallFilter(**{**f.__dict__, "with_recording": True}), sample)
        total, prev_url, next_url, offset = len(rows), None, None, 0
    else:
        limit, offset = paging(q, default_limit=50)
        rows = await quality.calls(f, limit=limit, offset=offset)
        total = await quality.count(f)
        base = {k: v for k, v in q.items() if k != "offset"}
        prev_url = f"?{urlencode({**base, 'offset': max(0, offset - limit)})}" if offset > 0 else None
        next_url = f"?{urlencode({**base, 'offset': offset + limit})}" if offset + limit < total else None
    return render(request, "qa_calls.html", rows=[_row(r, lk) for r in rows], total=total, q=q, sample=sample,
                  prev_url=prev_url, next_url=next_url, first=offset + 1 if rows else 0, last=offset + len(rows),
                  dispatchers=await _dispatchers(request), categories=[(c, lk.category(c)) for c in CATEGORIES],
                  outcomes=[(k, v) for k, v in OUTCOME.items() if k != CallOutcome.IN_PROGRESS])


def _words(raw: str | None) -> list[dict[str, Any]]:
    try:
        data = json.loads(raw or "[]")
    except ValueError:
        return []
    if isinstance(data, dict):
        data = data.get("result", [])
    out = []
    for w in data if isinstance(data, list) else []:
        if isinstance(w, dict) and "word" in w and "start" in w and "end" in w:
            out.append({"word": str(w["word"]), "start": float(w["start"]), "end": float(w["end"]),
                        "conf": float(w.get("conf", 1.0))})
    return out


@require(*READERS)
async def call_page(request: web.Request) -> web.StreamResponse:
    suite = request.app[QUALITY_KEY]
    journal = request.app[JOURNAL_KEY]
    row = await suite.quality.call(path_id(request))
    lk = await serialize.Lookups.load(journal)
    ticket = serialize.ticket(row.ticket, lk) if row.ticket else None
    live = [r for r in row.recordings if r.deleted_at is None]
    player = [{**serialize.recording(r), "words": _words(r.words_json)} for r in live]
    reviews = []
    for rv in await suite.quality.reviews(row.call.id):
        scores = json.loads(rv.scores_json)
        reviews.append({"created_at": serialize.iso(rv.created_at), "reviewer": lk.user_name(rv.reviewer_id) or "—",
                        "total": rv.total, "max_total": rv.max_total, "comment": rv.comment,
                        "scores": [(i.title, scores.get(i.id), i.max) for i in suite.quality.checklist.items]})
    access = []
    for r in row.recordings:
        for a in await suite.quality.access_log(r.id):
            access.append({"at": serialize.iso(a.at), "login": a.user_login, "action": a.action, "recording": r.id})
    return render(request, "qa_call.html", call=_row(row, lk), ticket=ticket, player=player,
                  deleted=[r for r in row.recordings if r.deleted_at is not None], reviews=reviews,
                  checklist=suite.quality.checklist.items, access=access[:50],
                  can_review=request[USER_KEY].role in REVIEWERS, saved=request.query.get("saved") == "1")


@require(*REVIEWERS)
async def review_submit(request: web.Request) -> web.StreamResponse:
    call_id = path_id(request)
    form = await request.post()
    scores = {k[len("score_"):]: v for k, v in form.items() if k.startswith("score_")}
    comment = str(form.get("comment", ""))[:4000]
    await request.app[QUALITY_KEY].quality.review(call_id, actor(request[USER_KEY]), scores, comment)
    raise web.HTTPFound(f"/qa/calls/{call_id}?saved=1")


@require(*READERS)
async def scores(request: web.Request) -> web.StreamResponse:
    q = {k: v for k, v in request.query.items() if v != ""}
    tz = request.app[JOURNAL_KEY].config.tz
    p, first, last = period_from(q, tz, default_days=56)
    points = await request.app[QUALITY_KEY].quality.dispatcher_scores(p.start, p.end, bucket_days=7)
    lk = await serialize.Lookups.load(request.app[JOURNAL_KEY])
    weeks = sorted({pt.period_start for pt in points})
    x_labels = [w.astimezone(tz).strftime("%d.%m") for w in weeks]
    by_user: dict[str, list[float]] = defaultdict(lambda: [0.0] * len(weeks))
    table = []
    for pt in points:
        name = lk.user_name(pt.dispatcher_id) or "без диспетчера"
        by_user[name][weeks.index(pt.period_start)] = pt.percent
        table.append({"name": name, "week": pt.period_start.astimezone(tz).strftime("%d.%m.%Y"), "reviews": pt.reviews,
                      "percent": pt.percent})
    chart = lines(dict(by_user), x_labels, title="Средний балл проверок, % от максимума (по неделям)", unit="%")
    return render(request, "qa_scores.html", chart=chart, table=table, q={"from": first.isoformat(),
                                                                          "to": last.isoformat()})


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/qa/calls", calls)
    r.add_get(r"/qa/calls/{id:\d+}", call_page)
    r.add_post(r"/qa/calls/{id:\d+}/review", review_submit)
    r.add_get("/qa/scores", scores)


