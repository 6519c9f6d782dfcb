"""What a simulated caller says, as the 8 kHz 16-bit mono wav the stand-in plays into a
recording: Russian text spoken by espeak-ng, or someone's audio file converted.

Both run external programs (espeak-ng, sox, ffmpeg when installed), blocking: callers run
them off the event loop with :func:`run_limited`. Used by the console's test calls and training
(cti.training) and by the stand-in's ``hotline call --text`` (pbxsim.cli), which must not import cti.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
import wave
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import structlog

log = structlog.get_logger(__name__)

RATE = 8000
MAX_TEXT = 1000
T = TypeVar("T")
# Speech synthesis and decoding are CPU-bound: two at a time, whatever the event loop.
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="voice")


class VoiceError(Exception):
    """The audio could not be made; the message is for the user (Russian)."""


async def run_limited(fn: Callable[[], T]) -> T:
    return await asyncio.get_running_loop().run_in_executor(_POOL, fn)


def _run(argv: list[str], what: str) -> None:
    try:
        done = subprocess.run(argv, capture_output=True, timeout=60, check=False)
    except FileNotFoundError as exc:
        raise VoiceError(f"Не установлена программа {argv[0]} ({what})") from exc
    except subprocess.TimeoutExpired as exc:
        raise VoiceError(f"{argv[0]} не ответил за 60 с ({what})") from exc
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").strip().splitlines()
        log.warning("voice.tool_failed", tool=argv[0], code=done.returncode, stderr=err[-3:])
        raise VoiceError(f"{argv[0]}: {err[-1] if err else 'ошибка ' + str(done.returncode)}")


def speak(text: str, out: Path) -> Path:
    """Russian ``text`` spoken by espeak-ng into ``out`` (8 kHz 16-bit mono wav)."""
    text = " ".join(text.split())
    if not text:
        raise VoiceError("Текст пуст")
    if len(text) > MAX_TEXT:
        raise VoiceError(f"Текст длиннее {MAX_TEXT} знаков")
    if shutil.which("espeak-ng") is None:
        raise VoiceError("Не установлен espeak-ng (apt-get install espeak-ng): текст нельзя озвучить")
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "espeak.wav"
        # The text goes as an argument list (no shell), after "--" so a leading dash is text.
        _run(["espeak-ng", "-v", "ru", "-s", "150", "-w", str(raw), "--", text], "синтез речи")
        return to_phone_wav(raw, out)


def to_phone_wav(src: Path, out: Path) -> Path:
    """Any audio sox (or ffmpeg, when installed) can read -> 8 kHz 16-bit mono wav."""
    out.parent.mkdir(parents=True, exist_ok=True)
    head = src.read_bytes()[:64]
    if _is_phone_wav(src):
        shutil.copyfile(src, out)
        return out
    container = _container(head)
    ffmpeg = shutil.which("ffmpeg")
    if container in {"webm", "mp4"} or (container == "ogg" and b"OpusHead" in src.read_bytes()[:200]):
        # Browsers record Opus in WebM/Ogg; sox has no Opus decoder, ffmpeg has.
        if ffmpeg is None:
            raise VoiceError(f"Браузер записал звук в формате {container}/opus, а на сервере нет декодера "
                             "(установите ffmpeg: apt-get install ffmpeg) — загрузите файл WAV, OGG Vorbis или FLAC")
        _run([ffmpeg, "-nostdin", "-loglevel", "error", "-y", "-i", str(src), "-ac", "1", "-ar", str(RATE),
              "-sample_fmt", "s16", str(out)], "перекодирование записи")
        return out
    if shutil.which("sox") is None:
        raise VoiceError("Не установлен sox (apt-get install sox): звук нельзя преобразовать")
    _run(["sox", str(src), "-r", str(RATE), "-c", "1", "-b", "16", "-e", "signed-integer", str(out)],
         "преобразование звука")
    return out


def _is_phone_wav(path: Path) -> bool:
    try:
        with wave.open(str(path), "rb") as w:
            return (w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getcomptype()) == (RATE, 1, 2, "NONE")
    except (wave.Error, EOFError):
        return False


def _container(head: bytes) -> str:
    if head.startswith(b"\x1aE\xdf\xa3"):
        return "webm"
    if head.startswith(b"OggS"):
        return "ogg"
    if head[4:8] == b"ftyp":
        return "mp4"
    if head.startswith(b"RIFF"):
        return "wav"
    return "unknown"


def seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()
