"""A real Asterisk 20.20.1 started for a test, from the project's own configuration.

The configuration is what an operator installs: ``config/asterisk/*`` and ``dialplans/*``
rendered by ``config/asterisk/render-config.sh`` (the same files ``docker-compose.asterisk.yml``
mounts), with test secrets in the environment. Only ports and paths are moved, each by a named
rule in ``MOVES`` below, so that several instances (and a developer's own Asterisk) can run on
one machine. What the tests add lives in files of their own: ``asterisk.conf`` and
``logger.conf`` (where the files are, which an installation decides) and
``extensions_local.conf`` (test-only contexts; the product's dialplan includes it when present).

The binary comes from ``../shared/asterisk/build.sh`` (PREFIX /opt/asterisk, or
``HOTLINE_ASTERISK_PREFIX``).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.tools import free_port

REPO = Path(__file__).resolve().parents[2]
PREFIX = Path(os.environ.get("HOTLINE_ASTERISK_PREFIX", "/opt/asterisk"))
BINARY = PREFIX / "sbin" / "asterisk"
HOW_TO_GET_ONE = ("no Asterisk 20.20.1 at {prefix}: build one with `bash ../shared/asterisk/build.sh` "
                  "(about 7 minutes; PREFIX=... and HOTLINE_ASTERISK_PREFIX=... to put it elsewhere)")
# As many media ports as the shipped rtp.conf has (two a channel), moved where they are free.
RTP_PORTS = 1000
PHONES = ("101", "102", "103", "201", "202", "203", "300")


def missing_reason() -> str | None:
    """Why the real-Asterisk tests cannot run here, or None."""
    if not BINARY.exists():
        return HOW_TO_GET_ONE.format(prefix=PREFIX)
    for tool in ("baresip", "sipp", "sox", "envsubst"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian: baresip, sip-tester, sox, gettext-base)"
    return None


def free_udp_range(count: int, host: str = "127.0.0.1") -> int:
    """The first of ``count`` consecutive free UDP ports (even, as RTP wants)."""
    for _ in range(200):
        start = 20000 + 2 * secrets.randbelow(20000)
        ok = True
        for port in range(start, start + count):
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                try:
                    s.bind((host, port))
                except OSError:
                    ok = False
                    break
        if ok:
            return start
    raise RuntimeError("no free UDP port range")


@dataclass
class Ports:
    sip: int
    http: int
    ami: int
    rtp_start: int
    rtp_end: int
    # The city trunk's address: a loopback address of its own, so that identify-by-address
    # tells the trunk's calls from the phones' (all on 127.0.0.1).
    trunk_host: str

    @classmethod
    def pick(cls) -> Ports:
        rtp = free_udp_range(RTP_PORTS)
        trunk = f"127.0.{secrets.randbelow(250) + 2}.{secrets.randbelow(250) + 2}"
        return cls(sip=free_port(socket.SOCK_DGRAM), http=free_port(), ami=free_port(), rtp_start=rtp,
                   rtp_end=rtp + RTP_PORTS - 1, trunk_host=trunk)


@dataclass
class Secrets:
    ari: str = field(default_factory=lambda: secrets.token_hex(12))
    ami: str = field(default_factory=lambda: secrets.token_hex(12))
    phones: dict[str, str] = field(default_factory=lambda: {p: secrets.token_hex(8) for p in PHONES})
    trunk_user: str = "hotline"
    trunk_password: str = field(default_factory=lambda: secrets.token_hex(8))
    public_number: str = "74950000112"


# How the rendered configuration is moved: (file, pattern, replacement). Nothing else changes.
def _moves(p: Ports) -> list[tuple[str, str, str]]:
    return [
        ("pjsip.conf", r"(?m)^bind = 0\.0\.0\.0:5060$", f"bind = 127.0.0.1:{p.sip}"),
        ("http.conf", r"(?m)^bindaddr = 0\.0\.0\.0$", "bindaddr = 127.0.0.1"),
        ("http.conf", r"(?m)^bindport = 8088$", f"bindport = {p.http}"),
        ("manager.conf", r"(?m)^bindaddr = 0\.0\.0\.0$", "bindaddr = 127.0.0.1"),
        ("manager.conf", r"(?m)^port = 5038$", f"port = {p.ami}"),
        ("rtp.conf", r"(?m)^rtpstart = 10000$", f"rtpstart = {p.rtp_start}"),
        ("rtp.conf", r"(?m)^rtpend = 10999$", f"rtpend = {p.rtp_end}"),
    ]


class AsteriskFailed(RuntimeError):
    pass


class RealAsterisk:
    """One Asterisk process with the hotline's configuration in ``root``."""

    def __init__(self, root: Path, *, local_dialplan: str = "", ports: Ports | None = None,
                 secrets_: Secrets | None = None, trunk: bool = True) -> None:
        self.root = root
        self.ports = ports or Ports.pick()
        self.secrets = secrets_ or Secrets()
        self.local_dialplan = local_dialplan
        self.trunk = trunk
        self.etc = root / "etc"
        self.log_dir = root / "log"
        self.spool = root / "spool"
        self.proc: subprocess.Popen[bytes] | None = None

    # -- configuration ---------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        s, p = self.secrets, self.ports
        env = {
            "HOTLINE_ARI_PASSWORD": s.ari, "HOTLINE_AMI_PASSWORD": s.ami,
            "HOTLINE_AMI_PERMIT": "127.0.0.1/255.255.255.255", "ASTERISK_EXTERNAL_ADDRESS": "127.0.0.1",
            **{f"SIP_PASSWORD_{ext}": pw for ext, pw in s.phones.items()},
        }
        if self.trunk:
            env.update({"HOTLINE_TRUNK_HOST": p.trunk_host, "HOTLINE_TRUNK_USER": s.trunk_user,
                        "HOTLINE_TRUNK_PASSWORD": s.trunk_password, "HOTLINE_PUBLIC_NUMBER": s.public_number})
        return env

    def render(self) -> None:
        # The directories an installed Asterisk has (make install creates spool/recording).
        for d in (self.etc, self.log_dir, self.spool / "recording", self.root / "run", self.root / "lib" / "sounds"):
            d.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTLINE_", "SIP_PASSWORD_"))}
        env.update(self.env())
        subprocess.run(["sh", str(REPO / "config/asterisk/render-config.sh"), str(REPO / "config/asterisk"),
                        str(REPO / "dialplans"), "--dest", str(self.etc)], env=env, check=True,
                       capture_output=True)
        for name, pattern, replacement in _moves(self.ports):
            path = self.etc / name
            text, n = re.subn(pattern, replacement, path.read_text())
            if n != 1:
                raise AsteriskFailed(f"{name}: the rule {pattern!r} matched {n} times: the shipped file changed")
            path.write_text(text)
        self._link_sounds()
        (self.etc / "asterisk.conf").write_text(self._asterisk_conf())
        (self.etc / "logger.conf").write_text(
            "[general]\ndateformat = %F %T.%3q\n[logfiles]\nmessages.log => notice,warning,error,verbose(3)\n")
        if self.local_dialplan:
            (self.etc / "extensions_local.conf").write_text(self.local_dialplan)

    def _link_sounds(self) -> None:
        """The installation's data (XML documentation, which Stasis needs to start), and sounds
        as the compose file lays them out: Asterisk's Russian core sounds, and our prompts as
        sound:hotline/<name> in language ru."""
        lib = self.root / "lib"
        for entry in (PREFIX / "var/lib/asterisk").iterdir():
            if entry.name != "sounds" and not (lib / entry.name).exists():
                (lib / entry.name).symlink_to(entry)
        ru = lib / "sounds" / "ru"
        ru.mkdir(parents=True, exist_ok=True)
        for entry in (PREFIX / "var/lib/asterisk/sounds/ru").iterdir():
            target = ru / entry.name
            if not target.exists():
                target.symlink_to(entry)
        hotline = ru / "hotline"
        if not hotline.exists():
            hotline.symlink_to(REPO / "ivr" / "prompts")

    def _asterisk_conf(self) -> str:
        lib = self.root / "lib"
        return (
            "[directories]\n"
            f"astetcdir => {self.etc}\nastmoddir => {PREFIX}/lib/asterisk/modules\n"
            f"astvarlibdir => {lib}\nastdbdir => {lib}\nastkeydir => {lib}\nastdatadir => {lib}\n"
            f"astagidir => {lib}/agi-bin\nastspooldir => {self.spool}\nastrundir => {self.root}/run\n"
            f"astlogdir => {self.log_dir}\nastsbindir => {PREFIX}/sbin\n"
            "[options]\nverbose = 3\nnocolor = yes\n"
        )

    # -- process -----------------------------------------------------------------------------
    @property
    def ari_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.http}"

    def start(self, timeout: float = 30.0) -> None:
        if not (self.etc / "asterisk.conf").exists():
            self.render()
        out = open(self.log_dir / "console.log", "ab")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            [str(BINARY), "-f", "-n", "-C", str(self.etc / "asterisk.conf")], stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)
        out.close()
        self.wait_booted(timeout)

    def wait_booted(self, timeout: float = 30.0) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc is not None and self.proc.poll() is not None:
                raise AsteriskFailed(f"asterisk exited ({self.proc.returncode}):\n{self.console_tail()}")
            try:
                if "fully booted" in self.cli("core waitfullybooted", timeout=5).lower():
                    return
            except (subprocess.SubprocessError, OSError):
                pass
            time.sleep(0.2)
        raise AsteriskFailed(f"asterisk did not boot in {timeout} s:\n{self.console_tail()}")

    def cli(self, command: str, timeout: float = 10.0) -> str:
        res = subprocess.run([str(BINARY), "-C", str(self.etc / "asterisk.conf"), "-rx", command],
                             capture_output=True, timeout=timeout, check=True)
        return res.stdout.decode("utf-8", "replace")

    def console_tail(self, lines: int = 60) -> str:
        path = self.log_dir / "console.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text("utf-8", "replace").splitlines()[-lines:])

    def messages(self) -> str:
        path = self.log_dir / "messages.log"
        return path.read_text("utf-8", "replace") if path.exists() else ""

    def channels(self) -> list[str]:
        """Live channel names (`core show channels concise`)."""
        out = self.cli("core show channels concise")
        return [line.split("!")[0] for line in out.splitlines() if "!" in line]

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            self.cli("core stop now", timeout=5)
            self.proc.wait(10)
        except (subprocess.SubprocessError, OSError):
            self.kill()

    def __enter__(self) -> RealAsterisk:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def service_process(pbx: RealAsterisk, root: Path, *, port: int | None = None, log_level: str = "info",
                    settings: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """`hotline run` as an operator starts it, against ``pbx``: its own process, the journal in
    ``root`` (migrated beforehand), production mode, transcription off unless ``settings``
    (HOTLINE_* variables) say otherwise, JSON logs in ``root/service.log``."""
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.update({
        "HOTLINE_DATABASE_URL": f"sqlite+aiosqlite:///{root}/journal.sqlite3",
        "HOTLINE_RECORDINGS_DIR": str(root / "files"), "HOTLINE_ASR_BACKEND": "none",
        "HOTLINE_ARI_URL": pbx.ari_url, "HOTLINE_ARI_USERNAME": "hotline", "HOTLINE_ARI_PASSWORD": pbx.secrets.ari,
        "HOTLINE_AMI_HOST": "127.0.0.1", "HOTLINE_AMI_PORT": str(pbx.ports.ami), "HOTLINE_AMI_USERNAME": "hotline",
        "HOTLINE_AMI_PASSWORD": pbx.secrets.ami, "HOTLINE_SERVER_DEMO": "false",
        "HOTLINE_SERVER_SECRET_KEY": secrets.token_urlsafe(48), "HOTLINE_SERVER_PORT": str(port or free_port()),
        "HOTLINE_LOGGING_FORMAT": "json", "HOTLINE_LOGGING_LEVEL": log_level,
    })
    env.update(settings or {})
    log = open(root / "service.log", "ab")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen([sys.executable, "-m", "cti.app.cli", "run"], env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True, cwd=REPO)
    log.close()
    return proc


@contextmanager
def running(*pbxs: RealAsterisk) -> Iterator[None]:
    """Start each Asterisk; stop them all on the way out, also when one of them failed to start."""
    try:
        for pbx in pbxs:
            pbx.start()
        yield
    finally:
        for pbx in pbxs:
            pbx.stop()
