"""config/asterisk/render-config.sh: templates get the environment's secrets, or it stops."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.asterisk_config.asterisk_conf import parse_file
from tests.asterisk_config.paths import CONF_DIR, DIALPLAN

SCRIPT = CONF_DIR / "render-config.sh"
pytestmark = pytest.mark.skipif(shutil.which("envsubst") is None, reason="needs envsubst (gettext-base)")


def variables() -> set[str]:
    names: set[str] = set()
    for template in CONF_DIR.glob("*.conf.template"):
        names |= set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", template.read_text(encoding="utf-8")))
    return names


def render(dest: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", str(SCRIPT), str(CONF_DIR), str(DIALPLAN.parent), "--dest", str(dest)],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_renders_every_template_with_the_environment(tmp_path: Path) -> None:
    env = {name: f"value-of-{name.lower()}$x" for name in variables()}
    result = render(tmp_path, env)
    assert result.returncode == 0, result.stderr
    rendered = {p.name for p in tmp_path.iterdir()}
    assert {"ari.conf", "manager.conf", "pjsip.conf", "extensions.conf", "modules.conf"} <= rendered
    for path in tmp_path.iterdir():
        text = path.read_text(encoding="utf-8")
        if path.name != "extensions.conf":  # dialplan variables are Asterisk's, untouched
            assert not re.search(r"\$\{[A-Z_0-9]+\}", text), path.name
        parse_file(path)
    assert "password = value-of-hotline_ari_password$x" in (tmp_path / "ari.conf").read_text(encoding="utf-8")
    assert "${EXTEN}" in (tmp_path / "extensions.conf").read_text(encoding="utf-8")
    assert (tmp_path / "pjsip.conf").stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize("bad", ["", "with;semicolon"])
def test_refuses_a_missing_or_unsafe_value(tmp_path: Path, bad: str) -> None:
    env = {name: "ok" for name in variables()}
    env["HOTLINE_ARI_PASSWORD"] = bad
    result = render(tmp_path, env)
    assert result.returncode != 0
    assert "HOTLINE_ARI_PASSWORD" in result.stderr
