"""The electronic request journal (электронный журнал заявок) of the dispatch service.

It knows nothing of telephony: the IVR and the console call these services.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import outbox as _outbox  # noqa: F401  (the console outbox table on Base.metadata)
from . import quality_models as _quality_models  # noqa: F401  (tables on Base.metadata for Alembic)
from .admin_settings import AdminSettings
from .audit import AuditFilter, AuditLog
from .calls import CallLog
from .db import Database
from .enums import CATEGORIES, OPEN_STATUSES, Channel, Priority, Role, Status
from .errors import CallAlreadyMissed, ConfigError, IllegalTransition, InvalidValue, JournalError, NotFound
from .estate import Estate, ImportReport
from .history import Actor
from .limits import SharedLimits
from .monitoring import Monitor, TicketFilter
from .outages import CallerOutlook, OutageDraft, OutageRules, OutageService
from .people import Directory, Shift
from .sessions import StaffSessions
from .sla import Deadlines, SlaPolicy
from .sla_versions import SlaVersions
from .staff import StaffAdmin
from .storage import BlobStore, FileStore
from .tickets import JournalConfig, NewTicket, Registration, TicketService
from .training import TrainingRun, TrainingRuns
from .transcription import ClaimedJob, TranscriptionQueue


@dataclass
class Journal:
    """Everything the journal offers, built once by the composition root."""

    db: Database
    sla: SlaPolicy
    config: JournalConfig
    files: BlobStore
    tickets: TicketService
    calls: CallLog
    people: Directory
    monitor: Monitor
    transcription: TranscriptionQueue
    training: TrainingRuns
    sessions: StaffSessions
    limits: SharedLimits
    staff: StaffAdmin
    estate: Estate
    audit: AuditLog
    sla_versions: SlaVersions
    settings: AdminSettings
    outages: OutageService

    @classmethod
    def build(
        cls, db: Database, sla: SlaPolicy, config: JournalConfig, files_root: Path | BlobStore,
        outage_rules: OutageRules | None = None,
    ) -> Journal:
        # A directory (the default backend), or a store built by the composition root (S3).
        files = files_root if isinstance(files_root, BlobStore) else FileStore(files_root)
        people = Directory(db)
        tickets = TicketService(db, sla, config)
        return cls(
            db=db, sla=sla, config=config, files=files,
            tickets=tickets,
            calls=CallLog(db, files, config),
            people=people,
            monitor=Monitor(db),
            transcription=TranscriptionQueue(db),
            training=TrainingRuns(db),
            sessions=StaffSessions(db),
            limits=SharedLimits(db),
            staff=StaffAdmin(db, people),
            estate=Estate(db),
            audit=AuditLog(db),
            sla_versions=SlaVersions(db, sla, config.timezone),
            settings=AdminSettings(db),
            outages=OutageService(db, tickets, outage_rules or OutageRules(timezone=config.timezone)),
        )

    async def close(self) -> None:
        await self.files.close()
        await self.db.close()


__all__ = [
    "CATEGORIES", "OPEN_STATUSES", "Actor", "CallerOutlook", "OutageDraft", "OutageRules", "OutageService", "AdminSettings", "AuditFilter", "AuditLog", "Estate", "ImportReport", "StaffAdmin", "CallAlreadyMissed", "CallLog", "ClaimedJob", "Channel", "ConfigError", "Database", "Deadlines",
    "BlobStore", "Directory", "FileStore", "IllegalTransition", "InvalidValue", "Journal", "JournalConfig", "JournalError",
    "Monitor", "NewTicket", "NotFound", "Priority", "Registration", "Role", "Shift", "SlaPolicy", "SlaVersions", "StaffSessions", "Status",
    "TicketFilter", "TicketService", "TrainingRun", "TrainingRuns", "TranscriptionQueue",
]
