"""Offline speech recognition of callers' recordings (Vosk), in-process or via vosk-server."""

from .base import Transcriber
from .engine import VoskEngine
from .errors import AsrError, AsrServerError, BadAudio, ModelLoadError, ModelMissing
from .factory import AsrConfig, make_transcriber, model_path
from .grammar import Choice, Phrases, grammar_phrases, match_choice
from .local import LocalTranscriber
from .remote import ServerTranscriber
from .transcript import Transcript, Word

__all__ = [
    "AsrConfig",
    "AsrError",
    "AsrServerError",
    "BadAudio",
    "Choice",
    "LocalTranscriber",
    "ModelLoadError",
    "ModelMissing",
    "Phrases",
    "ServerTranscriber",
    "Transcriber",
    "Transcript",
    "VoskEngine",
    "Word",
    "grammar_phrases",
    "make_transcriber",
    "match_choice",
    "model_path",
]
