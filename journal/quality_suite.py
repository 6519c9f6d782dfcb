"""Quality control as one bundle beside the Journal, built once by the composition root."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from . import Journal
from .analytics import Analytics
from .checklist import Checklist
from .feedback import FeedbackCalls, FeedbackPolicy
from .notifications import NotificationLog
from .quality import QualityService
from .retention import RecordingRetention

DEFAULT_CHECKLIST = Path(__file__).resolve().parent.parent / "config" / "quality.toml"


@dataclass
class QualitySuite:
    quality: QualityService
    analytics: Analytics
    feedback: FeedbackCalls
    notifications: NotificationLog
    retention: RecordingRetention

    @classmethod
    def build(cls, journal: Journal, *, checklist: Checklist | None = None, policy: FeedbackPolicy | None = None,
              notify_interval: timedelta = timedelta(minutes=10), retention_days: int = 3 * 365) -> QualitySuite:
        return cls(
            quality=QualityService(journal.db, checklist or Checklist.load(DEFAULT_CHECKLIST)),
            analytics=Analytics(journal.db, journal.config.tz),
            feedback=FeedbackCalls(journal.db, policy or FeedbackPolicy(timezone=journal.config.timezone)),
            notifications=NotificationLog(journal.db, notify_interval),
            retention=RecordingRetention(journal.db, journal.files, retention_days),
        )
