"""Configuration of the stand-in: credentials, ports, extensions, and its clock's speed."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pbxsim.media import DEFAULT_SOUNDS


@dataclass
class Extension:
    """A phone on the PBX. ``answer_after`` None: never answers; ``talk_seconds`` None: talks until
    the other side hangs up; ``registered`` False: no phone behind the account (ringing it as
    PJSIP/<number> answers 500 "Allocation failed"); ``busy``: the phone refuses the call (486)."""

    number: str
    role: str = "dispatcher"  # dispatcher | executor
    answer_after: float | None = 1.0
    talk_seconds: float | None = None
    registered: bool = True
    busy: bool = False

    @property
    def context(self) -> str:
        return "dispatchers" if self.role == "dispatcher" else "executors"


def default_extensions() -> dict[str, Extension]:
    return {
        "101": Extension("101"), "102": Extension("102"),
        "201": Extension("201", role="executor"),
    }


@dataclass
class SimConfig:
    host: str = "127.0.0.1"
    ari_port: int = 0  # 0: any free port
    ami_port: int = 0
    ari_user: str = "hotline"
    ari_password: str = "hotline-secret"
    ami_user: str = "hotline"
    ami_password: str = "hotline-secret"
    recordings_dir: Path = Path("var/pbxsim-recordings")
    time_scale: float = 1.0  # 0.05: every simulated second lasts 50 ms
    app: str = "hotline"
    hotline_context: str = "hotline-in"
    hotline_exten: str = "112"
    sounds: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_SOUNDS))
    extensions: dict[str, Extension] = field(default_factory=default_extensions)
    keep_logs: bool = True
    # The /_sim/* control API answers loopback peers with this token (X-Sim-Token) only; empty:
    # PBXSIM_CONTROL_TOKEN or a random one, written to control_token_file (mode 0600) if set.
    control_token: str = ""
    control_token_file: Path | None = None
