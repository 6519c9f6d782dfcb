"""docker-compose.cluster.yml, read as Docker would (no engine here): every file it mounts or
builds from exists, every variable it needs is documented, each Asterisk node renders with
every variable of the shipped templates, and the service instances' environment loads as
settings naming both nodes at the compose services that run them."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from cti.settings import load_settings
from tests.conftest import REPO

COMPOSE = REPO / "docker-compose.cluster.yml"
ENV_EXAMPLE = REPO / "config" / "cluster.env.example"
VARIABLE = re.compile(r"\$\{([A-Z][A-Z0-9_]*)(?::?[-?]([^}]*))?\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def _value(name: str) -> str:
    """The test value of a required variable (random enough for a session key)."""
    return f"{name.lower()}-{hashlib.sha256(name.encode()).hexdigest()[:32]}"


def _resolved(value: str) -> str:
    """A value as compose would give it with every required variable set (to a test value)."""
    return VARIABLE.sub(lambda m: m.group(2) if ":-" in m.group(0) else _value(m.group(1)), value)


def _env(service: dict[str, Any]) -> dict[str, str]:
    return {k: _resolved(str(v)) for k, v in service.get("environment", {}).items()}


def _template_variables(directory: Path) -> set[str]:
    names: set[str] = set()
    for template in directory.glob("*.template"):
        text = template.read_text(encoding="utf-8")
        names |= set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", text))
        names |= set(re.findall(r"^[;#]render-config: if-set (\w+)$", text, re.M))
    return names


def test_the_cluster_has_its_parts(compose: dict[str, Any]) -> None:
    assert set(_services(compose)) == {"postgres", "asterisk1", "asterisk2", "kamailio", "vosk", "migrate",
                                       "hotline1", "hotline2", "worker"}


def test_every_mounted_and_built_path_exists(compose: dict[str, Any]) -> None:
    for name, service in _services(compose).items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert (REPO / source).exists(), f"{name}: {source}"
            else:
                assert source in compose["volumes"], f"{name}: named volume {source}"
        build = service.get("build")
        if build:
            context = REPO / build["context"]
            assert (context / build.get("dockerfile", "Dockerfile")).exists(), name
            for line in (context / build.get("dockerfile", "Dockerfile")).read_text(encoding="utf-8").splitlines():
                if line.startswith("COPY "):
                    assert (context / line.split()[1]).exists(), f"{name}: {line}"


def test_every_variable_is_documented_or_defaulted() -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    documented = set(re.findall(r"^#?([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(encoding="utf-8"), re.M))
    required = {m.group(1) for m in VARIABLE.finditer(text) if ":?" in m.group(0)}
    assert required and not required - documented, "missing in config/cluster.env.example"
    optional = {m.group(1) for m in VARIABLE.finditer(text) if ":-" in m.group(0)}
    assert not optional - documented, "optional, but say so in config/cluster.env.example"


def test_each_node_gets_every_variable_of_the_templates_and_the_other_as_its_peer(compose: dict[str, Any]) -> None:
    services = _services(compose)
    needed = _template_variables(REPO / "config" / "asterisk") | _template_variables(REPO / "dialplans")
    peers = {}
    for name in ("asterisk1", "asterisk2"):
        env = services[name]["environment"]
        assert not needed - set(env), f"{name}: not passed"
        peers[name] = env["HOTLINE_PEER_NODE"].split(":")[0]
    assert peers == {"asterisk1": "asterisk2", "asterisk2": "asterisk1"}
    kamailio = services["kamailio"]["environment"]
    assert not _template_variables(REPO / "config" / "kamailio") - set(kamailio) - {"ASTERISK_NODE_3", "ASTERISK_NODE_4"}


def test_the_instances_settings_load_and_name_both_nodes_at_their_services(compose: dict[str, Any]) -> None:
    services = _services(compose)
    preferred = []
    for name in ("hotline1", "hotline2", "worker", "migrate"):
        settings = load_settings(environ=_env(services[name]))
        assert [n.name for n in settings.nodes] == ["node1", "node2"], name
        for node, asterisk in zip(settings.nodes, ("asterisk1", "asterisk2"), strict=True):
            assert urlsplit(node.ari.url).hostname == asterisk and node.ami.host == asterisk
            assert node.ari.password == _value("HOTLINE_ARI_PASSWORD")
            assert node.ami.password == _value("HOTLINE_AMI_PASSWORD")
        assert urlsplit(settings.database.url).hostname == "postgres"
        assert (settings.asr.in_process, settings.asr.backend, urlsplit(settings.asr.server_url).hostname) == (
            False, "server", "vosk")
        if name.startswith("hotline"):
            preferred.append(settings.cluster.preferred_nodes)
            assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert sorted(preferred) == ["node1", "node2"]  # one node each while both run
    assert "hotline worker" in services["worker"]["command"]
