"""App keys of the quality pages (kept apart from keys.py so the two grow independently)."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from cti.settings import Settings, SettingsError
from cti.web.pdf import PdfPrinter
from journal import Journal
from journal.checklist import Checklist
from journal.feedback import FeedbackPolicy, parse_hhmm
from journal.quality_suite import QualitySuite

QUALITY_KEY = web.AppKey("quality", QualitySuite)
PDF_KEY = web.AppKey("pdf_printer", PdfPrinter)


def build_quality(settings: Settings, journal: Journal) -> QualitySuite:
    """The quality bundle from settings (the composition root passes its own to share it)."""
    f = settings.feedback
    hours = {}
    for key in ("window_start", "window_end"):
        try:
            hours[key] = parse_hhmm(getattr(f, key))
        except ValueError:
            raise SettingsError(f"setting 'feedback.{key}': expected HH:MM, got {getattr(f, key)!r}") from None
    if hours["window_start"] >= hours["window_end"]:
        raise SettingsError("setting 'feedback.window_start' must be before 'feedback.window_end'")
    policy = FeedbackPolicy(attempts=f.attempts, first_delay=timedelta(minutes=f.first_delay_minutes),
                            retry_after=timedelta(minutes=f.retry_minutes), timezone=journal.config.timezone, **hours)
    return QualitySuite.build(journal, checklist=Checklist.load(settings.path(settings.quality.checklist_file)),
                              policy=policy, notify_interval=timedelta(seconds=settings.notify.min_interval_seconds),
                              retention_days=settings.recordings.retention_days)
