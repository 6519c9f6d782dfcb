"""Fixtures of the real-Asterisk tests: the PBX, the hotline service against it, SIP phones,
Russian speech, and what the phones heard and the PBX played."""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import shutil
import subprocess
import wave
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from cti.app.runtime import Runtime
from cti.settings import Settings
from tests.console.conftest import Session
from tests.real_asterisk.asterisk import RealAsterisk, missing_reason
from tests.real_asterisk.phones import Baresip
from tests.service.running import Served, running, service_settings

PASSWORD = "real-asterisk-test-password"
STAFF = (
    ("disp101", "Диспетчер Первый", "dispatcher", "101"),
    ("disp102", "Диспетчер Второй", "dispatcher", "102"),
    ("disp103", "Диспетчер Третий", "dispatcher", "103"),
    ("crew201", "Слесарь Петров", "executor", "201"),
    ("crew202", "Электрик Сидоров", "executor", "202"),
    ("qa1", "Контролёр Качества", "qa", None),
)
RESIDENT_NUMBER = "79160000300"  # the test resident's caller id in pjsip.conf


@pytest.fixture(autouse=True)
def _needs_asterisk() -> None:
    reason = missing_reason()
    if reason:
        pytest.skip(reason)


@pytest.fixture
def pbx(tmp_path: Path) -> Iterator[RealAsterisk]:
    asterisk = RealAsterisk(tmp_path / "asterisk")
    asterisk.start()
    try:
        yield asterisk
    finally:
        asterisk.stop()


@dataclass
class Hotline:
    """The service under test, its console's address and the PBX it runs on."""

    runtime: Runtime
    served: Served
    pbx: RealAsterisk
    settings: Settings
    sessions: list[Session] = field(default_factory=list)

    async def console(self, login: str) -> Console:
        s = Session(self.served)  # type: ignore[arg-type]
        r = await s.login(login, PASSWORD)
        assert r.status == 302, f"log-in of {login}: {r.status}"
        self.sessions.append(s)
        ws = await s.ws()
        hello = json.loads((await ws.receive()).data)
        assert hello["type"] == "hello"
        return Console(s, ws)


@dataclass
class Console:
    session: Session
    ws: aiohttp.ClientWebSocketResponse
    seen: list[dict[str, Any]] = field(default_factory=list)

    async def until(self, accept: Callable[[dict[str, Any]], bool], timeout: float) -> dict[str, Any]:
        """The first message (seen or new) that ``accept`` takes, within ``timeout`` seconds."""
        for m in self.seen:
            if accept(m):
                return m
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while (left := end - loop.time()) > 0:
            try:
                msg = await self.ws.receive(timeout=left)
            except TimeoutError:
                break
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            data = json.loads(msg.data)
            self.seen.append(data)
            if accept(data):
                return data
        raise AssertionError(f"no such message in {timeout} s; seen: {[m.get('type') for m in self.seen]}"
                             f" {self.seen[-5:]}")

    async def state(self, state: str, timeout: float) -> dict[str, Any]:
        return await self.until(lambda m: m.get("type") == "call_state" and m.get("state") == state, timeout)

    def messages(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.seen if m.get("type") == kind]

    async def drain(self, seconds: float) -> None:
        try:
            await self.until(lambda m: False, seconds)
        except AssertionError:
            pass


def configure_for(pbx: RealAsterisk, tmp_path: Path, **dispatchers: Any) -> Settings:
    def configure(settings: Settings) -> None:
        settings.ari.url, settings.ari.username, settings.ari.password = pbx.ari_url, "hotline", pbx.secrets.ari
        settings.ami.host, settings.ami.port = "127.0.0.1", pbx.ports.ami
        settings.ami.username, settings.ami.password = "hotline", pbx.secrets.ami
        settings.server.demo = False
        settings.server.secret_key = secrets.token_urlsafe(48)
        for key, value in dispatchers.items():
            setattr(settings.dispatchers, key, value)

    return service_settings(tmp_path, configure)


@pytest.fixture
def ring() -> dict[str, Any]:
    """How the service rings dispatchers in this test (cti.settings.DispatchersSettings)."""
    return {}


@pytest.fixture
async def hotline(pbx: RealAsterisk, tmp_path: Path, ring: dict[str, Any]) -> AsyncIterator[Hotline]:
    settings = configure_for(pbx, tmp_path / "service", **ring)
    async with running(settings) as (runtime, served):
        for login, name, role, ext in STAFF:
            await runtime.journal.people.create_user(login, name, role, PASSWORD, extension=ext)
        service = Hotline(runtime, served, pbx, settings)
        try:
            yield service
            await no_channels_left(pbx)
        finally:
            for s in service.sessions:
                await s.close()


async def no_channels_left(pbx: RealAsterisk, within: float = 10.0) -> None:
    """No orphan: every channel of the test is gone from Asterisk once its calls ended."""
    loop = asyncio.get_running_loop()
    end = loop.time() + within
    while True:
        left = await asyncio.to_thread(pbx.channels)
        if not left:
            return
        if loop.time() > end:
            raise AssertionError(f"channels left in Asterisk: {left}")
        await asyncio.sleep(0.3)


@pytest.fixture
def phones(tmp_path: Path, pbx: RealAsterisk) -> Iterator[Callable[..., Baresip]]:
    started: list[Baresip] = []

    def start(ext: str, **options: Any) -> Baresip:
        phone = Baresip(tmp_path, pbx, ext, **options).start()
        started.append(phone)
        return phone

    yield start
    for phone in started:
        phone.stop()


# -- speech ----------------------------------------------------------------------------------

def speech_wav(path: Path, text: str, *, trailing_silence: float = 0.0) -> Path:
    """Russian speech from espeak-ng, as a telephone sends it: 8 kHz, 16-bit, mono."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (Debian: espeak-ng)")
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", "ru", "-s", "150", "-w", str(raw), text], check=True, capture_output=True)
    cmd = ["sox", str(raw), "-r", "8000", "-b", "16", "-c", "1", str(path)]
    if trailing_silence:
        cmd += ["pad", "0", str(trailing_silence)]
    subprocess.run(cmd, check=True, capture_output=True)
    return path


def wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


def voiced_span(path: Path, *, window: float = 0.02, threshold: int = 500) -> tuple[float, float] | None:
    """(first, last) second of sound louder than ``threshold`` (16-bit peak) in a WAV file."""
    import array

    with wave.open(str(path)) as w:
        rate, width, channels = w.getframerate(), w.getsampwidth(), w.getnchannels()
        data = w.readframes(w.getnframes())
    assert width == 2, f"{path}: {width * 8}-bit"
    samples = array.array("h", data)[::channels]
    step = max(1, int(rate * window))
    loud = [i for i in range(0, len(samples), step) if max((abs(x) for x in samples[i:i + step]), default=0) > threshold]
    if not loud:
        return None
    return loud[0] / rate, (loud[-1] + step) / rate


def voiced_seconds(path: Path, *, start: float = 0.0, window: float = 0.02, threshold: int = 500) -> float:
    """How many seconds after ``start`` carry sound louder than ``threshold``."""
    import array

    with wave.open(str(path)) as w:
        rate, channels = w.getframerate(), w.getnchannels()
        data = w.readframes(w.getnframes())
    samples = array.array("h", data)[::channels]
    step = max(1, int(rate * window))
    first = int(start * rate)
    loud = sum(1 for i in range(first, len(samples), step)
               if max((abs(x) for x in samples[i:i + step]), default=0) > threshold)
    return loud * window


PLAYING = re.compile(r"<(?P<channel>[^>]+)> Playing '(?P<file>[^']+)' \(language '(?P<lang>[^']*)'\)")


def played(pbx: RealAsterisk, channel_prefix: str) -> list[str]:
    """The sound files Asterisk played on channels whose name starts with ``channel_prefix``,
    in order, from its own log (verbose level 3: file_streamer's "Playing ..." lines)."""
    return [m.group("file").rsplit(".", 1)[0] for m in PLAYING.finditer(pbx.messages())
            if m.group("channel").startswith(channel_prefix)]
