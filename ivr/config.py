"""Settings of the telephony layer (ARI, AMI, speech). They live here, not in cti, so that ivr
never imports upward; cti.settings assembles them with the rest."""

from __future__ import annotations

from dataclasses import dataclass

from journal.redacted import Secret, SecretUrl


@dataclass
class AriSettings:
    # Empty url: no Asterisk configured; the service starts the stand-in (demo mode).
    url: str = SecretUrl("")
    username: str = "hotline"
    password: str = Secret("")
    app: str = "hotline"
    # The Asterisk node's name: the journal keys a call by node and channel id (two nodes number
    # their channels alike). One [ari] is node "main"; [[nodes]] name theirs (cti/settings.py).
    node: str = "main"
    reconnect_max_seconds: float = 30.0
    request_timeout_seconds: float = 10.0

    def __post_init__(self) -> None:
        # Built in code too (the stand-in's settings): secrets stay redacted in any repr.
        self.url, self.password = SecretUrl(self.url), Secret(self.password)


@dataclass
class AmiSettings:
    host: str = ""
    port: int = 5038
    username: str = "hotline"
    password: str = Secret("")
    ping_interval_seconds: float = 10.0
    action_timeout_seconds: float = 10.0

    def __post_init__(self) -> None:
        self.password = Secret(self.password)


@dataclass
class AsrSettings:
    backend: str = "local"  # local | server | none
    model_dir: str = "asr_models/vosk-model-small-ru-0.22"
    server_url: str = "ws://127.0.0.1:2700"
    workers: int = 2
    max_attempts: int = 3
    # Decoder search of the local backend; 0 keeps the model's own conf/model.conf value.
    # Narrower (lower max_active, beam) is faster and less exact: bench/asr_bench.py --decoder.
    max_active: int = 0
    beam: float = 0.0
    lattice_beam: float = 0.0
    # Understand the recording during the call: one confirming question when the words are
    # unclear, a dispatcher when they may tell of an emergency (ivr/flow/understanding.py).
    confirm_understanding: bool = False
    # Decode callers' recordings inside the service. false: `hotline worker` processes do it
    # (docs/scaling.md) and the service loads no model; a "server" backend still answers the
    # voice menu's short spoken choices.
    in_process: bool = True
    # A worker's hold on a job it decodes, renewed three times a lease; a job whose worker died
    # goes to another once its lease has run out.
    lease_seconds: float = 60.0
