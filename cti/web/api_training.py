"""API of test calls and training runs: parse, call cti.training's services, render."""

from __future__ import annotations

import json
from pathlib import PurePath
from typing import Any

from aiohttp import web

from cti.training import DEADLINES, CallRequest, NoStandIn, Trainee, TrainingConflict, VoiceError
from cti.web.errors import BadRequest, Conflict, Unavailable
from cti.web.keys import JOURNAL_KEY, TRAINING_KEY, USER_KEY
from cti.web.params import form_body, json_body, opt_str, path_id, req_str
from cti.web.spec import BOOL, EDITORS, ID, INT, NSTR, STR, Op, array, obj
from journal import Role
from journal.addresses import normalize_phone

MAX_AUDIO = 10 * 1024 * 1024
AUDIO_SUFFIXES = {".wav", ".ogg", ".oga", ".flac", ".webm", ".mp3", ".m4a", ".opus"}


def _trainee(request: web.Request) -> Trainee:
    u = request[USER_KEY]
    return Trainee(u.user_id, u.role, u.extension)


def _translate(exc: Exception) -> Exception:
    if isinstance(exc, NoStandIn):
        return Unavailable(str(exc))
    if isinstance(exc, TrainingConflict):
        return Conflict(str(exc))
    if isinstance(exc, VoiceError):
        return BadRequest(str(exc))
    return exc


# -- test calls ---------------------------------------------------------------------------

async def place_test_call(request: web.Request) -> web.Response:
    """multipart/form-data: number, name, keys, first_key_at, hangup_after, and what the caller
    says: ``text`` (spoken by espeak-ng) or an ``audio`` file (uploaded or recorded in the browser)."""
    calls = request.app[TRAINING_KEY].calls
    if not calls.available:
        raise Unavailable(str(NoStandIn()))
    form: dict[str, str] = {}
    audio: tuple[bytes, str] | None = None
    for name, value in (await form_body(request)).items():  # multipart or urlencoded, within MAX_UPLOAD
        if isinstance(value, web.FileField):
            data = value.file.read(MAX_AUDIO + 1)
            if len(data) > MAX_AUDIO:
                raise BadRequest("Файл больше 10 МБ")
            if name == "audio" and data:
                audio = (data, PurePath(value.filename or "a.wav").suffix.lower())
        else:
            form[name] = str(value)[:2000]
    number = normalize_phone(form.get("number", "")) or form.get("number", "").strip()
    if not number or len(number) > 20:
        raise BadRequest("Укажите номер телефона абонента")
    keys = form.get("keys", "").strip()
    if any(k not in "0123456789*#" for k in keys) or len(keys) > 20:
        raise BadRequest("Клавиши: только цифры, * и #")
    try:
        first_key_at = float(form.get("first_key_at") or 12)
        hangup_after = float(form["hangup_after"]) if form.get("hangup_after") else None
    except ValueError:
        raise BadRequest("Время — число секунд") from None
    try:
        if audio is not None:
            if audio[1] not in AUDIO_SUFFIXES:
                raise BadRequest("Поддерживаются файлы WAV, OGG, FLAC, WebM, MP3")
            say = await calls.voice_from_upload(*audio)
        elif form.get("text", "").strip():
            say = await calls.voice_from_text(form["text"])
        else:
            say = None
        channel = calls.place(CallRequest(number, form.get("name", "").strip()[:100], keys, first_key_at, say,
                                          hangup_after))
    except (NoStandIn, VoiceError) as exc:
        raise _translate(exc) from None
    return web.json_response({"channel_id": channel, "number": number, "keys": keys,
                              "say": say.name if say else None}, status=201)


# -- training -----------------------------------------------------------------------------

async def scenarios(request: web.Request) -> web.Response:
    training = request.app[TRAINING_KEY]
    return web.json_response({
        "available": training.calls.available,
        "scenarios": [s.public() for s in training.scenarios().values()],
        "deadlines": [{"value": k, "label": v} for k, v in DEADLINES.items()],
    })


async def start_run(request: web.Request) -> web.Response:
    data = await json_body(request)
    try:
        run = await request.app[TRAINING_KEY].start(_trainee(request), req_str(data, "scenario", max_len=80))
    except (NoStandIn, TrainingConflict, VoiceError) as exc:
        raise _translate(exc) from None
    return web.json_response(_run(run), status=201)


async def finish_run(request: web.Request) -> web.Response:
    data = await json_body(request)
    told = opt_str(data, "deadline_told", max_len=10)
    if told is not None and told not in DEADLINES:
        raise BadRequest("Неизвестный срок")
    try:
        run, fields = await request.app[TRAINING_KEY].finish(_trainee(request), path_id(request), told)
    except TrainingConflict as exc:
        raise _translate(exc) from None
    return web.json_response({**_run(run), "fields": [f.as_dict() for f in fields]})


async def list_runs(request: web.Request) -> web.Response:
    user = request[USER_KEY]
    everyone = user.role == Role.ADMIN and request.query.get("all") == "1"
    runs = await request.app[JOURNAL_KEY].training.of_trainee(None if everyone else user.user_id)
    return web.json_response([_run(r) for r in runs])


def _run(run: Any) -> dict[str, Any]:
    fields = json.loads(run.details_json) if run.details_json else []
    return {"id": run.id, "scenario": run.scenario, "title": run.scenario_title, "status": run.status,
            "trainee_id": run.trainee_id, "ticket_id": run.ticket_id, "channel_id": run.channel_id,
            "score": run.score, "max_score": run.max_score, "fields": fields,
            "started_at": run.started_at.isoformat(), "finished_at": run.finished_at.isoformat() if run.finished_at else None}


FIELD = obj(field=STR, label=STR, expected=STR, actual=STR, ok=BOOL)
RUN = obj(id=INT, scenario=STR, title=STR, status=STR, trainee_id=INT, ticket_id={"type": "integer", "nullable": True},
          channel_id=NSTR, score={"type": "number", "nullable": True}, max_score={"type": "number", "nullable": True},
          fields=array(FIELD), started_at=STR, finished_at=NSTR)

TRAINING_OPS: tuple[Op, ...] = (
    Op("POST", "/api/test-calls", place_test_call, "Тестовый звонок через имитатор АТС (демо-режим)", EDITORS,
       body=obj(("number",), number=STR, name=STR, keys=STR, first_key_at=STR, hangup_after=STR, text=STR,
                audio={"type": "string", "format": "binary"}),
       body_type="multipart/form-data", response=obj(channel_id=STR, number=STR, keys=STR, say=NSTR), status=201,
       errors=(400, 503)),
    Op("GET", "/api/training/scenarios", scenarios, "Учебные сценарии и сроки для ответа абоненту", EDITORS,
       response=obj(available=BOOL, scenarios=array(obj(id=STR, title=STR, briefing=STR)),
                    deadlines=array(obj(value=STR, label=STR)))),
    Op("GET", "/api/training/runs", list_runs, "Мои тренировки (администратор: all=1 — все)", EDITORS,
       response=array(RUN)),
    Op("POST", "/api/training/runs", start_run, "Начать учебный звонок на свой пульт", EDITORS,
       body=obj(("scenario",), scenario=STR), response=RUN, status=201, errors=(400, 404, 409, 503)),
    Op("POST", r"/api/training/runs/{id:\d+}/finish", finish_run, "Завершить тренировку и получить оценку", EDITORS,
       (ID,), body=obj(deadline_told=NSTR), response=RUN, errors=(400, 404, 409)),
)
