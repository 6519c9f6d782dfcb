"""UnderstandRecording executed: the recogniser's words turned into the flow's event."""

from __future__ import annotations

from pathlib import Path

from ivr.asr import Transcript
from ivr.asr.base import Phrases
from ivr.flow import Category, RecordingUnderstood
from ivr.hotline.understanding import NOTHING, understand_recording
from ivr.nlu import understand


class SaysText:
    def __init__(self, text: str, fail: bool = False) -> None:
        self.text, self.fail, self.paths = text, fail, []

    async def transcribe(self, path: Path | str) -> Transcript:
        if self.fail:
            raise RuntimeError("recogniser down")
        assert Path(path).read_bytes() == b"RIFF-audio"
        return Transcript(self.text, (), 3.0, "test", "test-model")

    async def recognize_choice(self, path: Path | str, phrases: Phrases) -> tuple[str | None, float]:
        raise AssertionError("not used")

    async def close(self) -> None:
        return None


async def download(name: str) -> bytes:
    assert name == "hotline-1-1"
    return b"RIFF-audio"


async def test_clear_words() -> None:
    event = await understand_recording(download, SaysText("батареи холодные во всей квартире"), "hotline-1-1")
    assert event == RecordingUnderstood("heating", Category.HEATING, confident=True, emergency=False, possibly_emergency=False)


async def test_an_emergency_and_its_menu_category() -> None:
    event = await understand_recording(download, SaysText("из люка во дворе хлещет канализация"), "hotline-1-1")
    assert (event.topic, event.category, event.emergency) == ("sewer", Category.WATER_SEWER, True)


async def test_gas_has_no_menu_category() -> None:
    event = await understand_recording(download, SaysText("сильно пахнет газом"), "hotline-1-1")
    assert (event.topic, event.category, event.emergency) == ("gas", None, True)


async def test_a_failing_recogniser_or_silence_is_nothing_understood() -> None:
    assert await understand_recording(download, SaysText("", fail=True), "hotline-1-1") == NOTHING
    assert await understand_recording(download, SaysText(""), "hotline-1-1") == NOTHING

    def broken(text: str) -> None:
        raise ValueError("broken model")

    assert await understand_recording(download, SaysText("кран течёт"), "hotline-1-1", broken) == NOTHING  # type: ignore[arg-type]
    assert understand("кран течёт").category == "water"
