"""The composition root: settings in, wired objects out. Nothing else builds services."""

from __future__ import annotations

from datetime import time, timedelta

from cti.settings import Settings, SettingsError
from journal import ConfigError, Database, InvalidValue, Journal, JournalConfig, OutageRules, SlaPolicy
from journal.schedule import parse_hhmm
from journal.storage import BlobStore, FileStore


def journal_config(settings: Settings) -> JournalConfig:
    j = settings.journal
    return JournalConfig(
        timezone=j.timezone,
        repeat_window=timedelta(minutes=j.repeat_window_minutes),
        number_width=j.number_width,
        missed_callback=timedelta(minutes=j.missed_callback_minutes),
    )


def outage_rules(settings: Settings) -> OutageRules:
    o = settings.outages
    try:
        minutes = [parse_hhmm(part.strip()) for part in o.shift_changes.split(",") if part.strip()]
    except InvalidValue as exc:
        raise SettingsError(f"setting 'outages.shift_changes': {exc}") from None
    if not minutes:
        raise SettingsError("setting 'outages.shift_changes': at least one time, e.g. \"08:00,20:00\"")
    if o.suggest_calls < 2 or o.suggest_minutes < 1:
        raise SettingsError("settings 'outages.suggest_calls' (>= 2) and 'outages.suggest_minutes' (>= 1)")
    return OutageRules(timezone=settings.journal.timezone,
                       shift_changes=tuple(time(m // 60, m % 60) for m in sorted(set(minutes))))


def build_journal(settings: Settings) -> Journal:
    db = Database.from_url(settings.database_url(), echo=settings.database.echo)
    sla = SlaPolicy.load(settings.path(settings.journal.sla_file), settings.journal.timezone)
    return Journal.build(db, sla, journal_config(settings), build_store(settings), outage_rules(settings))


def build_store(settings: Settings) -> BlobStore:
    """Where recordings and photos go: the directory, or the S3 bucket (docs/scaling.md)."""
    r = settings.recordings
    if r.backend != "s3":
        return FileStore(settings.path(r.dir))
    from journal.storage_s3 import S3Config, S3Store
    try:
        return S3Store(S3Config(bucket=r.s3_bucket, endpoint=r.s3_endpoint, region=r.s3_region,
                                access_key=r.s3_access_key, secret_key=r.s3_secret_key, prefix=r.s3_prefix))
    except ConfigError as exc:
        raise SettingsError(str(exc)) from None
