"""The running service, built in one place: journal, Asterisk links (or the stand-in in demo
mode), the voice menu, transcription and the console. Everything started here is stopped here."""

from __future__ import annotations

import contextlib
import functools
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import structlog
from aiohttp import web

from cti.app import demo
from cti.app.compose import build_journal
from cti.console.hub import ConsoleHub
from cti.console.notifier import ConsoleNotifier
from cti.console.outbox_bus import OutboxHub, make_hub
from cti.node_settings import single_node
from cti.quality.notify import NotifyConfig
from cti.quality.tasks import QualityTasks
from cti.settings import Settings, SettingsError
from cti.telephony import AmiCallback, ConsoleDesk, ConsoleTicketEvents, ExecutorCalls
from cti.telephony.nodes import AnyNodeAri, NodeLink, NodeOwnership, OwnedAmi
from cti.training import NoCalls, StandInCalls, TestCalls, TrainingService
from cti.training.line import TrainingLine
from cti.web.admin_voice import NOTIFY_SETTING, VOICE_KEY
from cti.web.app import create_app
from cti.web.keys import LOOP_LAG_KEY
from cti.web.quality_keys import build_quality
from ivr.ami import AmiClient, CallTracker
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
from journal.outbox import Outbox

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
    # The Asterisk nodes (``ari``/``ami`` are the first one's), run while this instance owns them.
    nodes: NodeOwnership | None = None
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
        if self.nodes is not None:
            for link in self.nodes.links:
                link.ari.state.add_listener(functools.partial(self._pbx_state, link))
            s.push_async_callback(_quietly, "nodes", self.nodes.stop)
            await self.nodes.start()
        if self.quality_tasks is not None:
            self.quality_tasks.start()
            s.push_async_callback(_quietly, "quality_tasks", self.quality_tasks.stop)
        # Models, vocabularies and the ORM are loaded by now (the worker's start loads them).
        freeze_startup_heap()

    def _pbx_state(self, link: NodeLink, status: LinkStatus) -> None:
        """A node's link, told to every console by the instance that runs the node (a link
        stopped because the node went to another instance says nothing: its new owner will)."""
        if not link.running:
            return
        ConsoleNotifier(self.hub).pbx_state(status.connected, node=link.name)
        if not status.connected:
            log.warning("pbx.disconnected", node=link.name)

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


async def _build(settings: Settings, journal: Journal, standin: Any, stack: contextlib.AsyncExitStack) -> Runtime:
    # Deadline rules saved by an administrator take over from config/sla.toml.
    version = await journal.sla_versions.load_active()
    if version:
        log.info("sla.version_loaded", version=version)
    await _check_accounts(settings, journal)
    nodes, sim = settings.asterisk_nodes(), standin
    if standin is not None:
        nodes = [single_node(standin.ari_settings(), standin.ami_settings())]
    elif not settings.pbx_configured():
        sim = await _start_standin(settings)
        stack.push_async_callback(sim.stop)
        nodes = [single_node(sim.ari_settings(), sim.ami_settings())]

    hub = make_hub(settings.console.bus, Outbox(journal.db) if settings.console.bus == "postgres" else None,
                   poll_seconds=settings.console.poll_seconds, keep_minutes=settings.console.keep_minutes,
                   keep_rows=settings.console.keep_rows)
    transcriber = await _transcriber(settings)
    if transcriber is not None:
        stack.push_async_callback(_quietly, "transcriber", transcriber.close)
    worker = None
    if transcriber is not None and settings.asr.in_process:
        worker = TranscriptionWorker(journal, transcriber, events=ConsoleTicketEvents(hub, journal.db),
                                     concurrency=max(1, settings.asr.workers),
                                     lease=timedelta(seconds=settings.asr.lease_seconds),
                                     # Named by host and port, so that this service started again
                                     # takes its earlier life's jobs back at once.
                                     worker_id=f"{socket.gethostname()}:service:{settings.server.port}")
    quality = build_quality(settings, journal)
    tracker = CallTracker()
    executor_calls = ExecutorCalls(journal, hub)
    tracker.on_ringing = executor_calls.on_ringing
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
    test_calls = TestCalls(StandInCalls(sim) if sim is not None else NoCalls(), settings.path(settings.training.test_calls_dir))
    training = TrainingService(journal, test_calls, settings.path(settings.training.scenarios_dir))
    training_line = TrainingLine(journal, hub, run_info=training.run_info, on_ticket=training.ticket_seen)
    router = LineRouter(hotline, {
        "executor": ExecutorLine(journal, changes=desk), "training": training_line,
        "rating": RatingLine(journal, quality.feedback, changes=desk)})
    links = [NodeLink(node, router, tracker, journal) for node in nodes]
    ownership = NodeOwnership(journal, links, instance=_instance_name(settings),
                              interval=settings.cluster.claim_interval_seconds,
                              preferred=[n.strip() for n in settings.cluster.preferred_nodes.split(",") if n.strip()],
                              grace=settings.cluster.startup_grace_seconds)
    ari, ami = links[0].ari, links[0].ami
    notify = NotifyConfig(settings.notify.webhook_url)
    stored = await journal.settings.get(NOTIFY_SETTING)
    if stored is not None:  # what an administrator set in the browser
        notify.update(stored)
    app = create_app(settings, journal, hub=hub, training=training,
                     callback_originator=AmiCallback(OwnedAmi(ownership), endpoint=ring.ring_endpoint,
                                                     any_node=AnyNodeAri(nodes)),
                     quality=quality, notify=notify, greeting=greeting)
    await app[VOICE_KEY].load()
    loop_lag = app[LOOP_LAG_KEY] = LoopLagMonitor(threshold_ms=settings.server.loop_lag_warn_ms)
    return Runtime(settings, journal, hub, app, ari, ami, tracker, worker, transcriber, sim, nodes=ownership,
                   quality_tasks=QualityTasks(settings, journal, quality, ari.client, notify), loop_lag=loop_lag)


def _instance_name(settings: Settings) -> str:
    """This instance in the nodes' log lines: its host and port (one service per port)."""
    return f"{socket.gethostname()}:{settings.server.port}"


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

    config = SimConfig(recordings_dir=settings.path(settings.server.standin_recordings_dir),
                       ari_port=settings.server.standin_ari_port, ami_port=settings.server.standin_ami_port,
                       control_token_file=settings.path(settings.server.standin_token_file))
    config.sounds.update(sounds_from_dir(PROMPTS_DIR, "hotline"))
    sim = PbxSim(config)
    await sim.start()
    log.info("demo.pbx_standin", ari=sim.ari_url)
    return sim


async def _check_accounts(settings: Settings, journal: Journal) -> None:
    """Demo accounts (a published password) exist only in demo mode without a real PBX."""
    if settings.server.demo and settings.pbx_configured():
        log.warning("demo.not_seeded", reason="a PBX is configured (ari.url): no demo accounts with a real PBX")
    elif settings.server.demo:
        await demo.seed(journal)
    if settings.server.demo and not settings.pbx_configured():
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
