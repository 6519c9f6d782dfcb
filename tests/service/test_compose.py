"""The composition root: ``compose`` starts the service and takes all of it down again — after
a start that failed half-way, and past a shutdown step that fails."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from cti.app.runtime import compose
from cti.settings import Settings
from ivr.ami import AmiClient
from ivr.ari import AriService
from tests.service.running import service_settings
from tests.tools import free_port


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _settings(tmp_path: Path) -> Settings:
    def ports(s: Settings) -> None:
        s.server.standin_ari_port, s.server.standin_ami_port = free_port(), free_port()

    return service_settings(tmp_path, ports)


async def test_everything_started_is_stopped_on_the_way_out(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    async with compose(settings) as runtime:
        await runtime.ari.state.wait_connected(5)
        assert _listening(settings.server.standin_ari_port)  # the demo's stand-in PBX
        assert await runtime.journal.people.users()
    assert not _listening(settings.server.standin_ari_port)
    assert runtime.ari.state.status.connected is False


async def test_a_start_that_fails_half_way_stops_what_it_had_started(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(tmp_path)
    started: list[AriService] = []
    real_start = AriService.start

    async def ari_start(self: AriService) -> None:
        started.append(self)
        await real_start(self)

    async def ami_start(self: AmiClient) -> None:
        raise OSError("AMI refused")

    monkeypatch.setattr(AriService, "start", ari_start)
    monkeypatch.setattr(AmiClient, "start", ami_start)
    with pytest.raises(OSError, match="AMI refused"):
        async with compose(settings):
            raise AssertionError("not reached")
    assert started and started[0].state.status.connected is False  # ARI had started: stopped again
    assert not _listening(settings.server.standin_ari_port)


async def test_a_failing_stop_step_does_not_keep_the_rest_running(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(tmp_path)
    real_stop = AriService.stop

    async def broken_stop(self: AriService) -> None:
        await real_stop(self)
        raise RuntimeError("ARI stop broke")  # half-way through: the later steps must still run

    monkeypatch.setattr(AriService, "stop", broken_stop)
    async with compose(settings):
        assert _listening(settings.server.standin_ari_port)
    assert not _listening(settings.server.standin_ari_port)  # the stand-in went down all the same
