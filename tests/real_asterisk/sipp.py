"""Many residents at once: SIPp (Debian's sip-tester) calling the hotline over the city trunk.

Each SIPp call is a resident: it dials 112 from its own number, waits out the greeting, keys
``1`` (RFC 4733, the pcap SIPp ships), waits for the beep, says a sentence (RTP A-law made
here from espeak-ng speech, played from a pcap), stays silent, and hangs up when the hotline
says goodbye and hangs up. SIPp calls from the trunk's own loopback address, so Asterisk takes
the calls as the city trunk's (identify by address), as a city's residents come in.
"""

from __future__ import annotations

import struct
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.real_asterisk.asterisk import RealAsterisk
from tests.tools import free_port

SIPP_SHARE = Path("/usr/share/sip-tester")
PROMPTS = Path(__file__).resolve().parents[2] / "ivr" / "prompts"


def _prompt_seconds(*names: str) -> float:
    import wave

    total = 0.0
    for name in names:
        with wave.open(str(PROMPTS / f"{name}.wav")) as w:
            total += w.getnframes() / w.getframerate()
    return total


def speech_pcap(wav: Path, pcap: Path, *, trailing_silence: float = 6.0) -> Path:
    """An RTP A-law stream (PT 8, 20 ms packets) of ``wav`` followed by silence, as a pcap."""
    alaw = subprocess.run(["sox", str(wav), "-t", "raw", "-r", "8000", "-c", "1", "-e", "a-law", "-"],
                          check=True, capture_output=True).stdout
    alaw += b"\xd5" * int(trailing_silence * 8000)  # A-law silence
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    ssrc, seq, ts = 0x5EC0_0001, 1000, 0
    for i in range(0, len(alaw), 160):
        payload = alaw[i:i + 160].ljust(160, b"\xd5")
        rtp = struct.pack("!BBHII", 0x80, 8, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc) + payload
        udp = struct.pack("!HHHH", 40000, 40000, 8 + len(rtp), 0) + rtp
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                         bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1])) + udp
        frame = b"\0" * 12 + b"\x08\x00" + ip
        t = i / 8000
        out.append(struct.pack("<IIII", int(t), int((t % 1) * 1_000_000), len(frame), len(frame)) + frame)
        seq += 1
        ts += 160
    pcap.write_bytes(b"".join(out))
    return pcap


def audio_sdp(origin: str, *, dtmf: bool = False, indent: str = "") -> str:
    """The SDP body of a SIPp message offering A-law (and RFC 4733 key events): SIPp fills the
    bracketed fields."""
    lines = ["v=0", f"o={origin} 1 1 IN IP[local_ip_type] [local_ip]", "s=-", "c=IN IP[media_ip_type] [media_ip]",
             "t=0 0", "m=audio [media_port] RTP/AVP 8" + (" 101" if dtmf else ""), "a=rtpmap:8 PCMA/8000"]
    if dtmf:
        lines += ["a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15", "a=sendrecv"]
    return "".join(f"{indent}{line}\n" for line in lines)


SCENARIO = """<?xml version="1.0" encoding="UTF-8" ?>
<scenario name="hotline resident">
  <send retrans="500">
    <![CDATA[
      INVITE sip:112@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Resident" <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:112@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:[field0]@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

""" + audio_sdp("resident", dtmf=True, indent="      ") + """    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="true"/>
  <send>
    <![CDATA[
      ACK sip:112@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Resident" <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:112@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: <sip:[field0]@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <pause milliseconds="{greeting_ms}"/>
  <nop><action><exec play_pcap_audio="{dtmf}"/></action></nop>
  <pause milliseconds="{until_beep_ms}"/>
  <nop><action><exec play_pcap_audio="{speech}"/></action></nop>
  <recv request="BYE" timeout="{bye_timeout_ms}"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[field0]@[local_ip]:[local_port]>
      Content-Length: 0
    ]]>
  </send>
</scenario>
"""


@dataclass
class SippResult:
    returncode: int
    successful: int
    failed: int
    seconds: float
    stat: str


def write_scenario(root: Path, speech_wav: Path, *, numbers: list[str]) -> tuple[Path, Path]:
    """The scenario and its injection file (one resident number a call)."""
    root.mkdir(parents=True, exist_ok=True)
    pcap = speech_pcap(speech_wav, root / "speech.pcap")
    greeting = _prompt_seconds("welcome", "call-recorded", "gas-warning")
    # After key 1: "you chose", the category, "describe the problem", then the beep.
    until_beep = _prompt_seconds("you-chose", "category-water_sewer", "describe-problem") + 1.5
    scenario = root / "resident.xml"
    scenario.write_text(SCENARIO.format(
        greeting_ms=int((greeting + 1.5) * 1000), dtmf=SIPP_SHARE / "dtmf_2833_1.pcap",
        until_beep_ms=int(until_beep * 1000), speech=pcap, bye_timeout_ms=90_000))
    inf = root / "residents.csv"
    inf.write_text("SEQUENTIAL\n" + "".join(f"{n};\n" for n in numbers))
    return scenario, inf


def run_sipp(pbx: RealAsterisk, root: Path, speech_wav: Path, *, calls: int, rate: float | None = None,
             timeout: float = 600.0) -> SippResult:
    """``calls`` residents, all at once (or ``rate`` a second); waits for SIPp to finish."""
    numbers = [f"7916{2000000 + i:07d}" for i in range(calls)]
    scenario, inf = write_scenario(root, speech_wav, numbers=numbers)
    stat = root / "stat.csv"
    cmd = ["sipp", f"127.0.0.1:{pbx.ports.sip}", "-sf", str(scenario), "-inf", str(inf),
           "-i", pbx.ports.trunk_host, "-p", str(free_port_on(pbx.ports.trunk_host)),
           "-mi", pbx.ports.trunk_host, "-mp", str(free_port_on(pbx.ports.trunk_host, udp=True)),
           "-m", str(calls), "-l", str(calls), "-r", str(rate or calls), "-rp", "1000",
           "-timeout", f"{int(timeout)}s", "-timeout_error", "-nostdin", "-trace_stat", "-stf", str(stat),
           "-fd", "1", "-trace_err", "-error_file", str(root / "errors.log")]
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=root, capture_output=True, timeout=timeout + 30)
    seconds = time.monotonic() - started
    text = stat.read_text() if stat.exists() else ""
    ok, failed = _last_counts(text)
    (root / "sipp.out").write_bytes(proc.stdout + proc.stderr)
    return SippResult(proc.returncode, ok, failed, seconds, text)


def free_port_on(host: str, udp: bool = False) -> int:
    import socket

    return free_port(socket.SOCK_DGRAM if udp else socket.SOCK_STREAM, host)


def _last_counts(stat_csv: str) -> tuple[int, int]:
    lines = [line for line in stat_csv.splitlines() if line.strip()]
    if len(lines) < 2:
        return 0, 0
    header = lines[0].split(";")
    last = lines[-1].split(";")
    row = dict(zip(header, last, strict=False))
    return int(row.get("SuccessfulCall(C)", 0) or 0), int(row.get("FailedCall(C)", 0) or 0)
