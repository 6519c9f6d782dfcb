"""Loading a Vosk model: once per process, whatever the number of transcribers.

A small model takes ~0.5 GB and seconds to load; every recogniser borrows the shared one.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import structlog
import vosk  # type: ignore[import-untyped]

from .errors import ModelLoadError, ModelMissing

log = structlog.get_logger(__name__)

_lock = threading.Lock()
_models: dict[Path, vosk.Model] = {}

# Layouts Vosk understands: current models keep the acoustic model in am/, old ones at the top.
_ACOUSTIC_MODEL = ("am/final.mdl", "final.mdl")


def check_model_dir(model_dir: Path) -> Path:
    """The resolved directory, or ModelMissing naming it and how to get a model."""
    path = model_dir.expanduser().resolve()
    if not path.is_dir():
        raise ModelMissing(path, "no such directory")
    if not any((path / name).is_file() for name in _ACOUSTIC_MODEL):
        raise ModelMissing(path, "no am/final.mdl in it")
    return path


def load_model(model_dir: Path) -> vosk.Model:
    """The process-wide Model for this directory, loaded on first use (blocking: call off the loop)."""
    path = check_model_dir(model_dir)
    with _lock:
        model = _models.get(path)
        if model is None:
            vosk.SetLogLevel(-1)  # Kaldi's LOG lines are noise; warnings still reach stderr
            started = time.perf_counter()
            try:
                model = vosk.Model(str(path))
            except Exception as exc:  # vosk raises a bare Exception
                raise ModelLoadError(f"Vosk could not load the model in {path}: {exc}") from exc
            _models[path] = model
            log.info("asr.model_loaded", model_dir=str(path), seconds=round(time.perf_counter() - started, 2))
        return model


def has_word(model: vosk.Model, word: str) -> bool:
    return int(model.vosk_model_find_word(word)) >= 0
