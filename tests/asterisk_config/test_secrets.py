"""No secret is written in the repository's Asterisk and compose files: every password
is a ${VARIABLE} filled from the environment at deploy time."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.asterisk_config.asterisk_conf import parse_file
from tests.asterisk_config.paths import COMPOSE, CONF_DIR, ROOT, conf_files, included_in

SECRET_KEYS = re.compile(r"(password|secret|passwd|token|md5_cred)$", re.I)
REFERENCE = re.compile(r"^\$\{[A-Z][A-Z0-9_]*\}$")


@pytest.mark.parametrize("path", conf_files(), ids=lambda p: p.name)
def test_conf_secrets_are_environment_references(path: Path) -> None:
    for section in parse_file(path, section=included_in(path)):
        for entry in section.entries:
            if SECRET_KEYS.search(entry.key) and entry.key != "password_format":
                assert REFERENCE.match(entry.value), f"{path.name}:{entry.line}: literal {entry.key}"


def test_only_templates_carry_secrets() -> None:
    for path in CONF_DIR.glob("*.conf"):
        for section in parse_file(path):
            assert not [e for e in section.entries if SECRET_KEYS.search(e.key) and e.key != "password_format"], path


def test_compose_takes_secrets_from_the_environment() -> None:
    # Required ones as ${NAME:?message}; optional ones (the city trunk's) as ${NAME:-} with
    # nothing after the dash: a default would be a password in the repository.
    for number, line in enumerate(COMPOSE.read_text(encoding="utf-8").splitlines(), 1):
        match = re.match(r"\s+([A-Z0-9_]*(PASSWORD|SECRET)[A-Z0-9_]*):\s*(.*)$", line)
        if match:
            assert re.fullmatch(r"\$\{[A-Z0-9_]+(:\?[^}]*|:-)?\}", match.group(3)), f"compose line {number}"


def test_the_trunk_password_is_a_template_secret() -> None:
    trunk = CONF_DIR / "pjsip_trunk.conf.template"
    secrets = [e.value for s in parse_file(trunk) for e in s.entries if SECRET_KEYS.search(e.key)]
    assert secrets == ["${HOTLINE_TRUNK_PASSWORD}"]
    # Nowhere else: not in the dialplan's globals, where `dialplan show` would print it.
    for path in conf_files():
        if path != trunk:
            assert "HOTLINE_TRUNK_PASSWORD" not in path.read_text(encoding="utf-8"), path


def test_env_example_has_no_values() -> None:
    for line in (CONF_DIR / "env.example").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            assert line.endswith("="), line


def test_no_known_sample_secrets_anywhere() -> None:
    # Asterisk's sample configs and tutorials; seen in real leaks of PBX configs.
    samples = re.compile(r"\b(mysecret|asterisk123|changeme|secret123|supersecret)\b", re.I)
    files = [*conf_files(), COMPOSE, *CONF_DIR.glob("*.sh"), CONF_DIR / "Dockerfile", ROOT / "docs" / "asterisk.md"]
    for path in files:
        if path.exists():
            assert not samples.search(path.read_text(encoding="utf-8")), path
