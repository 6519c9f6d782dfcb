"""Making a prompt as Asterisk plays it without transcoding on a narrowband line (8 kHz,
16-bit signed, mono WAV): from Russian text (espeak-ng, then sox), or from a recording in
another format (sox). Shared by scripts/make_prompts.py and the administrator's voice page."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from collections.abc import Mapping
from pathlib import Path

RATE, WIDTH, CHANNELS = 8000, 2, 1
DEFAULT_VOICE: Mapping[str, object] = {"name": "ru", "speed": 155, "pitch": 45, "gap_seconds": 0.25}


class PromptError(Exception):
    """A prompt could not be made (the message is for the administrator, in Russian)."""


def _need(*tools: str) -> None:
    for tool in tools:
        if shutil.which(tool) is None:
            raise PromptError(f"На сервере нет программы {tool} (apt-get install espeak-ng sox)")


def _sox(source: Path, target: Path, *effects: str) -> None:
    result = subprocess.run(
        ["sox", "-D", str(source), "-r", str(RATE), "-c", str(CHANNELS), "-b", str(WIDTH * 8),
         "-e", "signed-integer", str(target), *effects],
        capture_output=True, text=True, timeout=60,
    )
    if result.returncode != 0:
        raise PromptError("Файл не удалось преобразовать: это не звуковой файл, который понимает sox")


def synthesize(text: str, target: Path, voice: Mapping[str, object] = DEFAULT_VOICE) -> Path:
    _need("espeak-ng", "sox")
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        subprocess.run(["espeak-ng", "-v", str(voice.get("name", "ru")), "-s", str(voice.get("speed", 155)),
                        "-p", str(voice.get("pitch", 50)), "-w", str(raw), text], check=True, timeout=60)
        # Trim the silence around the words, normalise the level, keep a short gap after them.
        _sox(raw, target, "silence", "1", "0.02", "0.5%", "reverse", "silence", "1", "0.02", "0.5%", "reverse",
             "gain", "-n", "-3", "pad", "0.05", str(voice.get("gap_seconds", 0.25)))
    return target


def is_narrowband(path: Path) -> bool:
    """Already 8 kHz, 16-bit, mono PCM WAV with sound in it."""
    try:
        with wave.open(str(path)) as w:
            return (w.getframerate(), w.getsampwidth(), w.getnchannels()) == (RATE, WIDTH, CHANNELS) \
                and w.getnframes() > 0
    except (wave.Error, EOFError, OSError):
        return False


def install_recording(source: Path, target: Path) -> bool:
    """An uploaded recording as a prompt: copied when it is already 8 kHz mono WAV, converted
    by sox otherwise. True when it was converted."""
    if is_narrowband(source):
        shutil.copyfile(source, target)
        return False
    _need("sox")
    _sox(source, target)
    if not is_narrowband(target):
        raise PromptError("После преобразования файл пуст")
    return True


def duration(path: Path) -> float:
    with wave.open(str(path)) as w:
        frames: int = w.getnframes()
        rate: int = w.getframerate()
        return frames / rate


__all__ = ["PromptError", "duration", "install_recording", "is_narrowband", "synthesize"]
