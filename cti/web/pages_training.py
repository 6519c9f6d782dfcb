"""Pages of test calls and training (Russian UI); the forms post to /api via static JS."""

from __future__ import annotations

import json

from aiohttp import web

from cti.training import DEADLINES
from cti.web.auth import require
from cti.web.keys import JOURNAL_KEY, TRAINING_KEY, USER_KEY
from cti.web.render import render
from cti.web.spec import EDITORS
from journal import Role


@require(*EDITORS)
async def test_call(request: web.Request) -> web.StreamResponse:
    journal = request.app[JOURNAL_KEY]
    from cti.console import serialize

    lk = await serialize.Lookups.load(journal)
    residents = await journal.people.residents()
    buildings = sorted(lk.address(b.id, None, None) for b in lk.buildings.values())
    return render(request, "test_call.html", available=request.app[TRAINING_KEY].calls.available,
                  residents=[(r.phone, f"{r.phone} — {r.name or ''} {lk.address(r.building_id, r.apartment, None) if r.building_id else ''}")
                             for r in residents],
                  buildings=buildings)


@require(*EDITORS)
async def training(request: web.Request) -> web.StreamResponse:
    user = request[USER_KEY]
    service = request.app[TRAINING_KEY]
    everyone = user.role == Role.ADMIN
    runs = await request.app[JOURNAL_KEY].training.of_trainee(None if everyone else user.user_id, limit=100)
    names = {u.id: u.full_name for u in await request.app[JOURNAL_KEY].people.users()}
    rows = [{"id": r.id, "title": r.scenario_title, "trainee": names.get(r.trainee_id, "?"), "status": r.status,
             "score": f"{r.score:g} из {r.max_score:g}" if r.score is not None and r.max_score is not None else "—",
             "started_at": r.started_at.isoformat(), "ticket_id": r.ticket_id,
             "fields": json.loads(r.details_json) if r.details_json else []} for r in runs]
    return render(request, "training.html", scenarios=list(service.scenarios().values()), runs=rows,
                  everyone=everyone, available=service.calls.available, deadlines=DEADLINES,
                  library=str(service.library_dir))
