"""Client of a vosk-server (alphacep's or ours) over an aiohttp websocket."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import structlog

from .audio import WavInfo, read_chunks
from .errors import AsrServerError
from .grammar import Phrases, grammar_phrases, match_choice
from .protocol import EOF_MESSAGE, ProtocolError, config_message, is_result, parse_reply
from .transcript import ResultCollector, Transcript

log = structlog.get_logger(__name__)


def _read_all(path: Path) -> tuple[WavInfo, list[bytes]]:
    info, chunks = read_chunks(path)
    return info, list(chunks)


class ServerTranscriber:
    def __init__(
        self,
        url: str,
        *,
        workers: int = 2,
        max_attempts: int = 3,
        model_name: str = "vosk-server",
        reply_timeout: float = 30.0,
    ) -> None:
        self.url = url
        self.model_name = model_name
        self.max_attempts = max(1, max_attempts)
        self.reply_timeout = reply_timeout
        self._slots = asyncio.Semaphore(max(1, workers))  # the server's threads are the real bound
        self._session: aiohttp.ClientSession | None = None

    async def transcribe(self, path: Path | str) -> Transcript:
        return await self._run(Path(path), None)

    async def recognize_choice(self, path: Path | str, phrases: Phrases) -> tuple[str | None, float]:
        # The server's vocabulary is unknown here: send every phrase; Vosk drops unknown words.
        transcript = await self._run(Path(path), grammar_phrases(phrases))
        choice = match_choice(transcript, phrases)
        log.info("asr.choice", path=str(path), text=transcript.text, key=choice.key, confidence=choice.confidence)
        return choice.key, choice.confidence

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _run(self, path: Path, phrase_list: list[str] | None) -> Transcript:
        info, chunks = await asyncio.to_thread(_read_all, path)
        async with self._slots:
            for attempt in range(1, self.max_attempts + 1):
                try:
                    return await self._once(info, chunks, phrase_list)
                except (TimeoutError, aiohttp.ClientError, ConnectionError) as exc:
                    log.warning("asr.server_attempt_failed", url=self.url, attempt=attempt, error=repr(exc))
                    if attempt == self.max_attempts:
                        raise AsrServerError(f"vosk-server {self.url}: {exc!r}") from exc
                    await asyncio.sleep(0.2 * attempt)
        raise AssertionError("unreachable")

    async def _once(self, info: WavInfo, chunks: list[bytes], phrase_list: list[str] | None) -> Transcript:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        collector = ResultCollector()
        async with self._session.ws_connect(self.url, heartbeat=30.0) as ws:
            await ws.send_str(config_message(info.sample_rate, words=True, phrase_list=phrase_list))
            # vosk-server answers every message: wait for each reply so we never run ahead of it.
            for chunk in chunks:
                await ws.send_bytes(chunk)
                reply = await self._receive(ws)
                if is_result(reply):
                    collector.add(reply)
            await ws.send_str(EOF_MESSAGE)
            collector.add(await self._receive(ws))
        return collector.build(duration=info.duration, engine="vosk-server", model=self.model_name)

    async def _receive(self, ws: aiohttp.ClientWebSocketResponse) -> dict[str, object]:
        msg = await ws.receive(timeout=self.reply_timeout)
        if msg.type == aiohttp.WSMsgType.TEXT:
            try:
                return parse_reply(msg.data)
            except ProtocolError as exc:
                raise AsrServerError(f"vosk-server {self.url}: {exc}") from exc
        if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
            raise ConnectionError(f"server closed the connection ({ws.close_code}: {msg.extra})")
        raise ConnectionError(f"unexpected websocket message {msg.type!r}")
