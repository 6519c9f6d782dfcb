from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from ivr.asr import AsrServerError, LocalTranscriber, ServerTranscriber, VoskEngine
from ivr.asr.protocol import EOF_MESSAGE
from ivr.asr.server import make_app


@pytest.fixture
async def server(loaded_model: Path) -> TestServer:
    srv = TestServer(make_app(VoskEngine(loaded_model, workers=2)), host="127.0.0.1")
    await srv.start_server()
    yield srv
    await srv.close()


def _url(srv: TestServer) -> str:
    return f"ws://127.0.0.1:{srv.port}/"


async def test_server_gives_the_same_text_as_local(server: TestServer, loaded_model: Path, speech: dict[str, Path]) -> None:
    local = LocalTranscriber(VoskEngine(loaded_model, workers=1))
    remote = ServerTranscriber(_url(server), model_name=loaded_model.name)
    try:
        here, there = await local.transcribe(speech["long"]), await remote.transcribe(speech["long"])
        assert there.engine == "vosk-server"
        assert there.text == here.text != ""
        assert [w.word for w in there.words] == [w.word for w in here.words]
        assert there.duration == pytest.approx(here.duration)
        menu = {"yes": ["네"], "no": ["아니요"]}
        assert (await remote.recognize_choice(speech["no"], menu))[0] == "no"
    finally:
        await local.close()
        await remote.close()


async def test_protocol_by_hand(server: TestServer, speech: dict[str, Path]) -> None:
    pcm = speech["yes"].read_bytes()[44:]
    async with aiohttp.ClientSession() as session, session.ws_connect(_url(server)) as ws:
        await ws.send_str('{"config": {"sample_rate": 8000, "words": 1}}')
        await ws.send_bytes(pcm)
        assert set(await ws.receive_json()) & {"partial", "text"}
        await ws.send_str(EOF_MESSAGE)
        final = await ws.receive_json()
        assert "text" in final
        assert (await ws.receive()).type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)


async def test_server_rejects_garbage(server: TestServer) -> None:
    async with aiohttp.ClientSession() as session, session.ws_connect(_url(server)) as ws:
        await ws.send_str("hello")
        msg = await ws.receive()
        assert msg.type == aiohttp.WSMsgType.CLOSE and ws.close_code == aiohttp.WSCloseCode.UNSUPPORTED_DATA


async def test_unreachable_server_is_an_asr_error(speech: dict[str, Path]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    remote = ServerTranscriber(f"ws://127.0.0.1:{port}/", max_attempts=2)
    with pytest.raises(AsrServerError):
        await remote.transcribe(speech["yes"])
    await remote.close()


async def test_runs_as_a_program(ko_model_dir: Path, speech: dict[str, Path]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "ivr.asr.server", "--model", str(ko_model_dir), "--port", str(port), "--workers", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    remote = ServerTranscriber(f"ws://127.0.0.1:{port}/", max_attempts=1)
    try:
        for _ in range(300):  # the model loads before the port opens
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                await writer.wait_closed()
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
                await asyncio.sleep(0.1)
        t = await remote.transcribe(speech["water"])
        assert t.engine == "vosk-server" and t.duration > 0
    finally:
        await remote.close()
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stderr:
            proc.stderr.close()


def test_missing_model_stops_the_program(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "ivr.asr.server", "--model", str(tmp_path / "none"), "--port", "0"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "ModelMissing" in done.stderr and "fetch_model.py" in done.stderr
