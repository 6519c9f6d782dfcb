"""Choosing the backend from settings (the composition root passes cti's AsrSettings)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from .base import Transcriber
from .engine import VoskEngine
from .local import LocalTranscriber
from .remote import ServerTranscriber

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class AsrConfig(Protocol):
    """The fields of ``cti.settings.AsrSettings`` we read (ivr may not import cti)."""

    backend: str  # local | server | none
    model_dir: str
    server_url: str
    workers: int
    max_attempts: int
    # Decoder search (0: the model's own conf/model.conf value); narrower is faster, less exact.
    max_active: int
    beam: float
    lattice_beam: float


def model_path(model_dir: str, root: Path = PROJECT_ROOT) -> Path:
    path = Path(model_dir).expanduser()
    return path if path.is_absolute() else root / path


def make_transcriber(config: AsrConfig, *, root: Path = PROJECT_ROOT) -> Transcriber | None:
    """The configured transcriber, or None when recognition is switched off."""
    if config.backend == "none":
        return None
    if config.backend == "server":
        return ServerTranscriber(
            config.server_url,
            workers=config.workers if config.workers > 0 else 2,
            max_attempts=config.max_attempts,
            model_name=Path(config.model_dir).name,
        )
    if config.backend == "local":
        decoder = {"max-active": config.max_active, "beam": config.beam, "lattice-beam": config.lattice_beam}
        return LocalTranscriber(VoskEngine(model_path(config.model_dir, root), config.workers, decoder=decoder))
    raise ValueError(f"unknown asr backend {config.backend!r}")
