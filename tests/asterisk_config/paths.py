from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONF_DIR = ROOT / "config" / "asterisk"
DIALPLAN = ROOT / "dialplans" / "extensions.conf"
# The dialplan's half of the city trunk: #included inside [globals] of extensions.conf.
DIALPLAN_TRUNK = ROOT / "dialplans" / "extensions_trunk.conf.template"
COMPOSE = ROOT / "docker-compose.asterisk.yml"

# Files #included inside a section of another file, with the section they continue.
_INCLUDED_IN = {DIALPLAN_TRUNK.name: "globals", "extensions_trunk.conf": "globals",
                "extensions_nodes.conf.template": "globals", "extensions_nodes.conf": "globals"}


def conf_files() -> list[Path]:
    return sorted([*CONF_DIR.glob("*.conf"), *CONF_DIR.glob("*.conf.template"), DIALPLAN, DIALPLAN_TRUNK])


def templates() -> list[Path]:
    """Every file render-config.sh renders from the environment."""
    return sorted([*CONF_DIR.glob("*.conf.template"), *DIALPLAN.parent.glob("*.conf.template")])


def included_in(path: Path) -> str | None:
    """The section ``path`` continues when it is #included inside one, else None."""
    return _INCLUDED_IN.get(path.name)


def conf(name: str) -> Path:
    """config/asterisk/NAME, whether kept as is or as a template."""
    plain = CONF_DIR / name
    return plain if plain.exists() else CONF_DIR / f"{name}.template"


def asterisklint() -> str | None:
    """The asterisklint command, when installed (beside this Python or on PATH)."""
    beside = Path(sys.executable).with_name("asterisklint")
    return str(beside) if beside.exists() else shutil.which("asterisklint")
