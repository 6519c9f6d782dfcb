"""The running service, built in one place: journal, Asterisk links (or the stand-in in demo
mode), the voice menu, transcription and the console. Everything started here is stopped here."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
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
from ivr.hotline.outage import OutageLine
from ivr.link_state import LinkStatus
from ivr.looplag import LoopLagMonitor, freeze_startup_heap
from ivr.transcription import TranscriptionWorker
from journal import Journal
from journal.clock import utcnow
from journal.outbox import Outbox

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
from .web.notifier import ConsoleNotifier
from .web.outbox_bus import OutboxHub, make_hub
from .web.quality_keys import build_quality

log = structlog.get_logger(__name__)


@dataclass
class Runtime:
    """Everything the service runs. What is built (the journal, the stand-in, the recogniser)
    and what is started is stopped on one exit stack: in the reverse order, every step even
    when one fails, and a start that fails half-way stops what it had started."""

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
    quality_tasks: QualityTasks | None = None
    stack: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)
    loop_lag: LoopLagMonitor = field(default_factory=LoopLagMonitor)

    async def start(self) -> None:
        try:
            await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> None:
        s = self.stack
        self.loop_lag.start()
        s.push_async_callback(self.loop_lag.stop)
        if isinstance(self.hub, OutboxHub):  # before anything publishes; stopped after all of it
            await self.hub.start()
            s.push_async_callback(_quietly, "console_outbox", self.hub.stop)
        if self.worker is not None:
            await self.worker.start()
            s.push_async_callback(_quietly, "worker", self.worker.stop)
        self.ari.state.add_listener(lambda status: self._pbx_state(status))
        # Extension calls that began while AMI was away (or before we started) are adopted.
        tracker_sync = TrackerSync(self.ami, self.tracker)
        tracker_sync.start()
        s.callback(tracker_sync.stop)
        s.push_async_callback(_quietly, "ari", self.ari.stop)
        await self.ari.start()
        s.push_async_callback(_quietly, "ami", self.ami.stop)
        await self.ami.start()
        orphans = asyncio.create_task(self._close_orphans(), name="close-orphan-calls")
        s.push_async_callback(_cancel, orphans)
        if self.quality_tasks is not None:
            self.quality_tasks.start()
            s.push_async_callback(_quietly, "quality_tasks", self.quality_tasks.stop)
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
        ConsoleNotifier(self.hub).pbx_state(status.connected)
        if not status.connected:
            log.warning("pbx.disconnected")

    async def stop(self) -> None:
        await self.stack.aclose()


@contextlib.asynccontextmanager
async def compose(settings: Settings, *, standin: Any = None) -> AsyncIterator[Runtime]:
    """The composition root: ``async with compose(settings) as runtime`` builds and starts the
    service, and stops and closes all of it on the way out (a failed start included)."""
    runtime = await build_runtime(settings, standin=standin)
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()


async def build_runtime(settings: Settings, *, standin: Any = None) -> Runtime:
    """``standin``: an already started pbxsim.PbxSim to use as the demo PBX (tests run it fast).
    The runtime is built, not started (``Runtime.start``; or use ``compose``)."""
    stack = contextlib.AsyncExitStack()
    journal = build_journal(settings)
    stack.push_async_callback(journal.close)
    try:
        runtime = await _build(settings, journal, standin, stack)
    except BaseException:
        # A refused start (a weak key, demo accounts, no PBX) leaves nothing open.
        await stack.aclose()
        raise
    runtime.stack = stack
    return runtime


async def _quietly(what: str, stop: Callable[[], Awaitable[Any]]) -> None:
    """One step of the shutdown; its failure is logged and the others still run."""
    try:
        await stop()
    except Exception:
        log.exception("service.stop_step_failed", step=what)


async def _cancel(task: asyncio.Task[Any]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def _build(settings: Settings, journal: Journal, standin: Any, stack: contextlib.AsyncExitStack) -> Runtime:
    # Deadline rules saved by an administrator take over from config/sla.toml.
    version = await journal.sla_versions.load_active()
    if version:
        log.info("sla.version_loaded", version=version)
    await _check_accounts(settings, journal)
    ari_settings, ami_settings, sim = settings.ari, settings.ami, standin
    if standin is not None:
        ari_settings, ami_settings = standin.ari_settings(), standin.ami_settings()
    elif not settings.ari.url:
        sim = await _start_standin(settings)
        stack.push_async_callback(sim.stop)
        ari_settings, ami_settings = sim.ari_settings(), sim.ami_settings()

    hub = make_hub(settings.console.bus, Outbox(journal.db) if settings.console.bus == "postgres" else None,
                   poll_seconds=settings.console.poll_seconds, keep_minutes=settings.console.keep_minutes,
                   keep_rows=settings.console.keep_rows)
    transcriber = await _transcriber(settings)
    if transcriber is not None:
        stack.push_async_callback(_quietly, "transcriber", transcriber.close)
    worker = None
    if transcriber is not None and settings.asr.in_process:
        worker = TranscriptionWorker(journal, transcriber, events=ConsoleTicketEvents(hub),
                                     concurrency=max(1, settings.asr.workers),
                                     lease=timedelta(seconds=settings.asr.lease_seconds),
                                     # Named by host and port, so that this service started again
                                     # takes its earlier life's jobs back at once.
                                     worker_id=f"{socket.gethostname()}:service:{settings.server.port}")
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
                          ring_each_seconds=ring.ring_each_seconds,
                          position_after_seconds=ring.queue_position_after_seconds,
                          position_every_seconds=ring.queue_position_every_seconds,
                          # An outage is announced only once its own prompts are installed there.
                          outages=OutageLine(journal, settings.path(settings.voice.prompts_dir)))
    test_calls = TestCalls(StandInCalls(sim) if sim is not None else NoCalls(), settings.path("var/test-calls"))
    training = TrainingService(journal, test_calls, settings.path("config/training"))
    training_line = TrainingLine(journal, hub, run_info=training.run_info, on_ticket=training.ticket_seen)
    ari = AriService(ari_settings, LineRouter(hotline, {
        "executor": ExecutorLine(journal, changes=desk), "training": training_line,
        "rating": RatingLine(journal, quality.feedback, changes=desk)}))
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


async def _start_standin(settings: Settings) -> Any:
    """Demo mode without a PBX configured: the Asterisk stand-in, on its usual ports (where
    `hotline call` finds it)."""
    if not settings.server.demo:
        raise SettingsError("setting 'ari.url' is missing: no Asterisk configured (the stand-in runs in demo mode only)")
    try:  # demo only: production never loads the stand-in, a distribution of its own
        from pbxsim import PbxSim, SimConfig
        from pbxsim.media import sounds_from_dir
    except ImportError as exc:
        raise SettingsError("setting 'ari.url' is missing and the Asterisk stand-in of the demo (pbxsim) is not "
                            "installed: set ari.url, or install the stand-in (pip install -e ./pbxsim)") from exc

    from ivr.prompts import PROMPTS_DIR

    config = SimConfig(recordings_dir=settings.path("var/pbxsim-recordings"),
                       ari_port=settings.server.standin_ari_port, ami_port=settings.server.standin_ami_port,
                       control_token_file=settings.path("var/pbxsim-token"))
    config.sounds.update(sounds_from_dir(PROMPTS_DIR, "hotline"))
    sim = PbxSim(config)
    await sim.start()
    log.info("demo.pbx_standin", ari=sim.ari_url)
    return sim


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
    if not settings.asr.in_process and settings.asr.backend == "local":
        # Recordings go to `hotline worker` processes; no model in the service.
        log.info("asr.out_of_process")
        return None
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
