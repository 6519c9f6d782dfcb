"""Capture what a real Asterisk says on the paths the old traces lack, as fixtures for the
stand-in (tests/fixtures/asterisk/traces/*.jsonl, the format of the traces captured before).

    .venv/bin/python -m tests.real_asterisk.capture tests/fixtures/asterisk/traces

Each trace is one small ARI application (the REST calls it makes are recorded with their
answers) driving real SIP phones (baresip) on an Asterisk with the project's configuration:

- ``dispatcher-pjsip-answers``: a resident's call; the app rings dispatcher 102 as
  ``PJSIP/102`` (Dial RINGING, then ANSWER), bridges the two in a proxy-media mixing bridge
  recorded from the start, the resident hangs up, the recording is fetched.
- ``dispatcher-pjsip-unregistered``: ringing ``PJSIP/101`` with no phone registered: 500
  ``{"error": "Allocation failed"}``.
- ``dispatcher-pjsip-busy``: 102 refuses the call (486): Dial BUSY.
- ``dispatcher-pjsip-noanswer``: 103 rings out (originate timeout): Dial NOANSWER.
- ``executor-line``: crew 201 dials 113 (``Stasis(hotline,executor)``), keys 5 and #.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp

from tests.real_asterisk.asterisk import RealAsterisk
from tests.real_asterisk.phones import Baresip


class Tracer:
    """An ARI application of its own that writes every event and REST exchange down."""

    def __init__(self, pbx: RealAsterisk, app: str = "hotline") -> None:
        self.pbx = pbx
        self.app = app
        self.records: list[dict[str, Any]] = []
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.t0 = time.monotonic()
        self.http: aiohttp.ClientSession | None = None
        self._reader: asyncio.Task[None] | None = None

    def _t(self) -> float:
        return round(time.monotonic() - self.t0, 4)

    async def __aenter__(self) -> Tracer:
        auth = aiohttp.encode_basic_auth("hotline", self.pbx.secrets.ari)
        self.http = aiohttp.ClientSession(headers={"Authorization": auth})
        ws = await self.http.ws_connect(f"{self.pbx.ari_url}/ari/events?app={self.app}")
        ready = asyncio.Event()

        async def read() -> None:
            ready.set()
            async for msg in ws:
                event = json.loads(msg.data)
                self.records.append({"t": self._t(), "kind": "ari_event", "data": event})
                self.events.put_nowait(event)

        self._reader = asyncio.create_task(read())
        await ready.wait()
        await asyncio.sleep(0.2)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.sleep(0.5)  # the last events arrive
        if self._reader is not None:
            self._reader.cancel()
        if self.http is not None:
            await self.http.close()

    async def rest(self, method: str, path: str, **params: Any) -> tuple[int, Any]:
        assert self.http is not None
        query = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in params.items()}
        async with self.http.request(method, f"{self.pbx.ari_url}/ari{path}", params=query) as r:
            raw = await r.read()
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = {"bytes": len(raw)}
        self.records.append({"t": self._t(), "kind": "ari_rest", "data": {
            "method": method, "path": path, "params": query, "status": r.status, "body": body}})
        return r.status, body

    async def event(self, accept: Callable[[dict[str, Any]], bool], timeout: float = 20.0) -> dict[str, Any]:
        end = time.monotonic() + timeout
        while True:
            event = await asyncio.wait_for(self.events.get(), max(0.01, end - time.monotonic()))
            if accept(event):
                return event

    def write(self, path: Path) -> None:
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in self.records))


def of(kind: str, **match: Any) -> Callable[[dict[str, Any]], bool]:
    def accept(e: dict[str, Any]) -> bool:
        if e.get("type") != kind:
            return False
        for key, value in match.items():
            node: Any = e
            for part in key.split("__"):
                node = node.get(part) if isinstance(node, dict) else None
            if node != value:
                return False
        return True

    return accept


async def _resident_in(tracer: Tracer, resident: Baresip) -> str:
    await asyncio.to_thread(resident.dial, "112")
    start = await tracer.event(of("StasisStart"))
    cid = start["channel"]["id"]
    await tracer.rest("POST", f"/channels/{cid}/answer")
    return cid


async def answers(tracer: Tracer, phone: Callable[..., Baresip]) -> None:
    phone("102", auto_answer=True)
    resident = phone("300")
    cid = await _resident_in(tracer, resident)
    leg = f"{cid}-leg"
    await tracer.rest("POST", "/channels", endpoint="PJSIP/102", app="hotline", appArgs="dispatcher",
                      callerId="79160000300", timeout=15, channelId=leg)
    await tracer.event(of("StasisStart", channel__id=leg))
    _, bridge = await tracer.rest("POST", "/bridges", type="mixing,proxy_media", name="trace")
    await tracer.rest("POST", f"/bridges/{bridge['id']}/record", name="trace-conversation", format="wav",
                      ifExists="overwrite", terminateOn="none")
    await tracer.rest("POST", f"/bridges/{bridge['id']}/addChannel", channel=cid)
    await tracer.rest("POST", f"/bridges/{bridge['id']}/addChannel", channel=leg)
    await asyncio.sleep(2.0)
    await asyncio.to_thread(resident.hangup)
    await tracer.event(of("StasisEnd", channel__id=cid))
    await tracer.rest("POST", "/recordings/live/trace-conversation/stop")
    await tracer.rest("DELETE", f"/channels/{leg}")
    await tracer.event(of("StasisEnd", channel__id=leg))
    await tracer.rest("DELETE", f"/bridges/{bridge['id']}")
    await asyncio.sleep(0.3)
    await tracer.rest("GET", "/recordings/stored/trace-conversation/file")


async def unregistered(tracer: Tracer, phone: Callable[..., Baresip]) -> None:
    resident = phone("300")
    cid = await _resident_in(tracer, resident)
    await tracer.rest("POST", "/channels", endpoint="PJSIP/101", app="hotline", appArgs="dispatcher",
                      callerId="79160000300", timeout=15, channelId=f"{cid}-leg")
    await tracer.rest("GET", "/endpoints/PJSIP/101")
    await asyncio.to_thread(resident.hangup)
    await tracer.event(of("StasisEnd", channel__id=cid))


async def busy(tracer: Tracer, phone: Callable[..., Baresip]) -> None:
    dispatcher = phone("102")
    resident = phone("300")
    cid = await _resident_in(tracer, resident)
    leg = f"{cid}-leg"
    await tracer.rest("POST", "/channels", endpoint="PJSIP/102", app="hotline", appArgs="dispatcher",
                      callerId="79160000300", timeout=15, channelId=leg)
    await tracer.event(of("Dial", peer__id=leg, dialstatus="RINGING"))
    await asyncio.to_thread(dispatcher.hangup)  # refuses: 486 Busy Here
    await tracer.event(of("ChannelDestroyed", channel__id=leg))
    await asyncio.to_thread(resident.hangup)
    await tracer.event(of("StasisEnd", channel__id=cid))


async def noanswer(tracer: Tracer, phone: Callable[..., Baresip]) -> None:
    phone("103")
    resident = phone("300")
    cid = await _resident_in(tracer, resident)
    leg = f"{cid}-leg"
    await tracer.rest("POST", "/channels", endpoint="PJSIP/103", app="hotline", appArgs="dispatcher",
                      callerId="79160000300", timeout=3, channelId=leg)
    await tracer.event(of("ChannelDestroyed", channel__id=leg), timeout=10)
    await asyncio.to_thread(resident.hangup)
    await tracer.event(of("StasisEnd", channel__id=cid))


async def executor_line(tracer: Tracer, phone: Callable[..., Baresip]) -> None:
    crew = phone("201")
    await asyncio.to_thread(crew.dial, "113")
    start = await tracer.event(of("StasisStart"))
    cid = start["channel"]["id"]
    await tracer.rest("POST", f"/channels/{cid}/answer")
    await tracer.rest("POST", f"/channels/{cid}/play", media="sound:hotline/exec-welcome", lang="ru",
                      playbackId="trace-welcome")
    await asyncio.sleep(1.0)
    await asyncio.to_thread(crew.dtmf, "5#")
    await tracer.event(of("ChannelDtmfReceived", digit="#"))
    await tracer.rest("DELETE", "/playbacks/trace-welcome")
    await tracer.rest("DELETE", f"/channels/{cid}")
    await tracer.event(of("StasisEnd", channel__id=cid))


SCENARIOS: dict[str, Callable[[Tracer, Callable[..., Baresip]], Awaitable[None]]] = {
    "dispatcher-pjsip-answers": answers,
    "dispatcher-pjsip-unregistered": unregistered,
    "dispatcher-pjsip-busy": busy,
    "dispatcher-pjsip-noanswer": noanswer,
    "executor-line": executor_line,
}


async def capture(out: Path, names: list[str]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name in names:
        with tempfile.TemporaryDirectory(prefix=f"trace-{name}-") as tmp:
            pbx = RealAsterisk(Path(tmp) / "asterisk")
            pbx.start()
            started: list[Baresip] = []

            def phone(ext: str, pbx: RealAsterisk = pbx, started: list[Baresip] = started, tmp: str = tmp,
                      **options: Any) -> Baresip:
                p = Baresip(Path(tmp), pbx, ext, **options).start()
                started.append(p)
                return p

            try:
                async with Tracer(pbx) as tracer:
                    await SCENARIOS[name](tracer, phone)
                tracer.write(out / f"{name}.jsonl")
                print(f"{name}: {len(tracer.records)} records")
            finally:
                for p in started:
                    p.stop()
                pbx.stop()


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/asterisk/traces")
    asyncio.run(capture(target, sys.argv[2:] or list(SCENARIOS)))
