"""Training and test calls as services: synthesise what the caller says, place the call on the
stand-in, and score a finished training run. Web handlers only translate to and from these."""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from cti.training.calls import CallPlacer, CallRequest
from cti.training.scenarios import Scenario, load_library
from cti.training.scoring import Actual, FieldScore, score, total
from ivr.voice import VoiceError, run_limited, speak, to_phone_wav
from journal import Actor, Journal, JournalError, NotFound, Role, Status
from journal.enums import TrainingStatus
from journal.models import Ticket
from journal.training import TrainingRun

log = structlog.get_logger(__name__)
TRAINING_ACTOR = Actor.system("training")
SAFETY_HANGUP_SECONDS = 900.0  # a forgotten training call ends by itself


class TrainingConflict(Exception):
    """The request does not fit the run's state (Russian message)."""


@dataclass(frozen=True)
class Trainee:
    user_id: int
    role: str
    extension: str | None


class TestCalls:
    """The "test call" page and `hotline call`'s server side: one scripted call, as any resident's."""

    def __init__(self, placer: CallPlacer, work_dir: Path) -> None:
        self.placer = placer
        self.work_dir = work_dir

    @property
    def available(self) -> bool:
        return self.placer.available

    async def voice_from_text(self, text: str) -> Path:
        out = self.work_dir / f"say-{hashlib.sha256(text.encode()).hexdigest()[:16]}.wav"
        if out.exists():
            return out
        return await run_limited(lambda: speak(text, out))

    async def voice_from_upload(self, data: bytes, suffix: str) -> Path:
        if not data:
            raise VoiceError("Файл пуст")
        digest = hashlib.sha256(data).hexdigest()[:16]
        self.work_dir.mkdir(parents=True, exist_ok=True)
        src = self.work_dir / f"upload-{digest}{suffix}"
        src.write_bytes(data)
        try:
            return await run_limited(lambda: to_phone_wav(src, self.work_dir / f"say-{digest}.wav"))
        finally:
            src.unlink(missing_ok=True)

    def place(self, request: CallRequest) -> str:
        return self.placer.place(request)


class TrainingService:
    def __init__(self, journal: Journal, calls: TestCalls, library_dir: Path) -> None:
        self.journal = journal
        self.calls = calls
        self.library_dir = library_dir
        self._info: dict[int, dict[str, Any]] = {}

    def scenarios(self) -> dict[str, Scenario]:
        # Read on every use: an administrator adds a file and it is there, no restart.
        return load_library(self.library_dir)

    def scenario(self, scenario_id: str) -> Scenario:
        found = self.scenarios().get(scenario_id)
        if found is None:
            raise NotFound("scenario", scenario_id)
        return found

    async def start(self, trainee: Trainee, scenario_id: str) -> TrainingRun:
        scenario = self.scenario(scenario_id)
        if not trainee.extension:
            raise TrainingConflict("У вашей учётной записи нет внутреннего номера: учебный звонок некуда направить")
        if not self.calls.available:
            from cti.training.calls import NoStandIn

            raise NoStandIn()
        wav = await self.calls.voice_from_text(scenario.text)
        run = await self.journal.training.start(trainee_id=trainee.user_id, scenario=scenario.id, title=scenario.title)
        self._info[run.id] = {"scenario_id": scenario.id, "scenario_title": scenario.title,
                              "caller_text": scenario.text, "briefing": scenario.briefing}
        self.calls.placer.ensure_extension(trainee.extension)
        channel = self.calls.place(CallRequest(
            scenario.caller_number, scenario.caller_name, scenario.keys, scenario.first_key_at, wav,
            hangup_after=SAFETY_HANGUP_SECONDS, args=("training", trainee.extension, str(run.id)),
        ))
        await self.journal.training.attach(run.id, channel_id=channel)
        log.info("training.started", run=run.id, scenario=scenario.id, extension=trainee.extension)
        return await self.journal.training.get(run.id)

    def run_info(self, run_id: int) -> dict[str, Any]:
        return dict(self._info.get(run_id, {}))

    async def ticket_seen(self, run_id: int, ticket_id: int) -> None:
        with contextlib.suppress(NotFound):
            await self.journal.training.attach(run_id, ticket_id=ticket_id)

    async def finish(self, trainee: Trainee, run_id: int, deadline_told: str | None) -> tuple[TrainingRun, list[FieldScore]]:
        run = await self.journal.training.get(run_id)
        if run.trainee_id != trainee.user_id and trainee.role != Role.ADMIN:
            raise NotFound("training run", run_id)
        if run.status != TrainingStatus.RUNNING:
            raise TrainingConflict("Тренировка уже завершена")
        if run.ticket_id is None:
            raise TrainingConflict("Заявка по учебному звонку ещё не зарегистрирована: дождитесь карточки")
        scenario = self.scenario(run.scenario)
        ticket = await self.journal.tickets.get(run.ticket_id)
        fields = score(scenario.expected, await self._actual(ticket, deadline_told), await self._labels())
        got, out_of = total(fields)
        if run.channel_id:
            self.calls.placer.hangup(run.channel_id)
        await self._close(ticket)
        done = await self.journal.training.finish(run_id, score=got, max_score=out_of,
                                                  details=[f.as_dict() for f in fields])
        self._info.pop(run_id, None)
        log.info("training.finished", run=run_id, scenario=scenario.id, score=got, max_score=out_of)
        return done, fields

    async def _actual(self, t: Ticket, deadline_told: str | None) -> Actual:
        street = house = building = None
        if t.building_id is not None:
            b = next((b for b in await self.journal.people.buildings() if b.id == t.building_id), None)
            if b is not None:
                street, house, building = b.street, b.house, b.building
        executor = ""
        if t.executor_id is not None:
            executor = (await self.journal.people.user(t.executor_id)).login
        return Actual(t.category, t.priority, street, house, building, t.apartment, executor, deadline_told)

    async def _labels(self) -> dict[str, dict[str, str]]:
        from cti.console import labels

        users = await self.journal.people.users(Role.EXECUTOR)
        return {"category": {code: info.title for code, info in self.journal.sla.categories.items()},
                "priority": dict(labels.PRIORITY), "executor": {u.login: u.full_name for u in users}}

    async def _close(self, ticket: Ticket) -> None:
        # The training ticket leaves the open list; it stays readable for the trainee's review.
        with contextlib.suppress(JournalError):
            await self.journal.tickets.change_status(ticket.id, Status.CANCELLED, TRAINING_ACTOR, comment="Тренировка завершена")
