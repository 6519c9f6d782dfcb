"""Loading a Vosk model: once per process, whatever the number of transcribers.

A small model takes ~0.5 GB and seconds to load; every recogniser borrows the shared one.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path

import structlog
import vosk  # type: ignore[import-untyped]

from .errors import ModelLoadError, ModelMissing

log = structlog.get_logger(__name__)

_lock = threading.Lock()
_models: dict[tuple[Path, tuple[tuple[str, float | int], ...]], vosk.Model] = {}

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


def decoder_overlay(path: Path, options: Mapping[str, float | int]) -> Path:
    """A directory that is the model at ``path`` with some decoder options of its
    conf/model.conf changed (``{"max-active": 1000, "beam": 8.0}``): every other file is a
    symlink to the model's own, so the model stays as downloaded. Vosk reads decoder options only
    from that file; a narrower search (lower max-active and beam) decodes faster, at some cost in
    accuracy (bench/asr_bench.py --decoder)."""
    overlay = Path(tempfile.mkdtemp(prefix=f"{path.name}-"))
    for item in path.iterdir():
        if item.name != "conf":
            (overlay / item.name).symlink_to(item)
    (overlay / "conf").mkdir()
    for item in (path / "conf").iterdir():
        if item.name != "model.conf":
            (overlay / "conf" / item.name).symlink_to(item)
    left = dict(options)
    lines = []
    for line in (path / "conf" / "model.conf").read_text(encoding="utf-8").splitlines():
        key = line.strip().split("=", 1)[0].lstrip("-")
        lines.append(f"--{key}={left.pop(key)}" if key in left else line)
    lines += [f"--{key}={value}" for key, value in left.items()]
    (overlay / "conf" / "model.conf").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return overlay


def load_model(model_dir: Path, decoder: Mapping[str, float | int] | None = None) -> vosk.Model:
    """The process-wide Model for this directory (and decoder options), loaded on first use
    (blocking: call off the loop)."""
    path = check_model_dir(model_dir)
    options = {k: v for k, v in (decoder or {}).items() if v}
    key = (path, tuple(sorted(options.items())))
    with _lock:
        model = _models.get(key)
        if model is None:
            vosk.SetLogLevel(-1)  # Kaldi's LOG lines are noise; warnings still reach stderr
            started = time.perf_counter()
            if options and not (path / "conf" / "model.conf").is_file():
                raise ModelLoadError(f"decoder options {options} need {path}/conf/model.conf, which is missing")
            source = decoder_overlay(path, options) if options else path
            try:
                model = vosk.Model(str(source))
            except Exception as exc:  # vosk raises a bare Exception
                raise ModelLoadError(f"Vosk could not load the model in {path}: {exc}") from exc
            finally:
                if source != path:
                    shutil.rmtree(source, ignore_errors=True)  # read in full by now
            _models[key] = model
            log.info("asr.model_loaded", model_dir=str(path), decoder=options or "model's own",
                     seconds=round(time.perf_counter() - started, 2))
        return model


def has_word(model: vosk.Model, word: str) -> bool:
    return int(model.vosk_model_find_word(word)) >= 0
