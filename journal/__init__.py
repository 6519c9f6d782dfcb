"""The electronic request journal (электронный журнал заявок) of the dispatch service.

It knows nothing of telephony: the IVR and the console call these services.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import quality_models as _quality_models  # noqa: F401  (tables on Base.metadata for Alembic)
from .calls import CallLog
from .db import Database
from .enums import CATEGORIES, OPEN_STATUSES, Channel, Priority, Role, Status
from .errors import CallAlreadyMissed, ConfigError, IllegalTransition, InvalidValue, JournalError, NotFound
from .history import Actor
from .monitoring import Monitor, TicketFilter
from .people import Directory, Shift
from .sessions import StaffSessions
from .sla import Deadlines, SlaPolicy
from .storage import FileStore
from .tickets import JournalConfig, NewTicket, Registration, TicketService
from .training import TrainingRun, TrainingRuns
from .transcription import ClaimedJob, TranscriptionQueue


@dataclass
class Journal:
    """Everything the journal offers, built once by the composition root."""

    db: Database
    sla: SlaPolicy
    config: JournalConfig
    files: FileStore
    tickets: TicketService
    calls: CallLog
    people: Directory
    monitor: Monitor
    transcription: TranscriptionQueue
    training: TrainingRuns
    sessions: StaffSessions

    @classmethod
    def build(cls, db: Database, sla: SlaPolicy, config: JournalConfig, files_root: Path) -> Journal:
        files = FileStore(files_root)
        return cls(
            db=db, sla=sla, config=config, files=files,
            tickets=TicketService(db, sla, config),
            calls=CallLog(db, files, config),
            people=Directory(db),
            monitor=Monitor(db),
            transcription=TranscriptionQueue(db),
            training=TrainingRuns(db),
            sessions=StaffSessions(db),
        )

    async def close(self) -> None:
        await self.db.close()


__all__ = [
    "CATEGORIES", "OPEN_STATUSES", "Actor", "CallAlreadyMissed", "CallLog", "ClaimedJob", "Channel", "ConfigError", "Database", "Deadlines",
    "Directory", "FileStore", "IllegalTransition", "InvalidValue", "Journal", "JournalConfig", "JournalError",
    "Monitor", "NewTicket", "NotFound", "Priority", "Registration", "Role", "Shift", "SlaPolicy", "StaffSessions", "Status",
    "TicketFilter", "TicketService", "TrainingRun", "TrainingRuns", "TranscriptionQueue",
]
