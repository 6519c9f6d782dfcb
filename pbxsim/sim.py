"""PbxSim: the Asterisk stand-in as one object (ARI HTTP + websocket, AMI TCP, control API).

    async with PbxSim(SimConfig(recordings_dir=tmp, time_scale=0.05)) as sim:
        settings = sim.ari_settings()          # -> cti.settings.AriSettings for our client
        call = sim.place_call(CallScript.simple("79161234567", "1", say=wav, hangup_after=20))
        await call.done.wait()
        sim.played(call.id)                    # what the caller heard
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from aiohttp import web

from pbxsim import ari_http, calls, sipcalls
from pbxsim.ami_server import AmiServer
from pbxsim.calls import CallHandle, CallScript
from pbxsim.config import SimConfig
from pbxsim.control import add_control_routes, control_guard, control_token
from pbxsim.pbx import Pbx


class PbxSim:
    def __init__(self, config: SimConfig | None = None) -> None:
        self.config = config or SimConfig()
        self.pbx: Pbx | None = None
        self.ami: AmiServer | None = None
        self._runner: web.AppRunner | None = None
        self.ari_port = 0
        self.ami_port = 0
        self.control_token = ""

    @property
    def core(self) -> Pbx:
        if self.pbx is None:
            raise RuntimeError("PbxSim not started")
        return self.pbx

    async def start(self) -> None:
        if self.pbx is None:
            self.pbx = Pbx(self.config)
        self.control_token = control_token(self.config)
        app = web.Application(middlewares=[control_guard, ari_http.ari_middleware])
        app[ari_http.PBX_KEY] = self.pbx
        app[SIM_KEY] = self
        ari_http.add_ari_routes(app)
        add_control_routes(app)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, self.config.ari_port or self.ari_port)
        await site.start()
        server = getattr(site, "_server", None)
        self.ari_port = int(server.sockets[0].getsockname()[1]) if server else self.config.ari_port
        self.ami = AmiServer(self.pbx)
        self.ami_port = await self.ami.start(self.config.host, self.config.ami_port or self.ami_port)

    async def stop(self) -> None:
        if self.pbx is not None:
            self.pbx.restart()
        if self.ami is not None:
            await self.ami.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.pbx is not None:
            tasks = list(self.pbx.tasks)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def __aenter__(self) -> PbxSim:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- addresses for our clients -------------------------------------------------------

    @property
    def ari_url(self) -> str:
        return f"http://{self.config.host}:{self.ari_port}"

    def ari_settings(self, **overrides: Any) -> Any:
        from ivr.config import AriSettings

        values: dict[str, Any] = dict(url=self.ari_url, username=self.config.ari_user, password=self.config.ari_password,
                      app=self.config.app, reconnect_max_seconds=0.5, request_timeout_seconds=2.0)
        values.update(overrides)
        return AriSettings(**values)

    def ami_settings(self, **overrides: Any) -> Any:
        from ivr.config import AmiSettings

        values: dict[str, Any] = dict(host=self.config.host, port=self.ami_port, username=self.config.ami_user,
                      password=self.config.ami_password, ping_interval_seconds=0.5, action_timeout_seconds=1.0)
        values.update(overrides)
        return AmiSettings(**values)

    # -- scripted traffic ----------------------------------------------------------------

    def place_call(self, script: CallScript) -> CallHandle:
        return calls.place_call(self.core, script)

    def internal_call(self, from_ext: str, to_ext: str, **kwargs: Any) -> sipcalls.SipCall:
        return sipcalls.internal_call(self.core, from_ext, to_ext, **kwargs)

    def hangup(self, channel_id: str) -> bool:
        channel = self.core.get(channel_id)
        if channel is None:
            return False
        self.core.caller_hangup(channel)
        return True

    def press(self, channel_id: str, digit: str) -> bool:
        channel = self.core.get(channel_id)
        if channel is None:
            return False
        self.core.press(channel, digit)
        return True

    def played(self, channel_id: str) -> list[str]:
        return list(self.core.played.get(channel_id, []))

    def live_channels(self) -> list[str]:
        return [c.id for c in self.core.channels.values() if c.alive]

    @property
    def recordings_dir(self) -> Path:
        return self.config.recordings_dir

    # -- faults --------------------------------------------------------------------------

    def drop_ari(self) -> None:
        """Close every events websocket (clients must reconnect)."""
        self.core.hub.drop_websockets()

    def drop_ami(self) -> None:
        if self.ami is not None:
            self.ami.drop_all()

    def mute_ami(self, muted: bool = True) -> None:
        """AMI stops answering (socket stays open): only a ping watchdog notices."""
        if self.ami is not None:
            self.ami.muted = muted

    def fail_rest(self, count: int, status: int = 500) -> None:
        self.core.rest_fail_count, self.core.rest_fail_status = count, status

    def delay_rest(self, seconds: float) -> None:
        self.core.rest_delay = seconds

    async def restart(self, down_for: float = 0.2) -> None:
        """Asterisk restarts: channels vanish, sockets drop, nothing listens for ``down_for`` s."""
        self.core.restart()
        if self.ami is not None:
            await self.ami.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        old_ari, old_ami = self.ari_port, self.ami_port
        await asyncio.sleep(down_for)
        self.ari_port, self.ami_port = old_ari, old_ami
        await self.start()


SIM_KEY = web.AppKey("pbxsim", PbxSim)
