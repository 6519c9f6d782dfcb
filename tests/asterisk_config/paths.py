from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONF_DIR = ROOT / "config" / "asterisk"
DIALPLAN = ROOT / "dialplans" / "extensions.conf"
COMPOSE = ROOT / "docker-compose.asterisk.yml"


def conf_files() -> list[Path]:
    return sorted([*CONF_DIR.glob("*.conf"), *CONF_DIR.glob("*.conf.template"), DIALPLAN])


def conf(name: str) -> Path:
    """config/asterisk/NAME, whether kept as is or as a template."""
    plain = CONF_DIR / name
    return plain if plain.exists() else CONF_DIR / f"{name}.template"
