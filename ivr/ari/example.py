"""A minimal call flow used by tests and the benchmark: answer, greet, take a key, record, hang up."""

from __future__ import annotations

import structlog

from ivr.ari.session import CallSession

log = structlog.get_logger(__name__)


async def example_handler(call: CallSession) -> None:
    if call.args and call.args[0] == "dispatcher":
        return  # a leg another call originated; its owner drives it
    await call.answer()
    await call.play("sound:hello-world", wait=True, timeout=30)
    try:
        digit = await call.wait_dtmf(timeout=10)
    except TimeoutError:
        digit = ""
    log.info("example.caller_pressed", digit=digit)
    await call.play("sound:beep", wait=True, timeout=10)
    recording = await call.record(f"call-{call.channel_id}", max_duration=30, max_silence=3, timeout=60)
    log.info("example.recording_done", name=recording.name, duration=recording.duration)
    await call.hangup()
