"""Kamailio started on loopback from the shipped config/kamailio, and SIPp on both sides of it:
residents calling in (UAC) and SIPp servers standing for the Asterisk nodes (UAS)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.real_asterisk.sipp import audio_sdp

REPO = Path(__file__).resolve().parents[2]
CONF_DIR = REPO / "config" / "kamailio"
RENDER = REPO / "config" / "asterisk" / "render-config.sh"

# A node stand-in: answers OPTIONS by itself (-aa), takes a call, echoes the Record-Route so the
# caller's ACK and BYE come back through Kamailio, as Asterisk does.
NODE_SCENARIO = """<?xml version="1.0" encoding="UTF-8" ?>
<scenario name="asterisk node stand-in">
  <recv request="INVITE" crlf="true"/>
  <send><![CDATA[
SIP/2.0 180 Ringing
[last_Via:]
[last_From:]
[last_To:];tag=[pid]Node[call_number]
[last_Call-ID:]
[last_CSeq:]
[last_Record-Route:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Length: 0
]]></send>
  <send retrans="500"><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]Node[call_number]
[last_Call-ID:]
[last_CSeq:]
[last_Record-Route:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Type: application/sdp
Content-Length: [len]

""" + audio_sdp("node") + """]]></send>
  <recv request="ACK" crlf="true"/>
  <recv request="BYE"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0
]]></send>
</scenario>
"""

# A resident dialling 112: ACK and BYE follow the route set Kamailio recorded.
CALLER_SCENARIO = """<?xml version="1.0" encoding="UTF-8" ?>
<scenario name="resident">
  <send retrans="500"><![CDATA[
INVITE sip:112@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:7916[call_number]@[local_ip]:[local_port]>;tag=[pid]Res[call_number]
To: <sip:112@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:7916[call_number]@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

""" + audio_sdp("resident") + """]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rrs="true"/>
  <send><![CDATA[
ACK [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:7916[call_number]@[local_ip]:[local_port]>;tag=[pid]Res[call_number]
To: <sip:112@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
[routes]
Max-Forwards: 70
Content-Length: 0
]]></send>
  <pause milliseconds="100"/>
  <send retrans="500"><![CDATA[
BYE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:7916[call_number]@[local_ip]:[local_port]>;tag=[pid]Res[call_number]
To: <sip:112@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 BYE
[routes]
Max-Forwards: 70
Content-Length: 0
]]></send>
  <recv response="200" crlf="true"/>
</scenario>
"""


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def render(dest: Path, *, port: int, nodes: list[int]) -> Path:
    """Render config/kamailio into ``dest`` with render-config.sh, as an operator does."""
    env = {**os.environ, "KAMAILIO_ADDRESS": "127.0.0.1", "KAMAILIO_PORT": str(port), "KAMAILIO_CONF_DIR": str(dest)}
    for i, node in enumerate(nodes, 1):
        env[f"ASTERISK_NODE_{i}"] = f"127.0.0.1:{node}"
    subprocess.run(["sh", str(RENDER), str(CONF_DIR), "--dest", str(dest)], check=True, env=env,
                   capture_output=True, text=True)
    return dest / "kamailio.cfg"


def check_config(cfg: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["kamailio", "-c", "-f", str(cfg)], capture_output=True, text=True, timeout=30)


def _options_answered(port: int) -> bool:
    msg = (f"OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-ready{time.time_ns()}\r\n"
           "From: <sip:probe@127.0.0.1>;tag=1\r\nTo: <sip:127.0.0.1>\r\nCall-ID: ready@test\r\nCSeq: 1 OPTIONS\r\n"
           "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.3)
        s.bind(("127.0.0.1", 0))
        msg = msg.replace("127.0.0.1:9", f"127.0.0.1:{s.getsockname()[1]}")
        s.sendto(msg.encode(), ("127.0.0.1", port))
        try:
            return s.recv(4096).startswith(b"SIP/2.0 200")
        except TimeoutError:
            return False


@dataclass
class Kamailio:
    cfg: Path
    port: int
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 15.0) -> None:
        out = self.log.open("wb")
        self.proc = subprocess.Popen(["kamailio", "-DD", "-E", "-f", str(self.cfg), "-Y", str(self.cfg.parent),
                                      "-w", str(self.cfg.parent)], stdout=out, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        out.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"kamailio exited: {self.log.read_text()[-3000:]}")
            if _options_answered(self.port):
                return
        raise RuntimeError(f"kamailio did not answer on {self.port}: {self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)

    def lines(self, tag: str) -> list[str]:
        return [line for line in self.log.read_text(errors="replace").splitlines() if tag in line]


@dataclass
class Node:
    """A SIPp server standing for one Asterisk node."""

    name: str
    port: int
    root: Path
    proc: subprocess.Popen[bytes] | None = field(default=None)

    @property
    def trace(self) -> Path:
        return self.root / f"{self.name}.msg"

    def start(self) -> None:
        scenario = self.root / "node.xml"
        scenario.write_text(NODE_SCENARIO)
        self.proc = subprocess.Popen(
            ["sipp", "-sf", str(scenario), "-aa", "-i", "127.0.0.1", "-p", str(self.port), "-nostdin",
             "-mp", str(free_udp_port()), "-trace_msg", "-message_file", str(self.trace)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.root, start_new_session=True)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def calls(self) -> set[str]:
        """Call-IDs of the INVITEs this node received."""
        text = self.trace.read_text(errors="replace") if self.trace.exists() else ""
        found = re.findall(r"message received \[\d+\] bytes :\s*\n\s*INVITE .*?\nCall-ID: *(\S+)", text, re.S)
        return set(found)


@dataclass
class CallerResult:
    returncode: int
    successful: int
    failed: int
    output: str


def call(root: Path, kamailio_port: int, *, calls: int, rate: float = 10.0, timeout: float = 60.0) -> CallerResult:
    """``calls`` residents through Kamailio; waits for SIPp to end."""
    scenario = root / "caller.xml"
    scenario.write_text(CALLER_SCENARIO)
    stat = root / f"caller-{time.monotonic_ns()}.csv"
    proc = subprocess.run(
        ["sipp", f"127.0.0.1:{kamailio_port}", "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(free_udp_port()),
         "-mp", str(free_udp_port()), "-m", str(calls), "-r", str(rate), "-nostdin", "-timeout", f"{int(timeout)}s",
         "-timeout_error", "-trace_stat", "-stf", str(stat), "-trace_err", "-error_file", str(root / "caller-errors.log")],
        cwd=root, capture_output=True, timeout=timeout + 30)
    ok = failed = 0
    lines = [line for line in (stat.read_text() if stat.exists() else "").splitlines() if line.strip()]
    if len(lines) >= 2:
        row = dict(zip(lines[0].split(";"), lines[-1].split(";"), strict=False))
        ok, failed = int(row.get("SuccessfulCall(C)") or 0), int(row.get("FailedCall(C)") or 0)
    return CallerResult(proc.returncode, ok, failed, (proc.stdout + proc.stderr).decode(errors="replace")[-3000:])
