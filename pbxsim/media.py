"""Media of the stand-in: how long a prompt plays, and recordings as 8 kHz 16-bit mono wav."""

from __future__ import annotations

import array
import io
import re
import wave
from dataclasses import dataclass
from pathlib import Path

SAMPLE_RATE = 8000
_NAME_OK = re.compile(r"^[A-Za-z0-9_.\-]+$")

# Seconds of real audio (measured on the reference Asterisk for the two that appear in traces).
DEFAULT_SOUNDS = {"hello-world": 1.0, "beep": 0.42, "silence/1": 1.0}


@dataclass(frozen=True)
class Speech:
    """What a caller says: 8 kHz mono 16-bit samples."""

    samples: array.array  # type: ignore[type-arg]

    @property
    def seconds(self) -> float:
        return len(self.samples) / SAMPLE_RATE

    @classmethod
    def from_wav(cls, path: str | Path) -> Speech:
        with wave.open(str(path), "rb") as w:
            if w.getsampwidth() != 2:
                raise ValueError(f"{path}: only 16-bit PCM wav is supported")
            channels, rate = w.getnchannels(), w.getframerate()
            raw = array.array("h", w.readframes(w.getnframes()))
        if channels > 1:
            raw = array.array("h", raw[::channels])
        if rate != SAMPLE_RATE:
            step = rate / SAMPLE_RATE
            raw = array.array("h", (raw[int(i * step)] for i in range(int(len(raw) / step))))
        return cls(raw)


def sounds_from_dir(directory: Path, prefix: str) -> dict[str, float]:
    """Lengths of the wav prompts in a directory, keyed as Asterisk names them ('prefix/name'),
    so the stand-in plays a product's own prompts as long as Asterisk would."""
    sounds = {}
    for path in directory.glob("*.wav"):
        with wave.open(str(path)) as w:
            sounds[f"{prefix}/{path.stem}"] = w.getnframes() / w.getframerate()
    return sounds


def media_seconds(uri: str, sounds: dict[str, float], recordings: RecordingStore) -> float:
    kind, _, value = uri.partition(":")
    if kind == "sound":
        return sounds.get(value, 1.5)
    if kind == "digits":
        return 0.5 * len(value)
    if kind == "number":
        return 0.6 * max(1, len(value.lstrip("-")))
    if kind == "recording":
        return recordings.seconds(value)
    if kind == "tone":
        return 1.0
    return 1.0


class RecordingStore:
    """recordings/<name>.wav like Asterisk's /var/spool/asterisk/recording."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def path(self, name: str, fmt: str = "wav") -> Path | None:
        if not _NAME_OK.match(name):
            return None
        return self.directory / f"{name}.{fmt}"

    def exists(self, name: str) -> bool:
        path = self.path(name)
        return path is not None and path.exists()

    def write(self, name: str, samples: array.array) -> Path:  # type: ignore[type-arg]
        path = self.path(name)
        if path is None:
            raise ValueError(f"bad recording name {name!r}")
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(SAMPLE_RATE)
            w.writeframes(samples.tobytes())
        tmp = path.with_suffix(".part")
        tmp.write_bytes(buffer.getvalue())
        tmp.replace(path)
        return path

    def read(self, name: str) -> bytes | None:
        path = self.path(name)
        return path.read_bytes() if path is not None and path.exists() else None

    def delete(self, name: str) -> bool:
        path = self.path(name)
        if path is None or not path.exists():
            return False
        path.unlink()
        return True

    def names(self) -> list[str]:
        return sorted(p.stem for p in self.directory.glob("*.wav"))

    def seconds(self, name: str) -> float:
        path = self.path(name)
        if path is None or not path.exists():
            return 0.0
        return max(0, path.stat().st_size - 44) / (2 * SAMPLE_RATE)
