"""A channel's media queue: playbacks and recordings run one after another, as in Asterisk."""

from __future__ import annotations

import array
import asyncio
from typing import TYPE_CHECKING

from pbxsim.media import SAMPLE_RATE, Speech, media_seconds
from pbxsim.model import SimChannel, SimPlayback, SimRecording

if TYPE_CHECKING:
    from pbxsim.pbx import Pbx


async def run_ops(pbx: Pbx, channel: SimChannel) -> None:
    while channel.alive:
        op = await channel.ops.get()
        if not channel.alive:
            return
        channel.current = op
        if isinstance(op, SimPlayback):
            await _play(pbx, channel, op)
        elif isinstance(op, SimRecording):
            await _record(pbx, channel, op)
        channel.current = None


async def _wait(event: asyncio.Event, seconds: float) -> bool:
    """True when ``event`` was set before ``seconds`` passed."""
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
        return True
    except TimeoutError:
        return False


async def _play(pbx: Pbx, channel: SimChannel, playback: SimPlayback) -> None:
    if playback.stop.is_set():  # stopped while queued
        pbx.playbacks.pop(playback.id, None)
        return
    playback.state = "playing"
    pbx.hub.ari("PlaybackStarted", channel.apps, playback=playback.to_ari())
    for index, uri in enumerate(playback.media):
        playback.media_index = index
        if index:
            pbx.hub.ari("PlaybackContinuing", channel.apps, playback=playback.to_ari())
        pbx.played.setdefault(channel.id, []).append(uri)
        seconds = media_seconds(uri, pbx.config.sounds, pbx.store)
        if await _wait(playback.stop, pbx.scaled(seconds)):
            break
    if not channel.alive or playback.state != "playing":
        return  # the hang-up already reported it
    playback.state = "done"
    pbx.playbacks.pop(playback.id, None)
    pbx.hub.ari("PlaybackFinished", channel.apps, playback=playback.to_ari())


async def _record(pbx: Pbx, channel: SimChannel, rec: SimRecording) -> None:
    if rec.beep:
        pbx.played.setdefault(channel.id, []).append("sound:beep")
        await pbx.sleep(pbx.config.sounds.get("beep", 0.42))
    loop = asyncio.get_running_loop()
    rec.state = "recording"
    rec.started = loop.time()
    speech = _take_speech(channel, rec.started)
    pbx.hub.ari("RecordingStarted", channel.apps, recording=rec.to_ari())
    if pbx.fail_recordings:
        rec.state = "failed"
        pbx.recordings_live.pop(rec.name, None)
        pbx.hub.ari("RecordingFailed", channel.apps, recording=rec.to_ari(cause="simulated failure"))
        return
    limits = []
    if rec.max_duration > 0:
        limits.append((rec.max_duration, "max_duration"))
    if rec.max_silence > 0:
        limits.append((speech[1] + rec.max_silence, "silence"))
    end, reason = min(limits) if limits else (3600.0, "max_duration")
    if not await _wait(rec.stop, pbx.scaled(end)):
        rec.stop_reason = reason
    if channel.alive and rec.state == "recording":
        finalize_recording(pbx, channel, rec, rec.stop_reason or reason)


def _take_speech(channel: SimChannel, started: float) -> tuple[Speech | None, float]:
    """The caller's speech for this recording and the recording-relative second it ends."""
    queue = channel.pending_speech or []
    speech = queue.pop(0) if queue else None
    if isinstance(speech, Speech):
        channel.speech_for = (speech, started)
        return speech, speech.seconds
    channel.speech_for = None
    return None, 0.0


def finalize_recording(pbx: Pbx, channel: SimChannel, rec: SimRecording, reason: str) -> None:
    """Write the file and send RecordingFinished (also called by the hang-up, before ChannelHangupRequest)."""
    loop = asyncio.get_running_loop()
    elapsed = max(0.0, (loop.time() - rec.started) / max(pbx.config.time_scale, 1e-9))
    if rec.max_duration > 0:
        elapsed = min(elapsed, rec.max_duration)
    held = channel.speech_for
    speech = held[0] if held else None
    talking = min(speech.seconds, elapsed) if speech else 0.0
    samples = array.array("h", speech.samples[: int(talking * SAMPLE_RATE)]) if speech else array.array("h")
    if reason != "silence":
        samples.extend([0] * int(max(0.0, elapsed - talking) * SAMPLE_RATE))
    elif not samples:
        samples.extend([0] * (SAMPLE_RATE // 10))
    pbx.store.write(rec.name, samples)
    rec.state = "done"
    pbx.recordings_live.pop(rec.name, None)
    duration = round(elapsed)
    talk = min(duration, round(talking))
    pbx.hub.ari("RecordingFinished", channel.apps, recording=rec.to_ari(
        duration=duration, talking_duration=talk, silence_duration=duration - talk))
    rec.stop.set()
