"""The composition root: settings in, wired objects out. Nothing else builds services."""

from __future__ import annotations

from datetime import timedelta

from journal import Database, Journal, JournalConfig, SlaPolicy

from .settings import Settings


def journal_config(settings: Settings) -> JournalConfig:
    j = settings.journal
    return JournalConfig(
        timezone=j.timezone,
        repeat_window=timedelta(minutes=j.repeat_window_minutes),
        number_width=j.number_width,
        missed_callback=timedelta(minutes=j.missed_callback_minutes),
    )


def build_journal(settings: Settings) -> Journal:
    db = Database.from_url(settings.database_url(), echo=settings.database.echo)
    sla = SlaPolicy.load(settings.path(settings.journal.sla_file), settings.journal.timezone)
    return Journal.build(db, sla, journal_config(settings), settings.path(settings.recordings.dir))
