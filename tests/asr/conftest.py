"""Real recogniser fixtures (shared with the end-to-end call tests)."""

from tests.speech_fixtures import PHRASES, ko_model_dir, loaded_model, speech

__all__ = ["PHRASES", "ko_model_dir", "loaded_model", "speech"]
