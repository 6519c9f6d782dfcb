"""config/asterisk/render-config.sh: templates get the environment's secrets, or it stops;
the city trunk is rendered when HOTLINE_TRUNK_HOST is set, and is then complete."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.asterisk_config.asterisk_conf import Section, dialplan_globals, parse_file, resolved
from tests.asterisk_config.paths import CONF_DIR, DIALPLAN, asterisklint, included_in, templates
from tests.tools import needs_programs

SCRIPT = CONF_DIR / "render-config.sh"
pytestmark = needs_programs("envsubst")

TRUNK_REQUIRED = {"HOTLINE_TRUNK_HOST", "HOTLINE_TRUNK_USER", "HOTLINE_TRUNK_PASSWORD", "HOTLINE_PUBLIC_NUMBER"}
TRUNK_OPTIONAL = {"HOTLINE_TRUNK_FROM", "HOTLINE_TRUNK_PROXY", "HOTLINE_TRUNK_PREFIX"}


def variables() -> set[str]:
    names: set[str] = set()
    for template in templates():
        names |= set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", template.read_text(encoding="utf-8")))
    return names


def base_env() -> dict[str, str]:
    """Every variable but the trunk's."""
    return dict.fromkeys(variables() - TRUNK_REQUIRED - TRUNK_OPTIONAL, "ok")


TRUNK = {
    "HOTLINE_TRUNK_HOST": "sip.telecom.example",
    "HOTLINE_TRUNK_USER": "74950000000",
    "HOTLINE_TRUNK_PASSWORD": "trunk-pass",
    "HOTLINE_PUBLIC_NUMBER": "74951112233",
}


def render(dest: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", str(SCRIPT), str(CONF_DIR), str(DIALPLAN.parent), "--dest", str(dest)],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        check=False,
    )


def trunk_sections(dest: Path) -> dict[str, dict[str, str]]:
    """The trunk's sections by type, as Asterisk reads pjsip.conf with its include."""
    sections = parse_file(dest / "pjsip.conf")
    return {v["type"]: {"name": s.name, **v} for s in sections if s.name.startswith("city-trunk")
            for v in [resolved(sections, s)]}


def lint(path: Path) -> None:
    tool = asterisklint()
    if tool is not None:
        result = subprocess.run([tool, "dialplan-check", str(path)], capture_output=True, text=True,
                                cwd=path.parent, check=False)
        assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_renders_every_template_with_the_environment(tmp_path: Path) -> None:
    env = {name: f"value-of-{name.lower()}$x" for name in variables()}
    result = render(tmp_path, env)
    assert result.returncode == 0, result.stderr
    rendered = {p.name for p in tmp_path.iterdir()}
    assert {"ari.conf", "manager.conf", "pjsip.conf", "pjsip_trunk.conf", "extensions.conf",
            "extensions_trunk.conf", "modules.conf"} <= rendered
    for path in tmp_path.iterdir():
        text = path.read_text(encoding="utf-8")
        if path.name != "extensions.conf":  # dialplan variables are Asterisk's, untouched
            assert not re.search(r"\$\{[A-Z_0-9]+\}", text), path.name
        parse_file(path, section=included_in(path))
    assert "password = value-of-hotline_ari_password$x" in (tmp_path / "ari.conf").read_text(encoding="utf-8")
    assert "${EXTEN}" in (tmp_path / "extensions.conf").read_text(encoding="utf-8")
    for name in ("pjsip.conf", "pjsip_trunk.conf"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize("variable", ["HOTLINE_ARI_PASSWORD", "HOTLINE_TRUNK_PASSWORD"])
@pytest.mark.parametrize("bad", ["", "with;semicolon"])
def test_refuses_a_missing_or_unsafe_value(tmp_path: Path, variable: str, bad: str) -> None:
    env = dict.fromkeys(variables(), "ok")
    env[variable] = bad
    result = render(tmp_path, env)
    assert result.returncode != 0
    assert variable in result.stderr


def _sections_with_settings(path: Path) -> list[Section]:
    return [s for s in parse_file(path, section=included_in(path)) if s.entries]


def test_without_a_trunk_nothing_of_it_is_rendered(tmp_path: Path) -> None:
    result = render(tmp_path, base_env())
    assert result.returncode == 0, result.stderr
    # Written all the same, so that a trunk from an earlier start does not linger.
    for name in ("pjsip_trunk.conf", "extensions_trunk.conf"):
        assert not _sections_with_settings(tmp_path / name)
        assert "HOTLINE_TRUNK_HOST is not set" in (tmp_path / name).read_text(encoding="utf-8")
    assert trunk_sections(tmp_path) == {}
    assert dialplan_globals(parse_file(tmp_path / "extensions.conf"))["CITY_TRUNK"] == ""
    lint(tmp_path / "extensions.conf")


def test_a_trunk_is_rendered_complete(tmp_path: Path) -> None:
    result = render(tmp_path, {**base_env(), **TRUNK})
    assert result.returncode == 0, result.stderr
    trunk = trunk_sections(tmp_path)
    assert set(trunk) == {"auth", "registration", "aor", "endpoint", "identify"}
    assert (trunk["auth"]["username"], trunk["auth"]["password"]) == ("74950000000", "trunk-pass")
    assert trunk["registration"]["server_uri"] == "sip:sip.telecom.example"
    assert trunk["registration"]["client_uri"] == "sip:74950000000@sip.telecom.example"
    assert trunk["aor"]["contact"] == "sip:sip.telecom.example"
    assert trunk["identify"]["match"] == "sip.telecom.example"
    assert trunk["endpoint"]["context"] == "hotline-in"
    # The optional settings left out, not rendered empty.
    for section in trunk.values():
        assert "outbound_proxy" not in section and "from_user" not in section
    globals_ = dialplan_globals(parse_file(tmp_path / "extensions.conf"))
    assert (globals_["CITY_TRUNK"], globals_["HOTLINE_PUBLIC_NUMBER"], globals_["TRUNK_PREFIX"]) == (
        trunk["endpoint"]["name"], "74951112233", "7")
    lint(tmp_path / "extensions.conf")


def test_optional_trunk_settings(tmp_path: Path) -> None:
    env = {**base_env(), **TRUNK, "HOTLINE_TRUNK_FROM": "login42", "HOTLINE_TRUNK_PROXY": "proxy.telecom.example",
           "HOTLINE_TRUNK_PREFIX": "8"}
    result = render(tmp_path, env)
    assert result.returncode == 0, result.stderr
    trunk = trunk_sections(tmp_path)
    assert trunk["endpoint"]["from_user"] == "login42"
    for kind in ("registration", "aor", "endpoint"):
        assert trunk[kind]["outbound_proxy"] == "sip:proxy.telecom.example;lr"
    assert dialplan_globals(parse_file(tmp_path / "extensions.conf"))["TRUNK_PREFIX"] == "8"


@pytest.mark.parametrize(
    ("unset", "named"),
    [
        ("HOTLINE_TRUNK_HOST", "HOTLINE_TRUNK_HOST"),  # the rest set: half a trunk is a mistake
        ("HOTLINE_TRUNK_PASSWORD", "HOTLINE_TRUNK_PASSWORD"),
        ("HOTLINE_TRUNK_USER", "HOTLINE_TRUNK_USER"),
        ("HOTLINE_PUBLIC_NUMBER", "HOTLINE_PUBLIC_NUMBER"),
    ],
)
def test_half_a_trunk_is_refused(tmp_path: Path, unset: str, named: str) -> None:
    env = {**base_env(), **TRUNK}
    del env[unset]
    result = render(tmp_path, env)
    assert result.returncode != 0
    assert named in result.stderr


def test_an_optional_setting_without_a_trunk_is_refused(tmp_path: Path) -> None:
    result = render(tmp_path, {**base_env(), "HOTLINE_TRUNK_PROXY": "proxy.telecom.example"})
    assert result.returncode != 0
    assert "HOTLINE_TRUNK_PROXY is set but HOTLINE_TRUNK_HOST is not" in result.stderr


def test_a_removed_trunk_is_gone_after_the_next_render(tmp_path: Path) -> None:
    assert render(tmp_path, {**base_env(), **TRUNK}).returncode == 0
    assert trunk_sections(tmp_path)
    assert render(tmp_path, base_env()).returncode == 0
    assert trunk_sections(tmp_path) == {}
    assert dialplan_globals(parse_file(tmp_path / "extensions.conf"))["CITY_TRUNK"] == ""
