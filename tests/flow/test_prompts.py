"""Every prompt the flow can play is named in config/prompts.toml and shipped as a wav
Asterisk can play without transcoding (8 kHz, 16-bit, mono)."""

from __future__ import annotations

import re
import tomllib
import wave
from datetime import UTC, datetime, time
from pathlib import Path

import pytest

from ivr.flow import Category, FlowConfig, TicketStatus
from ivr.flow.greeting import GreetingPlan
from ivr.prompts import PROMPTS_DIR
from tests.flow.test_invariants import collect_media

ROOT = Path(__file__).resolve().parents[2]
TABLE = tomllib.loads((ROOT / "config" / "prompts.toml").read_text(encoding="utf-8"))["prompts"]


def referenced_prompts() -> set[str]:
    names: set[str] = set()
    # Literal prompt("name") calls in the flow's source...
    for source in [*(ROOT / "ivr" / "flow").glob("*.py"), *(ROOT / "ivr" / "hotline").glob("*.py")]:
        names |= set(re.findall(r'prompt\("([a-z0-9_-]+)"\)', source.read_text(encoding="utf-8")))
    # ...and the families built from values.
    names |= {f"category-{c.value}" for c in Category}
    names |= {f"status-{s.value}" for s in TicketStatus}
    from ivr.nlu import CATEGORIES

    names |= {f"confirm-{c}" for c in CATEGORIES if c != "other"}
    from ivr.hotline.executor_line import SPOKEN_STATUS

    names |= {f"status-{s}" for s in SPOKEN_STATUS.values()}
    names |= {f"date-{d}" for d in range(1, 32)}
    # ...the greeting with every optional note on (an announcement, a call out of office hours)...
    names |= set(GreetingPlan(announcement=True, office_hours=(time(0, 0), time(0, 1)),
                              clock=lambda: datetime(2026, 12, 1, 12, tzinfo=UTC)).prompts())
    names |= {f"{unit}-{form}" for unit in ("hour", "day") for form in ("one", "few", "many")}
    # ...and whatever random walks through the flow actually played.
    names |= {m.removeprefix("sound:hotline/") for m in collect_media() if m.startswith("sound:hotline/")}
    # ...the clock time of an outage's restoration, and the keys offering outages...
    names |= {f"at-hour-{form}" for form in ("one", "few", "many")}
    names |= {f"press-{key}" for key in FlowConfig().outage_offer_keys}
    # ...but not an outage's own prompts (outage-<id>-text/-offer), made when it is declared.
    return {n for n in names if not re.fullmatch(r"outage-\d+-(text|offer)", n)}


def test_every_referenced_prompt_is_in_the_table() -> None:
    missing = referenced_prompts() - TABLE.keys()
    assert not missing


def test_no_unused_prompts_in_the_table() -> None:
    assert not TABLE.keys() - referenced_prompts()


@pytest.mark.parametrize("name", sorted(TABLE))
def test_prompt_wav_is_narrowband_pcm(name: str) -> None:
    with wave.open(str(PROMPTS_DIR / f"{name}.wav")) as w:
        assert (w.getframerate(), w.getsampwidth(), w.getnchannels()) == (8000, 2, 1)
        seconds = w.getnframes() / w.getframerate()
    assert 0.3 < seconds < 30


def test_no_stray_wav_files() -> None:
    assert {p.stem for p in PROMPTS_DIR.glob("*.wav")} == TABLE.keys()


def test_other_media_are_asterisk_core_sounds() -> None:
    other = {m for m in collect_media() if not m.startswith("sound:hotline/")}
    for media in other:
        assert re.fullmatch(r"sound:beep|sound:digits/mon-(\d|1[01])|digits:\d+|number:\d{1,2}", media), media
