"""AMI/ARI credentials never reach the logs: a connect, a drop and a reconnect of both links,
with every structlog event and stdlib record captured and searched for the password."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
import structlog

from ivr.ami import AmiClient
from ivr.ari import AriService
from pbxsim import PbxSim, SimConfig

SECRET = "s3cr3t-Pa55-for-log-test"


async def _noop(call: object) -> None:
    return None


async def test_connect_and_reconnect_never_log_the_passwords(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    config = SimConfig(recordings_dir=tmp_path, time_scale=0.05, ari_password=SECRET, ami_password=SECRET)
    with structlog.testing.capture_logs() as events:
        async with PbxSim(config) as sim:
            ari = AriService(sim.ari_settings(), _noop, initial_backoff=0.05)  # type: ignore[arg-type]
            ami = AmiClient(sim.ami_settings())
            await ari.start()
            await ami.start()
            await ari.state.wait_connected(5)
            sim.drop_ari()
            sim.drop_ami()
            await asyncio.sleep(1.0)
            await ari.state.wait_connected(5)
            # a wrong password too: the refusal is logged, the password is not
            bad = AmiClient(sim.ami_settings(password=SECRET + "-wrong"))
            await bad.start()
            await asyncio.sleep(0.5)
            for link in (bad, ami, ari):
                await link.stop()
    text = "\n".join(repr(e) for e in events) + "\n" + caplog.text
    assert events, "the links logged their connects"
    assert SECRET not in text
    assert "ari.connected" in text
