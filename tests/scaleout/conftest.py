"""Real recogniser fixtures for the worker processes."""

from tests.speech_fixtures import ko_model_dir, speech

__all__ = ["ko_model_dir", "speech"]
