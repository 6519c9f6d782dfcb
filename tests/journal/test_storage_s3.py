"""The S3 storage backend against a real S3-compatible server: moto in server mode on a free
loopback port, spoken to over HTTP by aiobotocore exactly as a MinIO or AWS would be."""

from __future__ import annotations

import hashlib
import shutil
import socket
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiobotocore.session import get_session
from aiohttp.test_utils import TestServer
from moto.server import ThreadedMotoServer

from cti.app.compose import build_store
from cti.settings import Settings, SettingsError, load_settings
from cti.web.app import create_app
from ivr.asr import Transcript
from ivr.asr.grammar import Phrases
from ivr.transcription import TranscriptionWorker
from journal import Actor, Database, InvalidValue, Journal, JournalConfig, NewTicket, SlaPolicy, TicketFilter
from journal.clock import utcnow
from journal.models import Recording, Ticket
from journal.quality_suite import QualitySuite
from journal.retention import RecordingRetention
from journal.storage_s3 import PUT_SECONDS, S3Config, S3Store
from pbxsim import CallScript
from tests.browser import chromium_page, login, needs_browser
from tests.console.conftest import PASSWORD, TEST_SECRET_KEY, Session
from tests.hotline.conftest import Hotline, hotline, speech_wav

__all__ = ["hotline", "speech_wav"]

WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(range(256)) * 40


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


async def _client_call(endpoint: str, method: str, **kw: Any) -> Any:
    """One call with a client of the test's own (what an operator's `aws s3` would see)."""
    async with get_session().create_client("s3", endpoint_url=endpoint, region_name="us-east-1",
                                           aws_access_key_id="test", aws_secret_access_key="test") as c:
        return await getattr(c, method)(**kw)


async def _objects(endpoint: str, bucket: str) -> dict[str, int]:
    listed = await _client_call(endpoint, "list_objects_v2", Bucket=bucket)
    return {o["Key"]: o["Size"] for o in listed.get("Contents", [])}


@pytest.fixture
async def bucket(s3_endpoint: str) -> str:
    name = f"hotline-{uuid.uuid4().hex[:12]}"
    await _client_call(s3_endpoint, "create_bucket", Bucket=name)
    return name


@pytest.fixture
async def store(s3_endpoint: str, bucket: str) -> AsyncIterator[S3Store]:
    s = S3Store(S3Config(bucket=bucket, endpoint=s3_endpoint, access_key="test", secret_key="test",
                         prefix="recordings/"))
    yield s
    await s.close()


async def test_put_get_range_delete(store: S3Store, s3_endpoint: str, bucket: str) -> None:
    stored = await store.put(WAV, ".wav")
    digest = hashlib.sha256(WAV).hexdigest()
    assert stored.sha256 == digest and stored.size == len(WAV)
    assert stored.relpath == f"{digest[:2]}/{digest[2:4]}/{digest}.wav"
    # The same bytes again: one object, under its content hash, with the prefix.
    assert (await store.put(WAV, ".wav")).relpath == stored.relpath
    assert await _objects(s3_endpoint, bucket) == {f"recordings/{stored.relpath}": len(WAV)}
    assert await store.size(stored.relpath) == len(WAV)
    assert await store.read(stored.relpath) == WAV
    middle = b"".join([p async for p in store.read_range(stored.relpath, 100, 5000)])
    assert middle == WAV[100:5000]
    async with store.local_copy(stored.relpath) as path:
        assert path.read_bytes() == WAV
    assert not path.exists()
    assert await store.delete(stored.relpath) is True
    assert await store.size(stored.relpath) is None and await _objects(s3_endpoint, bucket) == {}
    assert await store.delete(stored.relpath) is False


async def test_a_tampered_key_is_refused_before_any_request(store: S3Store) -> None:
    for key in ("../../etc/passwd", "/etc/passwd", "a//b.wav", "a/../b.wav", ""):
        with pytest.raises(InvalidValue):
            await store.size(key)


def test_settings_build_the_store_without_showing_the_secret() -> None:
    env = {"HOTLINE_SERVER_SECRET_KEY": TEST_SECRET_KEY, "HOTLINE_RECORDINGS_BACKEND": "s3",
           "HOTLINE_RECORDINGS_S3_BUCKET": "calls", "HOTLINE_RECORDINGS_S3_ENDPOINT": "http://127.0.0.1:9000",
           "HOTLINE_RECORDINGS_S3_ACCESS_KEY": "AKIAEXAMPLE", "HOTLINE_RECORDINGS_S3_SECRET_KEY": "wJalrXUtnFEMIK7MDENG"}
    s = load_settings(environ=env)
    store = build_store(s)
    assert isinstance(store, S3Store) and store.where() == "s3://calls/ (http://127.0.0.1:9000)"
    for shown in (repr(store.config), repr(s)):
        assert "wJalr" not in shown and "AKIAEXAMPLE" not in shown
    with pytest.raises(SettingsError, match="s3_bucket"):
        load_settings(environ={k: v for k, v in env.items() if k != "HOTLINE_RECORDINGS_S3_BUCKET"})
    with pytest.raises(SettingsError, match=r"recordings\.backend"):
        load_settings(environ={**env, "HOTLINE_RECORDINGS_BACKEND": "ftp"})
    s.recordings.s3_prefix = "/abs"
    with pytest.raises(SettingsError, match="s3_prefix"):
        build_store(s)


@pytest.fixture
async def hotline_files(request: pytest.FixtureRequest, store: S3Store) -> AsyncIterator[S3Store]:
    """The hotline's recordings go to the test bucket, or (param "unreachable") to a bucket
    whose server does not answer."""
    if getattr(request, "param", None) == "unreachable":
        down = S3Store(S3Config(bucket="calls", endpoint=f"http://127.0.0.1:{_closed_port()}",
                                access_key="test", secret_key="test"))
        yield down
        await down.close()
    else:
        yield store


async def _resident_call(hotline: Hotline, speech_wav: Path) -> tuple[Ticket, str]:
    """A resident keys 1 and describes the problem through the stand-in: the one ticket made,
    and the call's channel."""
    call = hotline.sim.place_call(CallScript("79161234567", "Ivanova", say=speech_wav))
    await hotline.wait_played(call.id, lambda played: "sound:hotline/category-menu" in played)
    hotline.sim.press(call.id, "1")
    await call.done.wait()
    await hotline.settle()
    [ticket] = list(await hotline.journal.monitor.tickets(TicketFilter(open_only=False), utcnow(), limit=10))
    return ticket, call.id


async def _recorded_call(hotline: Hotline, speech_wav: Path) -> tuple[Recording, bytes]:
    """A resident's call through the stand-in: the ticket's recording row and the bytes recorded."""
    ticket, _ = await _resident_call(hotline, speech_wav)
    [rec] = await hotline.journal.tickets.recordings(ticket.id)
    return rec, (hotline.sim.recordings_dir / f"{rec.name}.wav").read_bytes()


async def _console(journal: Journal, aiohttp_server: Any) -> TestServer:
    settings = Settings()
    settings.server.secret_key = TEST_SECRET_KEY
    await journal.people.create_user("qa", "Контролёр Н. Н.", "qa", PASSWORD)
    server: TestServer = await aiohttp_server(create_app(settings, journal))
    return server


@pytest.mark.slow
@needs_browser
async def test_qa_seeks_a_recording_kept_in_s3_in_chromium(hotline: Hotline, speech_wav: Path,
                                                            aiohttp_server: Any) -> None:
    """The console's own audio player in a real Chromium: it loads the length by range, seeks
    into the middle, and every request that carried bytes is in the access log."""
    from playwright.async_api import expect

    rec, made = await _recorded_call(hotline, speech_wav)
    assert rec.call_id is not None
    server = await _console(hotline.journal, aiohttp_server)
    base = f"http://{server.host}:{server.port}"
    async with chromium_page() as (page, errors):
        ranges: list[str] = []
        page.on("request", lambda r: ranges.append(r.headers.get("range", "")) if "/recordings/" in r.url else None)
        await login(page, base, "qa", PASSWORD)
        await page.goto(f"{base}/qa/calls/{rec.call_id}")
        audio = page.locator("audio")
        await expect(audio).to_have_count(1)
        await page.wait_for_function("document.querySelector('audio').readyState >= 1", timeout=10_000)
        seconds = (len(made) - 44) / 16_000  # 8 kHz, 16-bit mono
        assert abs(await audio.evaluate("a => a.duration") - seconds) < 0.1
        middle = round(seconds / 2, 2)
        await audio.evaluate(f"a => new Promise(done => {{ a.addEventListener('seeked', done, {{once: true}}); "
                             f"a.currentTime = {middle}; }})")
        await page.wait_for_function("document.querySelector('audio').readyState >= 2", timeout=10_000)
        assert abs(await audio.evaluate("a => a.currentTime") - middle) < 0.05
        assert not errors, errors
    assert ranges and all(r.startswith("bytes=") for r in ranges), ranges  # the player asks by range
    log = await QualitySuite.build(hotline.journal).quality.access_log(rec.id)
    assert log and {(a.user_login, a.action) for a in log} == {("qa", "listen")}


@pytest.mark.slow
async def test_a_call_recorded_to_s3_is_played_by_range_and_purged(
        hotline: Hotline, speech_wav: Path, s3_endpoint: str, bucket: str, tmp_path: Path,
        aiohttp_server: Any) -> None:
    # A resident calls the stand-in and speaks: the recording goes to the bucket.
    rec, made = await _recorded_call(hotline, speech_wav)
    assert await _objects(s3_endpoint, bucket) == {f"recordings/{rec.path}": len(made)}
    assert rec.sha256 == hashlib.sha256(made).hexdigest() and not (tmp_path / "files").exists()

    # QA listens in the console: the player seeks, the bucket answers the range.
    journal = hotline.journal
    server = await _console(journal, aiohttp_server)
    qa = Session(server)
    try:
        assert (await qa.login("qa")).status == 302
        async with qa.http.get(qa.url(f"/recordings/{rec.id}")) as r:
            assert r.status == 200 and r.content_type == "audio/wav" and await r.read() == made
            assert r.headers["Accept-Ranges"] == "bytes"
        async with qa.http.get(qa.url(f"/recordings/{rec.id}"), headers={"Range": "bytes=1000-"}) as r:
            assert r.status == 206 and await r.read() == made[1000:]
            assert r.headers["Content-Range"] == f"bytes 1000-{len(made) - 1}/{len(made)}"
        async with qa.http.get(qa.url(f"/recordings/{rec.id}"), headers={"Range": "bytes=-44"}) as r:
            assert r.status == 206 and await r.read() == made[-44:]
        async with qa.http.get(qa.url(f"/recordings/{rec.id}"), headers={"Range": f"bytes={len(made)}-"}) as r:
            assert r.status == 416 and r.headers["Content-Range"] == f"bytes */{len(made)}"
        log = await QualitySuite.build(journal).quality.access_log(rec.id)
        assert [(a.user_login, a.action) for a in log] == [("qa", "listen")] * 3

        # Retention deletes the object from the bucket; the console says the recording went.
        purged = await RecordingRetention(journal.db, journal.files, retention_days=1).purge(
            now=utcnow() + timedelta(days=2))
        assert (purged.recordings, purged.files) == (1, 1)
        assert await _objects(s3_endpoint, bucket) == {}
        async with qa.http.get(qa.url(f"/recordings/{rec.id}")) as r:
            assert r.status == 410 and "удалена по сроку хранения" in (await r.json())["error"]
    finally:
        await qa.close()


class ReadsTheRecording:
    """A recogniser stand-in that checks it was handed the stored bytes as a local file."""

    def __init__(self, expected: bytes) -> None:
        self.expected = expected
        self.paths: list[Path] = []

    async def transcribe(self, path: Path | str) -> Transcript:
        assert Path(path).read_bytes() == self.expected
        self.paths.append(Path(path))
        return Transcript("течёт кран на кухне", (), 3.0, "fixed", "fixed")

    async def recognize_choice(self, path: Path | str, phrases: Phrases) -> tuple[str | None, float]:
        raise AssertionError("not used by the worker")

    async def close(self) -> None:
        return None


async def test_a_worker_transcribes_a_recording_kept_only_in_s3(store: S3Store, sqlite_template: Path,
                                                               sla: SlaPolicy, tmp_path: Path) -> None:
    """A worker on another machine: its journal shares the database and the bucket, no directory."""
    db = tmp_path / "j.sqlite3"
    shutil.copy(sqlite_template, db)
    journal = Journal.build(Database.from_url(f"sqlite+aiosqlite:///{db}"), sla, JournalConfig(), store)
    try:
        rec = await journal.calls.add_recording(call_id=None, name="call-1", data=WAV)
        reg = await journal.tickets.register(NewTicket(channel="phone_ivr", category="water", actor=Actor.system("ivr"),
                                                       caller_phone="79161234567", recording_ids=[rec.id],
                                                       transcript_pending=True))
        recogniser = ReadsTheRecording(WAV)
        worker = TranscriptionWorker(journal, recogniser, poll_seconds=0.1)
        await worker.start()
        try:
            await worker.drain(30)
        finally:
            await worker.stop()
        ticket = await journal.tickets.get(reg.ticket.id)
        assert ticket.transcript_status == "done" and ticket.transcript == "течёт кран на кухне"
        # The temporary copy it read is gone.
        assert recogniser.paths and not any(p.exists() for p in recogniser.paths)
    finally:
        await journal.close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_an_unreachable_bucket_fails_as_a_failing_disk_does(tmp_path: Path) -> None:
    store = S3Store(S3Config(bucket="calls", endpoint=f"http://127.0.0.1:{_closed_port()}",
                             access_key="test", secret_key="test"))
    try:
        started = time.monotonic()
        with pytest.raises(OSError, match="хранилище записей S3 недоступно"):
            await store.put(WAV, ".wav")
        assert time.monotonic() - started < PUT_SECONDS + 1
        with pytest.raises(OSError, match="head"):
            await store.size("ab/cd/x.wav")
    finally:
        await store.close()


@pytest.mark.slow
@pytest.mark.parametrize("hotline_files", ["unreachable"], indirect=True)
async def test_a_call_while_the_bucket_is_down_still_makes_its_ticket(hotline: Hotline, speech_wav: Path) -> None:
    ticket, channel = await _resident_call(hotline, speech_wav)
    assert ticket.category == "water" and await hotline.journal.tickets.recordings(ticket.id) == []
    assert "запись обращения не сохранена (хранилище записей S3 недоступно)" in (ticket.description or "")
    # The resident heard their ticket number all the same.
    assert f"digits:{ticket.number.split('-')[1].lstrip('0')}" in hotline.sim.played(channel)
