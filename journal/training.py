"""Training runs of new dispatchers: which scenario a trainee played, the training ticket it
produced, and the field-by-field score. Training tickets themselves live in ``tickets`` with
channel ``training`` and are kept out of monitoring (see monitoring.TicketFilter)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from .clock import utcnow
from .db import Database
from .enums import TrainingStatus
from .errors import NotFound
from .models import Base, BigId


class TrainingRun(Base):
    __tablename__ = "training_runs"
    __table_args__ = (Index("ix_training_runs_trainee_started", "trainee_id", "started_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    scenario: Mapped[str] = mapped_column(String(80))
    scenario_title: Mapped[str] = mapped_column(String(200))
    channel_id: Mapped[str | None] = mapped_column(String(64))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    status: Mapped[str] = mapped_column(String(16), default=TrainingStatus.RUNNING)  # a TrainingStatus
    score: Mapped[float | None] = mapped_column(Float)
    max_score: Mapped[float | None] = mapped_column(Float)
    details_json: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class TrainingRuns:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def start(self, *, trainee_id: int, scenario: str, title: str) -> TrainingRun:
        async with self.db.write() as s:
            run = TrainingRun(trainee_id=trainee_id, scenario=scenario, scenario_title=title, status=TrainingStatus.RUNNING,
                              started_at=utcnow())
            s.add(run)
            await s.flush()
            return run

    async def get(self, run_id: int) -> TrainingRun:
        async with self.db.read() as s:
            run = await s.get(TrainingRun, run_id)
        if run is None:
            raise NotFound("training run", run_id)
        return run

    async def attach(self, run_id: int, *, channel_id: str | None = None, ticket_id: int | None = None) -> None:
        async with self.db.write() as s:
            run = await s.get(TrainingRun, run_id)
            if run is None:
                raise NotFound("training run", run_id)
            if channel_id is not None:
                run.channel_id = channel_id
            if ticket_id is not None:
                run.ticket_id = ticket_id

    async def finish(self, run_id: int, *, score: float, max_score: float, details: list[dict[str, Any]]) -> TrainingRun:
        async with self.db.write() as s:
            run = await s.get(TrainingRun, run_id)
            if run is None:
                raise NotFound("training run", run_id)
            run.status, run.score, run.max_score = TrainingStatus.FINISHED, score, max_score
            run.details_json = json.dumps(details, ensure_ascii=False)
            run.finished_at = utcnow()
            return run

    async def of_trainee(self, trainee_id: int | None = None, *, limit: int = 50) -> Sequence[TrainingRun]:
        """Newest first; ``None``: everyone's (for the administrator)."""
        stmt = select(TrainingRun).order_by(TrainingRun.started_at.desc(), TrainingRun.id.desc()).limit(limit)
        if trainee_id is not None:
            stmt = stmt.where(TrainingRun.trainee_id == trainee_id)
        async with self.db.read() as s:
            return (await s.execute(stmt)).scalars().all()
