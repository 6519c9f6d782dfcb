"""The running service, built in one place: journal, Asterisk links (or the stand-in in demo
mode), the voice menu, transcription and the console. Everything started here is stopped here."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

import structlog
from aiohttp import web

from ivr.ami import AmiClient, CallTracker
from ivr.ari import AriService
from ivr.asr import ModelMissing, make_transcriber
from ivr.asr.base import Transcriber
from ivr.hotline import ExecutorLine, HotlineCall, LineRouter
from ivr.link_state import LinkStatus
from ivr.transcription import TranscriptionWorker
from journal import Journal

from . import demo
from .compose import build_journal
from .settings import Settings, SettingsError
from .telephony import AmiCallback, ConsoleDesk, ConsoleTicketEvents, ExecutorCalls
from .web.app import create_app
from .web.hub import ConsoleHub

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

    async def start(self) -> None:
        if self.worker is not None:
            await self.worker.start()
        self.ari.state.add_listener(lambda s: self._pbx_state(s))
        await self.ari.start()
        await self.ami.start()

    def _pbx_state(self, status: LinkStatus) -> None:
        self.hub.pbx_state(status.connected)
        if not status.connected:
            log.warning("pbx.disconnected")

    async def stop(self) -> None:
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


async def build_runtime(settings: Settings) -> Runtime:
    journal = build_journal(settings)
    if settings.server.demo:
        await demo.seed(journal)
    ari_settings, ami_settings, sim = settings.ari, settings.ami, None
    if not settings.ari.url:
        if not settings.server.demo:
            raise SettingsError("setting 'ari.url' is missing: no Asterisk configured (the stand-in runs in demo mode only)")
        from pbxsim import PbxSim, SimConfig  # demo only: production never loads the stand-in

        # The stand-in's usual ports, where `hotline call` finds it.
        from pbxsim.media import sounds_from_dir

        from ivr.prompts import PROMPTS_DIR

        config = SimConfig(recordings_dir=settings.path("var/pbxsim-recordings"), ari_port=8088, ami_port=5038)
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
    tracker = CallTracker()
    executor_calls = ExecutorCalls(journal, hub)
    tracker.on_ringing = executor_calls.on_ringing
    ami = AmiClient(ami_settings)
    ami.add_listener(tracker.handle)
    desk = ConsoleDesk(journal, hub, tracker)
    hotline = HotlineCall(journal, desk, on_recording_queued=worker.wake if worker else (lambda: None))
    ari = AriService(ari_settings, LineRouter(hotline, {"executor": ExecutorLine(journal)}))
    app = create_app(settings, journal, hub=hub, callback_originator=AmiCallback(ami))
    return Runtime(settings, journal, hub, app, ari, ami, tracker, worker, transcriber, sim)


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
