"""The running service, built in one place: journal, Asterisk links (or the stand-in in demo
mode), the voice menu, transcription and the console. Everything started here is stopped here."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

import structlog
from aiohttp import web

from ivr.ami import AmiClient, CallTracker, TrackerSync
from ivr.ari import AriService
from ivr.asr import ModelMissing, make_transcriber
from ivr.asr.base import Transcriber
from ivr.flow import FlowConfig
from ivr.flow.greeting import GreetingPlan
from ivr.hotline import ExecutorLine, HotlineCall, LineRouter, RatingLine
from ivr.link_state import LinkStatus
from ivr.looplag import LoopLagMonitor, freeze_startup_heap
from ivr.transcription import TranscriptionWorker
from journal import Journal
from journal.clock import utcnow

from . import demo
from .compose import build_journal
from .notify import NotifyConfig
from .quality_tasks import QualityTasks
from .settings import Settings, SettingsError
from .telephony import AmiCallback, ConsoleDesk, ConsoleTicketEvents, ExecutorCalls
from .training import NoCalls, StandInCalls, TestCalls, TrainingService
from .training.line import TrainingLine
from .web.admin_voice import NOTIFY_SETTING, VOICE_KEY
from .web.app import create_app
from .web.hub import ConsoleHub
from .web.keys import LOOP_LAG_KEY
from .web.quality_keys import build_quality

log = structlog.get_logger(__name__)


@dataclass
class Runtime:
    settings: Settings
    journal: Journal
    hub: ConsoleHub
    app: web.Application
    ari: AriService
    ami: AmiClient
    tracker: CallTracker
    worker: TranscriptionWorker | None
    transcriber: Transcriber | None
    sim: Any = None  # pbxsim.PbxSim in demo mode
    _tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    quality_tasks: QualityTasks | None = None
    _tracker_sync: TrackerSync | None = None
    loop_lag: LoopLagMonitor = field(default_factory=LoopLagMonitor)

    async def start(self) -> None:
        self.loop_lag.start()
        if self.worker is not None:
            await self.worker.start()
        self.ari.state.add_listener(lambda s: self._pbx_state(s))
        # Extension calls that began while AMI was away (or before we started) are adopted.
        self._tracker_sync = TrackerSync(self.ami, self.tracker)
        self._tracker_sync.start()
        await self.ari.start()
        await self.ami.start()
        self._tasks.append(asyncio.create_task(self._close_orphans(), name="close-orphan-calls"))
        if self.quality_tasks is not None:
            self.quality_tasks.start()
        # Models, vocabularies and the ORM are loaded by now (the worker's start loads them).
        freeze_startup_heap()

    async def _close_orphans(self) -> None:
        """Once the PBX answers: calls a previous process left in progress whose channels are
        gone become missed calls for callback (live ones are adopted by the ARI reconcile)."""
        try:
            await self.ari.state.wait_connected()
            listed_at = utcnow()
            live = {c.id for c in await self.ari.client.list_channels()}
            await self.journal.calls.close_orphans(live, listed_at=listed_at)
        except Exception:
            log.exception("calls.orphans_check_failed")

    def _pbx_state(self, status: LinkStatus) -> None:
        self.hub.pbx_state(status.connected)
        if not status.connected:
            log.warning("pbx.disconnected")

    async def stop(self) -> None:
        if self._tracker_sync is not None:
            self._tracker_sync.stop()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.quality_tasks is not None:
            await self.quality_tasks.stop()
        for step in (self.ari.stop, self.ami.stop):
            with contextlib.suppress(Exception):
                await step()
        if self.worker is not None:
            await self.worker.stop()
        if self.transcriber is not None:
            with contextlib.suppress(Exception):
                await self.transcriber.close()
        if self.sim is not None:
            await self.sim.stop()
        await self.journal.close()
        await self.loop_lag.stop()


async def build_runtime(settings: Settings, *, standin: Any = None) -> Runtime:
    """``standin``: an already started pbxsim.PbxSim to use as the demo PBX (tests run it fast)."""
    journal = build_journal(settings)
    try:
        return await _build(settings, journal, standin)
    except BaseException:
        # A refused start (a weak key, demo accounts, no PBX) leaves no database connection open.
        await journal.close()
        raise


async def _build(settings: Settings, journal: Journal, standin: Any) -> Runtime:
    # Deadline rules saved by an administrator take over from config/sla.toml.
    version = await journal.sla_versions.load_active()
    if version:
        log.info("sla.version_loaded", version=version)
    await _check_accounts(settings, journal)
    ari_settings, ami_settings, sim = settings.ari, settings.ami, standin
    if standin is not None:
        ari_settings, ami_settings = standin.ari_settings(), standin.ami_settings()
    elif not settings.ari.url:
        if not settings.server.demo:
            raise SettingsError("setting 'ari.url' is missing: no Asterisk configured (the stand-in runs in demo mode only)")
        try:  # demo only: production never loads the stand-in, a distribution of its own
            from pbxsim import PbxSim, SimConfig
            from pbxsim.media import sounds_from_dir
        except ImportError as exc:
            raise SettingsError("setting 'ari.url' is missing and the Asterisk stand-in of the demo (pbxsim) is not "
                                "installed: set ari.url, or install the stand-in (pip install -e ./pbxsim)") from exc

        from ivr.prompts import PROMPTS_DIR

        # The stand-in's usual ports, where `hotline call` finds it.
        config = SimConfig(recordings_dir=settings.path("var/pbxsim-recordings"),
                           ari_port=settings.server.standin_ari_port, ami_port=settings.server.standin_ami_port,
                           control_token_file=settings.path("var/pbxsim-token"))
        config.sounds.update(sounds_from_dir(PROMPTS_DIR, "hotline"))
        sim = PbxSim(config)
        await sim.start()
        ari_settings, ami_settings = sim.ari_settings(), sim.ami_settings()
        log.info("demo.pbx_standin", ari=sim.ari_url)

    hub = ConsoleHub()
    transcriber = await _transcriber(settings)
    worker = None
    if transcriber is not None:
        worker = TranscriptionWorker(journal, transcriber, events=ConsoleTicketEvents(hub),
                                     concurrency=max(1, settings.asr.workers))
    quality = build_quality(settings, journal)
    tracker = CallTracker()
    executor_calls = ExecutorCalls(journal, hub)
    tracker.on_ringing = executor_calls.on_ringing
    ami = AmiClient(ami_settings)
    ami.add_listener(tracker.handle)
    desk = ConsoleDesk(journal, hub, tracker)
    # With a recogniser the caller may also say the category; the keys work either way.
    ring = settings.dispatchers
    # The greeting is shared with the administrator's voice menu page, which changes it live.
    greeting = GreetingPlan(tz=journal.config.tz)
    hotline = HotlineCall(journal, desk, on_recording_queued=worker.wake if worker else (lambda: None),
                          config=FlowConfig(speech_enabled=transcriber is not None,
                                            dispatcher_ring_seconds=ring.ring_seconds,
                                            confirm_understanding=transcriber is not None
                                            and settings.asr.confirm_understanding,
                                            greeting=greeting),
                          transcriber=transcriber, dispatcher_endpoint=ring.ring_endpoint,
                          ring_each_seconds=ring.ring_each_seconds)
    test_calls = TestCalls(StandInCalls(sim) if sim is not None else NoCalls(), settings.path("var/test-calls"))
    training = TrainingService(journal, test_calls, settings.path("config/training"))
    training_line = TrainingLine(journal, hub, run_info=training.run_info, on_ticket=training.ticket_seen)
    ari = AriService(ari_settings, LineRouter(hotline, {"executor": ExecutorLine(journal), "training": training_line,
                                                      "rating": RatingLine(journal, quality.feedback)}))
    notify = NotifyConfig(settings.notify.webhook_url)
    stored = await journal.settings.get(NOTIFY_SETTING)
    if stored is not None:  # what an administrator set in the browser
        notify.update(stored)
    app = create_app(settings, journal, hub=hub, training=training,
                     callback_originator=AmiCallback(ami, endpoint=ring.ring_endpoint),
                     quality=quality, notify=notify, greeting=greeting)
    await app[VOICE_KEY].load()
    loop_lag = app[LOOP_LAG_KEY] = LoopLagMonitor(threshold_ms=settings.server.loop_lag_warn_ms)
    return Runtime(settings, journal, hub, app, ari, ami, tracker, worker, transcriber, sim,
                   quality_tasks=QualityTasks(settings, journal, quality, ari.client, notify), loop_lag=loop_lag)


async def _check_accounts(settings: Settings, journal: Journal) -> None:
    """Demo accounts (a published password) exist only in demo mode without a real PBX."""
    if settings.server.demo and settings.ari.url:
        log.warning("demo.not_seeded", reason="a PBX is configured (ari.url): no demo accounts with a real PBX")
    elif settings.server.demo:
        await demo.seed(journal)
    if settings.server.demo and not settings.ari.url:
        return
    if found := await demo.demo_accounts(journal):
        raise SettingsError(
            f"the journal holds demo accounts with the published password ({', '.join(found)}); "
            "they must not reach production or a real PBX. Give each a password of its own "
            "(`hotline set-password LOGIN`), switch them off (`hotline end-sessions LOGIN --disable`), "
            "or start on a fresh database")


async def _transcriber(settings: Settings) -> Transcriber | None:
    transcriber = make_transcriber(settings.asr, root=settings.path("."))
    if transcriber is None:
        log.info("asr.off")
        return None
    start = getattr(transcriber, "start", None)
    if start is not None:
        try:
            await start()
        except ModelMissing as exc:
            # Jobs stay queued (durably) until a model is installed and the service restarted.
            log.error("asr.model_missing", error=str(exc))
            await transcriber.close()
            return None
    return transcriber
