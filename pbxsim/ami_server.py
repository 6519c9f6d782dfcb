"""The AMI side of the stand-in: a TCP server speaking the Asterisk Manager text protocol."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import structlog

from pbxsim import sipcalls

if TYPE_CHECKING:
    from pbxsim.pbx import Pbx

log = structlog.get_logger(__name__)
EOL = "\r\n"
BANNER = "Asterisk Call Manager/9.0.0" + EOL


def encode(fields: dict[str, str]) -> bytes:
    lines = []
    for key, value in fields.items():
        if key == "Value" and value == "":
            continue  # Asterisk omits an empty VarSet value (see traces)
        lines.append(f"{key}: {value}")
    return (EOL.join(lines) + EOL + EOL).encode()


class AmiSession(asyncio.Protocol):
    def __init__(self, server: AmiServer) -> None:
        self.server = server
        self.pbx = server.pbx
        self.transport: asyncio.Transport | None = None
        self.buffer = ""
        self.logged_in = False
        self.events = True

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.server.sessions.add(self)
        transport.write(BANNER.encode())

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.sessions.discard(self)
        self.pbx.hub.ami_sessions.discard(self)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def write(self, fields: dict[str, str]) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(encode(fields))

    def send_event(self, fields: dict[str, str]) -> None:
        if self.logged_in and self.events:
            self.write(fields)

    def data_received(self, data: bytes) -> None:
        self.buffer += data.decode("utf-8", "replace")
        while EOL + EOL in self.buffer:
            block, self.buffer = self.buffer.split(EOL + EOL, 1)
            fields: dict[str, str] = {}
            for line in block.split(EOL):
                key, sep, value = line.partition(":")
                if sep:
                    fields.setdefault(key.strip(), value.strip())
            if fields and not self.server.muted:
                self.handle(fields)

    def reply(self, action: dict[str, str], response: str, **fields: str) -> None:
        out = {"Response": response}
        if "ActionID" in action:
            out["ActionID"] = action["ActionID"]
        out.update(fields)
        self.write(out)

    def handle(self, action: dict[str, str]) -> None:
        name = action.get("Action", "").lower()
        if name == "login":
            self._login(action)
        elif not self.logged_in:
            self.reply(action, "Error", Message="Authentication Required")
        elif name == "ping":
            self.reply(action, "Success", Ping="Pong", Timestamp=f"{time.time():.6f}")
        elif name == "logoff":
            self.reply(action, "Goodbye", Message="Thanks for all the fish.")
            self.close()
        elif name == "originate":
            self._originate(action)
        elif name == "hangup":
            ok = sipcalls.hangup_by_name(self.pbx, action.get("Channel", ""))
            if ok:
                self.reply(action, "Success", Message="Channel Hungup")
            else:
                self.reply(action, "Error", Message="No such channel")
        elif name == "redirect":
            self._redirect(action)
        elif name == "coreshowchannels":
            self._core_show_channels(action)
        else:
            self.reply(action, "Error", Message=f"Invalid/unknown command: {action.get('Action')}. "
                                                "Use Action: ListCommands to show available commands.")

    def _login(self, action: dict[str, str]) -> None:
        cfg = self.pbx.config
        if action.get("Username") != cfg.ami_user or action.get("Secret") != cfg.ami_password:
            self.reply(action, "Error", Message="Authentication failed")
            self.close()
            return
        self.logged_in = True
        self.events = action.get("Events", "on").lower() not in ("off", "no", "false")
        self.reply(action, "Success", Message="Authentication accepted")
        self.write({"Event": "FullyBooted", "Privilege": "system,all", "Uptime": "62", "LastReload": "62",
                    "Status": "Fully Booted"})
        self.pbx.hub.ami_sessions.add(self)

    def _originate(self, action: dict[str, str]) -> None:
        channel = action.get("Channel", "")
        if not channel:
            self.reply(action, "Error", Message="Channel not specified")
            return
        self.reply(action, "Success", Message="Originate successfully queued")

        async def run() -> None:
            result = await sipcalls.ami_originate(
                self.pbx, channel, action.get("Exten", ""), action.get("CallerID", ""),
                float(action.get("Timeout", "30000")) / 1000.0)
            name, number = action.get("CallerID", ""), ""
            from pbxsim.calls import parse_caller_id

            name, number = parse_caller_id(name)
            event = {"Event": "OriginateResponse", "Privilege": "call,all", "ActionID": action.get("ActionID", ""),
                     "Response": result["Response"], "Channel": result["Channel"],
                     "Context": action.get("Context", ""), "Exten": action.get("Exten", ""),
                     "Reason": result["Reason"], "Uniqueid": result["Uniqueid"],
                     "CallerIDNum": number or "<unknown>", "CallerIDName": name or "<unknown>"}
            self.pbx.hub.ami("OriginateResponse", **{k: v for k, v in event.items() if k not in ("Event", "Privilege")})

        self.pbx.spawn(run(), name="ami-originate")

    def _redirect(self, action: dict[str, str]) -> None:
        target = next((c for c in self.pbx.channels.values() if c.name == action.get("Channel") and c.alive), None)
        if target is None:
            self.reply(action, "Error", Message="Channel does not exist: " + action.get("Channel", ""))
            return
        self.reply(action, "Success", Message="Redirect successful")
        exten = action.get("Exten", "s")
        if target.stasis_app:
            self.pbx.hub.channel_event("StasisEnd", target)
            target.stasis_app = None
            target.apps.clear()
        target.context, target.exten, target.priority = action.get("Context", target.context), exten, 1
        self.pbx.hub.ami_channel("Newexten", target, "dialplan,all", Extension=exten, Application="Dial",
                                 AppData=f"PJSIP/{exten}")
        if exten in self.pbx.config.extensions:
            sipcalls.internal_call(self.pbx, target.caller_number, exten, from_name=target.caller_name)
            if target.peer is not None and target.peer.alive:
                self.pbx.kill(target.peer)
            self.pbx.kill(target)

    def _core_show_channels(self, action: dict[str, str]) -> None:
        channels = [c for c in self.pbx.channels.values() if c.alive]
        self.reply(action, "Success", EventList="start", Message="Channels will follow")
        now = time.time()
        for c in channels:
            seconds = int(now - c.created)
            self.write({"Event": "CoreShowChannel", "ActionID": action.get("ActionID", ""), **c.ami_fields(),
                        "Application": c.app_name, "ApplicationData": c.app_data,
                        "Duration": f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}",
                        "BridgeId": c.bridge_id or ""})
        self.write({"Event": "CoreShowChannelsComplete", "ActionID": action.get("ActionID", ""),
                    "EventList": "Complete", "ListItems": str(len(channels))})


class AmiServer:
    def __init__(self, pbx: Pbx) -> None:
        self.pbx = pbx
        self.sessions: set[AmiSession] = set()
        self.server: asyncio.Server | None = None
        self.muted = False  # fault: accept bytes but answer nothing (a hung Asterisk)

    async def start(self, host: str, port: int) -> int:
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(lambda: AmiSession(self), host, port)
        return int(self.server.sockets[0].getsockname()[1])

    def drop_all(self) -> None:
        for session in list(self.sessions):
            session.close()

    async def stop(self) -> None:
        self.drop_all()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
