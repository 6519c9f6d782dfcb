"""Reading telephone recordings: 16-bit PCM mono wav, any sample rate (8 kHz from Asterisk).

The audio goes to Vosk at its own rate: the recogniser resamples it to the model's rate itself.
"""

from __future__ import annotations

import struct
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import BadAudio

CHUNK_SECONDS = 1.0  # the same chunking locally and over the websocket, so both decode alike; each
# websocket chunk costs a round trip and a partial result, so recordings go in one-second chunks


@dataclass(frozen=True, slots=True)
class WavInfo:
    sample_rate: int
    frames: int

    @property
    def duration(self) -> float:
        return self.frames / self.sample_rate if self.sample_rate else 0.0

    @property
    def chunk_frames(self) -> int:
        return max(1, int(self.sample_rate * CHUNK_SECONDS))


def _open(path: Path) -> wave.Wave_read:
    try:
        return wave.open(str(path), "rb")
    except FileNotFoundError:
        raise BadAudio(path, "file does not exist") from None
    except (wave.Error, EOFError, struct.error) as exc:
        raise BadAudio(path, f"not a 16-bit PCM wav file ({exc or 'truncated header'})") from exc


def _check(path: Path, wf: wave.Wave_read) -> WavInfo:
    if wf.getcomptype() != "NONE":
        raise BadAudio(path, f"compressed wav ({wf.getcompname()}); need 16-bit PCM")
    if wf.getsampwidth() != 2:
        raise BadAudio(path, f"{8 * wf.getsampwidth()}-bit samples; need 16-bit PCM")
    if wf.getnchannels() != 1:
        raise BadAudio(path, f"{wf.getnchannels()} channels; need mono")
    if wf.getframerate() < 8000:
        raise BadAudio(path, f"sample rate {wf.getframerate()} Hz; need at least 8000")
    return WavInfo(sample_rate=wf.getframerate(), frames=wf.getnframes())


def probe_wav(path: Path) -> WavInfo:
    """Check the format without reading the samples."""
    with _open(path) as wf:
        return _check(path, wf)


def read_chunks(path: Path) -> tuple[WavInfo, Iterator[bytes]]:
    """Validate the file and return its format and an iterator of PCM chunks (blocking I/O)."""
    wf = _open(path)
    try:
        info = _check(path, wf)
    except BadAudio:
        wf.close()
        raise

    def chunks() -> Iterator[bytes]:
        with wf:
            while data := wf.readframes(info.chunk_frames):
                yield data

    return info, chunks()
