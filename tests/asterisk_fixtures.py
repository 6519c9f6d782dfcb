"""What a real Asterisk said (tests/fixtures/asterisk), and the stand-in started for a test."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from pbxsim import PbxSim, SimConfig
from tests.fixture_files import ARI_SPEC_DIR as SPEC_DIR
from tests.fixture_files import SPEECH_WAV, TRACES

__all__ = ["SPEC_DIR", "SPEECH_WAV", "TRACES", "load_trace", "sim"]


def load_trace(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (TRACES / name).read_text().splitlines() if line.strip()]


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[PbxSim]:
    async with PbxSim(SimConfig(recordings_dir=tmp_path / "recordings", time_scale=0.05)) as running:
        yield running
