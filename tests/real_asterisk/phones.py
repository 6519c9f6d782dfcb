"""SIP phones for the real-Asterisk tests: Debian's baresip, one process per phone.

Each phone registers (or not) with the Asterisk under test, sends an audio file as its
microphone (switched during a call with ``ausrc``), sends RFC 4733 DTMF (``sndcode``), and
writes what it hears to a WAV file (baresip's ``sndfile`` module: ``*-dec.wav`` is what the
phone received, ``*-enc.wav`` what it sent). It is driven over ``ctrl_tcp`` (netstring JSON).
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
import wave
from pathlib import Path

from tests.real_asterisk.asterisk import RealAsterisk
from tests.tools import free_port

MODULES = ("g711.so", "aufile.so", "sndfile.so", "account.so", "menu.so", "ctrl_tcp.so")


def silence_wav(path: Path, seconds: float, rate: int = 8000) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\0\0" * int(seconds * rate))
    return path


class PhoneError(RuntimeError):
    pass


class Baresip:
    """One SIP phone: extension ``ext`` registered with ``asterisk`` (unless ``register`` is off)."""

    def __init__(self, root: Path, asterisk: RealAsterisk, ext: str, *, auto_answer: bool = False,
                 register: bool = True, host: str = "127.0.0.1", user: str | None = None,
                 password: str | None = None, listen_port: int | None = None) -> None:
        self.root = root / f"phone-{ext}"
        self.asterisk = asterisk
        self.ext = ext
        self.auto_answer = auto_answer
        self.register = register
        self.host = host
        self.user = user or ext
        self.password = password if password is not None else asterisk.secrets.phones.get(ext, "")
        self.fixed_port = listen_port is not None
        self.sip_port = listen_port or free_port(socket.SOCK_DGRAM, host)
        self.ctrl_port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.sock: socket.socket | None = None
        self.silence = silence_wav(self._dir() / "silence.wav", 600)

    def _dir(self) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        return self.root

    @property
    def records(self) -> Path:
        return self._dir() / "heard"

    def start(self, timeout: float = 10.0) -> Baresip:
        """Start the phone; a port taken between choosing it and baresip binding it (other
        programs on the machine) is chosen again, up to three times."""
        for attempt in range(3):
            try:
                return self._start(timeout)
            except PhoneError as exc:
                if "Address already in use" not in str(exc) or attempt == 2:
                    raise
                if self.proc is not None and self.proc.poll() is None:
                    self.proc.kill()
                    self.proc.wait()
                if not self.fixed_port:
                    self.sip_port = free_port(socket.SOCK_DGRAM, self.host)
                self.ctrl_port = free_port()
        raise AssertionError("not reached")

    def _start(self, timeout: float) -> Baresip:
        d = self._dir()
        self.records.mkdir(exist_ok=True)
        modules = "\n".join(f"module {m}" for m in MODULES)
        (d / "config").write_text(
            f"poll_method epoll\nsip_listen {self.host}:{self.sip_port}\n"
            f"audio_player aufile,/dev/null\naudio_source aufile,{self.silence}\naudio_alert aufile,/dev/null\n"
            "audio_path /usr/share/baresip\n"
            f"module_path /usr/lib/baresip/modules\n{modules}\n"
            f"module_app menu.so\nsnd_path {self.records}\nctrl_tcp_listen 127.0.0.1:{self.ctrl_port}\n"
            "rtp_tos 0\naudio_buffer 20-160\n"
        )
        sip = self.asterisk.ports.sip
        params = ";audio_codecs=PCMA,PCMU"
        params += ";answermode=auto" if self.auto_answer else ";answermode=manual"
        if self.register:
            params += f";auth_pass={self.password};regint=300"
        else:
            params += ";regint=0"
        (d / "accounts").write_text(f"<sip:{self.user}@127.0.0.1:{sip};transport=udp>{params}\n")
        (d / "contacts").write_text("")
        log = open(d / "baresip.log", "ab")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(["baresip", "-f", str(d)], stdin=subprocess.DEVNULL, stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                self.sock = socket.create_connection(("127.0.0.1", self.ctrl_port), timeout=5)
                break
            except OSError:
                if self.proc.poll() is not None:
                    raise PhoneError(f"baresip {self.ext} exited:\n{self.log()}") from None
                time.sleep(0.1)
        else:
            raise PhoneError(f"baresip {self.ext}: no control socket:\n{self.log()}")
        if self.register:
            self.wait_registered(timeout)
        return self

    def log(self) -> str:
        path = self.root / "baresip.log"
        return path.read_text("utf-8", "replace")[-4000:] if path.exists() else ""

    def wait_registered(self, timeout: float = 10.0) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if f"{self.ext}/sip:" in self.asterisk.cli(f"pjsip show aor {self.ext}"):
                return
            time.sleep(0.2)
        raise PhoneError(f"phone {self.ext} did not register:\n{self.log()}")

    # -- control -------------------------------------------------------------------------
    def command(self, command: str, params: str = "") -> str:
        """Run a baresip command; its response text (netstring JSON over ctrl_tcp)."""
        assert self.sock is not None
        body = json.dumps({"command": command, "params": params, "token": command}).encode()
        self.sock.sendall(str(len(body)).encode() + b":" + body + b",")
        end = time.monotonic() + 5
        while time.monotonic() < end:
            msg = self._read_netstring()
            if msg.get("response") and msg.get("token") == command:
                if not msg.get("ok", True):
                    raise PhoneError(f"{self.ext}: {command} {params}: {msg.get('data')}")
                return str(msg.get("data", ""))
        raise PhoneError(f"{self.ext}: no response to {command}")

    def _read_netstring(self) -> dict[str, object]:
        assert self.sock is not None
        length = b""
        while not length.endswith(b":"):
            ch = self.sock.recv(1)
            if not ch:
                raise PhoneError(f"{self.ext}: control socket closed:\n{self.log()}")
            length += ch
        n = int(length[:-1])
        data = b""
        while len(data) < n + 1:
            chunk = self.sock.recv(n + 1 - len(data))
            if not chunk:
                raise PhoneError(f"{self.ext}: control socket closed")
            data += chunk
        return json.loads(data[:-1])  # type: ignore[no-any-return]

    def dial(self, number: str) -> None:
        self.command("dial", f"sip:{number}@127.0.0.1:{self.asterisk.ports.sip}")

    def accept(self) -> None:
        self.command("accept")

    def hangup(self) -> None:
        self.command("hangup")

    def dtmf(self, digits: str, gap: float = 0.3) -> None:
        for d in digits:
            self.command("sndcode", d)
            time.sleep(gap)

    def say(self, wav: Path) -> None:
        """From now on the microphone plays ``wav`` (8 kHz mono 16-bit), then falls silent."""
        self.command("ausrc", f"aufile,{wav}")

    def heard(self) -> list[Path]:
        """The WAV files of what this phone received, one per call, oldest first."""
        return sorted(self.records.glob("*-dec.wav"))

    def stop(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
