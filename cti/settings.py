"""Settings: defaults in code, then ``config/hotline.toml``, then ``HOTLINE_*`` variables.

Every value is typed by its default. A key the code does not know, or a value of the wrong
type, is a :class:`SettingsError` that names the key, so a typo in the TOML file or in an
environment variable stops the service at start-up instead of being silently ignored.

Environment variables are ``HOTLINE_<SECTION>_<KEY>``, e.g. ``HOTLINE_DATABASE_URL`` or
``HOTLINE_ARI_PASSWORD``; ``HOTLINE_CONFIG`` names another TOML file.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cti.node_settings import ClusterSettings, NodeSettings, parse_nodes, single_node
from ivr.config import AmiSettings, AriSettings, AsrSettings
from journal.redacted import Secret, SecretUrl

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = PROJECT_ROOT / "config" / "hotline.toml"


# HOTLINE_* variables that are not settings of the service.
NOT_SETTINGS = frozenset({"HOTLINE_CONFIG", "HOTLINE_NEW_PASSWORD", "HOTLINE_ADMIN_LOGIN", "HOTLINE_ADMIN_PASSWORD"})


class SettingsError(Exception):
    """A setting is missing, unknown or of the wrong type; the message names it."""


@dataclass
class DatabaseSettings:
    url: str = SecretUrl("sqlite+aiosqlite:///var/hotline.sqlite3")
    echo: bool = False


@dataclass
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = ""
    secret_key: str = Secret("")
    # Production by default: demo mode (published passwords, the stand-in PBX) is asked for
    # explicitly (`make run` does, with HOTLINE_SERVER_DEMO=true).
    demo: bool = False
    # A session outlives a 24-hour shift (with time to log in before it starts).
    session_hours: float = 26.0
    # Addresses (or networks, "10.0.0.0/8") of reverse proxies whose X-Forwarded-For and
    # X-Forwarded-Proto are believed; empty: the peer address is the client.
    trusted_proxies: str = ""
    # Secure cookies even without an https public_url (a TLS proxy that sends no X-Forwarded-Proto).
    secure_cookies: bool = False
    # Websockets: at most this many per user and in all.
    ws_per_user: int = 10
    ws_total: int = 1000
    # A connection that sends no complete request (headers included) within this time is closed.
    idle_timeout_seconds: float = 15.0
    # The Asterisk stand-in started in demo mode when no ari.url is set; `hotline call` finds it
    # on standin_ari_port (0: any free port).
    standin_ari_port: int = 8088
    standin_ami_port: int = 5038
    # Where the stand-in keeps its recordings and the token `hotline call` presents to it
    # (`hotline call --sim-token-file` when this is moved).
    standin_recordings_dir: str = "var/pbxsim-recordings"
    standin_token_file: str = "var/pbxsim-token"
    # The event loop waking up this late is logged (loop.lag): Asterisk drops an events reader
    # that stops reading for ~100 ms (ivr/looplag.py).
    loop_lag_warn_ms: float = 50.0


@dataclass
class RecordingsSettings:
    # "filesystem": files under `dir` (shared over NFS for several machines); "s3": an
    # S3-compatible bucket (needs requirements-s3.lock), see docs/scaling.md.
    backend: str = "filesystem"
    dir: str = "var/recordings"
    retention_days: int = 3 * 365
    s3_endpoint: str = ""  # e.g. https://storage.yandexcloud.net or http://minio:9000; empty: AWS
    s3_bucket: str = ""
    s3_region: str = "us-east-1"
    s3_prefix: str = ""  # e.g. "recordings/"
    s3_access_key: str = Secret("")  # HOTLINE_RECORDINGS_S3_ACCESS_KEY; empty: botocore's own chain
    s3_secret_key: str = Secret("")  # HOTLINE_RECORDINGS_S3_SECRET_KEY


@dataclass
class VoiceSettings:
    # Where prompts changed on the administrator's voice menu page are installed. With a real
    # Asterisk: the directory it reads as sounds/ru/hotline (docs/operations.md); a prompt not
    # changed there is served from ivr/prompts, where scripts/make_prompts.py writes.
    prompts_dir: str = "var/prompts"


@dataclass
class JournalSettings:
    timezone: str = "Europe/Moscow"
    sla_file: str = "config/sla.toml"
    repeat_window_minutes: int = 24 * 60
    missed_callback_minutes: int = 10
    number_width: int = 6


@dataclass
class QualitySettings:
    checklist_file: str = "config/quality.toml"
    retention_check_hours: float = 24.0


@dataclass
class FeedbackSettings:
    """Residents' feedback calls after a ticket's work is done."""

    enabled: bool = True
    attempts: int = 3
    first_delay_minutes: int = 5
    retry_minutes: int = 120
    window_start: str = "09:00"  # local time of the service
    window_end: str = "21:00"
    ring_seconds: int = 30
    endpoint: str = "Local/{number}@callback-out"
    poll_seconds: float = 10.0


@dataclass
class NotifySettings:
    """Status notifications to residents through an outbound webhook (an SMS gateway, a bot)."""

    webhook_url: str = SecretUrl("")
    min_interval_seconds: int = 600
    timeout_seconds: float = 5.0
    poll_seconds: float = 5.0


@dataclass
class DispatchersSettings:
    """How the voice menu rings a dispatcher's phone."""

    # The channel the service originates to ring one dispatcher; {ext} is the extension. The
    # default goes through the `dispatchers` context of dialplans/extensions.conf, so an
    # Asterisk whose phones are named otherwise only changes its dialplan. "PJSIP/{ext}"
    # rings the phone directly.
    ring_endpoint: str = "Local/{ext}@dispatchers"
    # One phone rings this long before the next free dispatcher is tried...
    ring_each_seconds: int = 15
    # ...for at most this long in all, then the caller is offered to leave a message.
    ring_seconds: int = 60
    # A caller waiting behind others (every dispatcher busy) hears their place in the queue after
    # this long, and again when it changed, at most this often.
    queue_position_after_seconds: float = 8.0
    queue_position_every_seconds: float = 30.0
    # The dispatchers' shift changes, local time (comma-separated): «Передача смены» sums up
    # the shift from the last of them.
    shift_changes: str = "08:00,20:00"


@dataclass
class CallbackSettings:
    """A dispatcher's "call back" to a resident: who may be dialled and how often."""

    # Only numbers the journal knows as residents' (a ticket's caller, a missed call) unless
    # this is true; allowed_numbers adds single numbers ("79161234567, 74951234567").
    allow_any_number: bool = False
    allowed_numbers: str = ""
    per_dispatcher_per_hour: int = 30
    total_per_hour: int = 200


@dataclass
class OutagesSettings:
    # The dispatchers' shift changes (local time, comma-separated): an outage declared without
    # an expiry stops being announced at the next one.
    shift_changes: str = "08:00,20:00"
    # «Похоже на массовую аварию»: this many calls of one category from one street ...
    suggest_calls: int = 5
    # ... within this many minutes.
    suggest_minutes: int = 30


@dataclass
class TrainingSettings:
    # The training library: one scripted call per *.toml file (cti/training/scenarios.py).
    scenarios_dir: str = "config/training"
    # The recordings of test calls placed from the console («Тестовый звонок»).
    test_calls_dir: str = "var/test-calls"


@dataclass
class ConsoleSettings:
    # memory: the consoles of one instance (SQLite, one node); postgres: every console message
    # through the journal's outbox table, so a console on any instance sees every instance's calls.
    bus: str = "memory"
    # The outbox is read at least this often (NOTIFY wakes the readers sooner).
    poll_seconds: float = 1.0
    # Outbox rows kept for a console's replay after a reconnect: this long and at most this many.
    keep_minutes: float = 10.0
    keep_rows: int = 100_000


@dataclass
class LoggingSettings:
    level: str = "info"
    format: str = "auto"  # auto | console | json


@dataclass
class Settings:
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    ari: AriSettings = field(default_factory=AriSettings)
    ami: AmiSettings = field(default_factory=AmiSettings)
    recordings: RecordingsSettings = field(default_factory=RecordingsSettings)
    asr: AsrSettings = field(default_factory=AsrSettings)
    journal: JournalSettings = field(default_factory=JournalSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    quality: QualitySettings = field(default_factory=QualitySettings)
    feedback: FeedbackSettings = field(default_factory=FeedbackSettings)
    notify: NotifySettings = field(default_factory=NotifySettings)
    dispatchers: DispatchersSettings = field(default_factory=DispatchersSettings)
    callback: CallbackSettings = field(default_factory=CallbackSettings)
    voice: VoiceSettings = field(default_factory=VoiceSettings)
    outages: OutagesSettings = field(default_factory=OutagesSettings)
    training: TrainingSettings = field(default_factory=TrainingSettings)
    cluster: ClusterSettings = field(default_factory=ClusterSettings)
    # [[nodes]]: the Asterisk nodes (cti/node_settings.py); none: [ari]/[ami] are node "main".
    nodes: list[NodeSettings] = field(default_factory=list)

    def asterisk_nodes(self) -> list[NodeSettings]:
        return self.nodes or [single_node(self.ari, self.ami)]

    def pbx_configured(self) -> bool:
        """A real Asterisk is set (else demo mode runs the stand-in)."""
        return bool(self.nodes or self.ari.url)
    console: ConsoleSettings = field(default_factory=ConsoleSettings)

    def database_url(self) -> str:
        """The database URL, a relative SQLite file taken from the project root."""
        url = self.database.url
        prefix = "sqlite+aiosqlite:///"
        if url.startswith(prefix) and not url[len(prefix):].startswith(("/", ":memory:", "file:")):
            return prefix + str(self.path(url[len(prefix):]))
        return url

    def path(self, value: str) -> Path:
        """A path setting, relative paths taken from the project root."""
        p = Path(value)
        return p if p.is_absolute() else PROJECT_ROOT / p


def _convert(key: str, raw: Any, default: Any) -> Any:
    kind = type(default)
    if kind is bool:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in {"1", "true", "yes", "on", "0", "false", "no", "off"}:
            return raw.lower() in {"1", "true", "yes", "on"}
    elif kind is int:
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if isinstance(raw, str):
            try:
                return int(raw)
            except ValueError:
                pass
    elif kind is float:
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            return float(raw)
        if isinstance(raw, str):
            try:
                return float(raw)
            except ValueError:
                pass
    elif issubclass(kind, str):
        if isinstance(raw, str):
            return kind(raw)  # Secret / SecretUrl stay redacted in any repr
    raise SettingsError(f"setting {key!r}: expected {kind.__name__}, got {raw!r}")


def _apply(settings: Settings, values: Mapping[str, Any], origin: str) -> None:
    for section_name, section_values in values.items():
        section = getattr(settings, section_name, None)
        if section is None or not dataclasses.is_dataclass(section):
            raise SettingsError(f"{origin}: unknown section [{section_name}]")
        if not isinstance(section_values, Mapping):
            raise SettingsError(f"{origin}: [{section_name}] must be a table")
        for key, raw in section_values.items():
            full = f"{section_name}.{key}"
            if not hasattr(section, key):
                raise SettingsError(f"{origin}: unknown setting {full!r}")
            setattr(section, key, _convert(full, raw, getattr(section, key)))


def _from_env(settings: Settings, environ: Mapping[str, str]) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    sections = [f.name for f in dataclasses.fields(settings)]
    for name, value in environ.items():
        if not name.startswith("HOTLINE_") or name in NOT_SETTINGS or name.startswith("HOTLINE_TEST_"):
            continue
        rest = name[len("HOTLINE_"):].lower()
        for section in sections:
            if rest.startswith(section + "_"):
                found.setdefault(section, {})[rest[len(section) + 1:]] = value
                break
        else:
            raise SettingsError(f"environment: unknown setting {name}")
    return found


def load_settings(
    config_file: Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Defaults, overlaid by the TOML file (if present), overlaid by the environment."""
    environ = os.environ if environ is None else environ
    settings = Settings()
    node_tables: Any = []
    explicit = config_file or (Path(environ["HOTLINE_CONFIG"]) if "HOTLINE_CONFIG" in environ else None)
    path = explicit or DEFAULT_CONFIG
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{path}: {exc}") from exc
        node_tables = data.pop("nodes", [])
        if not isinstance(node_tables, list):
            raise SettingsError(f"{path}: nodes must be [[nodes]] tables, one per Asterisk node")
        _apply(settings, data, str(path))
    elif explicit is not None:
        raise SettingsError(f"config file {path} does not exist")
    env = _from_env(settings, environ)
    node_env = env.pop("nodes", {})
    _apply(settings, env, "environment")
    if node_tables or node_env:
        settings.nodes = parse_nodes(node_tables, node_env, ari=settings.ari, ami=settings.ami, convert=_convert,
                                     fail=SettingsError, origin=str(path))
    _validate(settings)
    return settings


def _validate(settings: Settings) -> None:
    if settings.asr.backend not in {"local", "server", "none"}:
        raise SettingsError(f"setting 'asr.backend': expected local, server or none, got {settings.asr.backend!r}")
    for name in ("max_active", "beam", "lattice_beam", "workers"):
        if getattr(settings.asr, name) < 0:
            raise SettingsError(f"setting 'asr.{name}': expected 0 (the model's own) or more, "
                                f"got {getattr(settings.asr, name)!r}")
    if settings.asr.lease_seconds < 3:
        raise SettingsError(f"setting 'asr.lease_seconds': expected 3 or more, got {settings.asr.lease_seconds!r}")
    if settings.logging.format not in {"auto", "console", "json"}:
        raise SettingsError(f"setting 'logging.format': expected auto, console or json, got {settings.logging.format!r}")
    if settings.ari.url and not settings.ari.password:
        raise SettingsError("setting 'ari.password' is missing (set HOTLINE_ARI_PASSWORD) while 'ari.url' is set")
    if settings.ami.host and not settings.ami.password:
        raise SettingsError("setting 'ami.password' is missing (set HOTLINE_AMI_PASSWORD) while 'ami.host' is set")
    if not settings.server.demo and not settings.server.secret_key:
        raise SettingsError("setting 'server.secret_key' is missing (set HOTLINE_SERVER_SECRET_KEY) outside demo mode; "
                            f"make one with: {MAKE_KEY}")
    if settings.server.secret_key and (problem := weak_secret_key(settings.server.secret_key)):
        raise SettingsError(f"setting 'server.secret_key' {problem}; make one with: {MAKE_KEY}")
    _validate_console(settings)
    if settings.server.session_hours <= 0:
        raise SettingsError("setting 'server.session_hours': expected more than 0")
    if settings.cluster.claim_interval_seconds <= 0:
        raise SettingsError("setting 'cluster.claim_interval_seconds': expected more than 0")
    names = [n.name for n in settings.asterisk_nodes()]
    if unknown := [n.strip() for n in settings.cluster.preferred_nodes.split(",") if n.strip() not in ("", *names)]:
        raise SettingsError(f"setting 'cluster.preferred_nodes': no node named {', '.join(unknown)} "
                            f"(the nodes are {', '.join(names)})")
    r = settings.recordings
    if r.backend not in {"filesystem", "s3"}:
        raise SettingsError(f"setting 'recordings.backend': expected filesystem or s3, got {r.backend!r}")
    if r.backend == "s3" and not r.s3_bucket:
        raise SettingsError("setting 'recordings.s3_bucket' is missing while 'recordings.backend' is \"s3\"")
    if r.backend == "s3" and bool(r.s3_access_key) != bool(r.s3_secret_key):
        raise SettingsError("settings 'recordings.s3_access_key' and 'recordings.s3_secret_key' go together "
                            "(set both, or neither to use the machine's own AWS credentials)")


def _validate_console(settings: Settings) -> None:
    console = settings.console
    if console.bus not in {"memory", "postgres"}:
        raise SettingsError(f"setting 'console.bus': expected memory or postgres, got {console.bus!r}")
    if console.bus == "postgres" and not settings.database.url.startswith("postgresql"):
        raise SettingsError("setting 'console.bus' is \"postgres\" but the journal is not on PostgreSQL "
                            "(database.url): the console bus across instances needs the shared PostgreSQL "
                            "journal; use bus = \"memory\" with SQLite")
    if console.poll_seconds <= 0 or console.keep_minutes <= 0 or console.keep_rows < 1:
        raise SettingsError("settings 'console.poll_seconds', 'console.keep_minutes' and 'console.keep_rows' "
                            "must be above 0")


MAKE_KEY = "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
MIN_KEY_CHARS = 32


def weak_secret_key(key: str) -> str | None:
    """Why a session key is too weak to sign sessions, or None. The key is not the signing key
    itself (that is derived with HKDF) but a guessable one makes every cookie an offline oracle."""
    if len(key) < MIN_KEY_CHARS:
        return f"is too short ({len(key)} characters; at least {MIN_KEY_CHARS} random ones)"
    if len(set(key)) < 12:
        return "is not random (too few different characters)"
    return None
