from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from cti.settings import AsrSettings
from ivr.asr import LocalTranscriber, ServerTranscriber, make_transcriber, model_path
from ivr.asr.protocol import EOF_MESSAGE, ClientConfig, config_message, parse_text_message


async def test_backend_from_settings() -> None:
    local = make_transcriber(AsrSettings(), root=Path("/srv/hotline"))
    assert isinstance(local, LocalTranscriber)
    assert local.engine.model_dir == Path("/srv/hotline/asr_models/vosk-model-small-ru-0.22")
    assert local.engine.workers == 2
    await local.close()
    remote = make_transcriber(replace(AsrSettings(), backend="server", server_url="ws://asr:2700"))
    assert isinstance(remote, ServerTranscriber) and remote.url == "ws://asr:2700"
    await remote.close()
    assert make_transcriber(replace(AsrSettings(), backend="none")) is None


def test_workers_default_to_cores() -> None:
    import os

    t = make_transcriber(replace(AsrSettings(), workers=0))
    assert isinstance(t, LocalTranscriber) and t.engine.workers == (os.cpu_count() or 1)
    t.engine.close()


def test_model_path() -> None:
    assert model_path("/abs/model") == Path("/abs/model")
    assert model_path("rel", Path("/root")) == Path("/root/rel")


def test_protocol_messages() -> None:
    assert json.loads(config_message(8000, phrase_list=["да", "[unk]"])) == {
        "config": {"sample_rate": 8000, "words": 1, "phrase_list": ["да", "[unk]"]}
    }
    assert parse_text_message(EOF_MESSAGE) is None
    assert parse_text_message('{"eof": 1}') is None
    assert parse_text_message(config_message(8000)) == ClientConfig(8000.0, True, None)
