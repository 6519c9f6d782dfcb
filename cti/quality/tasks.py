"""Background work of quality control, started and stopped by the runtime: feedback calls,
status notifications, and the retention of recordings."""

from __future__ import annotations

import contextlib

import structlog

from cti.periodic import Periodic
from cti.quality.feedback import AriFeedbackDialer, FeedbackScheduler
from cti.quality.notify import NotifyConfig, StatusNotifier, WebhookChannel
from cti.settings import Settings
from ivr.ari.client import AriClient
from journal import Journal
from journal.job_locks import JobLocks
from journal.quality_suite import QualitySuite

log = structlog.get_logger(__name__)


class QualityTasks:
    def __init__(self, settings: Settings, journal: Journal, quality: QualitySuite, ari_client: AriClient,
                 notify: NotifyConfig | None = None) -> None:
        self.loops: list[Periodic] = []
        self.webhook: WebhookChannel | None = None
        # Several instances on one PostgreSQL journal: each job runs on one of them at a time.
        self.locks = JobLocks(journal.db)
        lock = self.locks.hold
        f = settings.feedback
        if f.enabled:
            dialer = AriFeedbackDialer(ari_client, endpoint=f.endpoint, ring_seconds=f.ring_seconds)
            self.feedback = FeedbackScheduler(journal.db, quality.feedback, dialer, ring_seconds=f.ring_seconds)
            self.loops.append(Periodic("feedback-calls", self.feedback.step, f.poll_seconds, lock))
        n = settings.notify
        if notify is not None or n.webhook_url:
            # With a live config the loop always runs: an administrator may set the URL later.
            self.webhook = WebhookChannel(notify or n.webhook_url, timeout=n.timeout_seconds)
            notifier = StatusNotifier(journal.db, quality.notifications, self.webhook, notify)
            self.loops.append(Periodic("status-notify", notifier.step, n.poll_seconds, lock))
        self.loops.append(Periodic("recording-retention", quality.retention.purge,
                                   settings.quality.retention_check_hours * 3600, lock))

    def start(self) -> None:
        for loop in self.loops:
            loop.start()
        log.info("quality.tasks_started", tasks=[loop.name for loop in self.loops])

    async def stop(self) -> None:
        for loop in self.loops:
            with contextlib.suppress(Exception):
                await loop.stop()
        if self.webhook is not None:
            await self.webhook.close()
        with contextlib.suppress(Exception):
            await self.locks.close()
