"""The hotline's voice prompts: WAV files (8 kHz, 16-bit, mono) generated from
config/prompts.toml by scripts/make_prompts.py. Asterisk gets this directory as
``sounds/ru/hotline`` and the flow plays them as ``sound:hotline/<name>``."""

from pathlib import Path

PROMPTS_DIR = Path(__file__).resolve().parent
