"""The stand-in's control API (/_sim/*: place a call, hang one up, inject faults) answers only
loopback peers that present its token."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from pbxsim import PbxSim, SimConfig
from pbxsim.control import TOKEN_HEADER


async def test_the_control_api_needs_the_token(tmp_path: Path) -> None:
    token_file = tmp_path / "var" / "pbxsim-token"
    async with PbxSim(SimConfig(recordings_dir=tmp_path, time_scale=0.05, control_token_file=token_file)) as sim:
        token = token_file.read_text().strip()
        assert len(token) >= 24 and token_file.stat().st_mode & 0o777 == 0o600
        assert sim.config.host == "127.0.0.1"
        async with aiohttp.ClientSession() as http:
            for headers in ({}, {TOKEN_HEADER: "guess"}):
                async with http.post(f"{sim.ari_url}/_sim/calls/any/hangup", headers=headers) as r:
                    assert r.status == 403
                async with http.get(f"{sim.ari_url}/_sim/report", headers=headers) as r:
                    assert r.status == 403
            async with http.get(f"{sim.ari_url}/_sim/report", headers={TOKEN_HEADER: token}) as r:
                assert r.status == 200 and "live_channels" in await r.json()
