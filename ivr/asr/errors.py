"""Errors of the recogniser. They carry no transport detail: callers map them."""

from __future__ import annotations

from pathlib import Path


class AsrError(Exception):
    """Base of every recognition failure."""


class ModelMissing(AsrError):
    """The model directory is absent or does not hold a Vosk model."""

    def __init__(self, model_dir: Path, detail: str = "") -> None:
        self.model_dir = model_dir
        why = f" ({detail})" if detail else ""
        super().__init__(
            f"Vosk model not found in {model_dir}{why}. Get it with "
            f"`python asr_models/fetch_model.py` (downloads vosk-model-small-ru-0.22 into asr_models/), "
            f"or point asr.model_dir / HOTLINE_ASR_MODEL_DIR at an unpacked Vosk model directory."
        )


class ModelLoadError(AsrError):
    """The directory looks like a model but Vosk could not load it (corrupt or wrong version)."""


class BadAudio(AsrError):
    """The recording is not a readable 16-bit PCM mono wav file."""

    def __init__(self, path: Path, detail: str) -> None:
        self.path = path
        super().__init__(f"cannot transcribe {path}: {detail}")


class AsrServerError(AsrError):
    """The vosk-server could not be reached or broke the protocol."""
