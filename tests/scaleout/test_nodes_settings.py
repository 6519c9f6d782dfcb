"""The Asterisk nodes of the settings: [[nodes]] tables, HOTLINE_NODES_<n>_* variables, the
single [ari]/[ami] as node "main", and a loud error naming what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from cti.settings import SettingsError, load_settings
from tests.conftest import TEST_SECRET_KEY

ENV = {"HOTLINE_SERVER_SECRET_KEY": TEST_SECRET_KEY}

TWO_NODES = """
[ari]
password = "every-node"
[ami]
password = "every-ami"

[[nodes]]
name = "node1"
ari = { url = "http://10.0.0.11:8088/ari" }
ami = { host = "10.0.0.11" }

[[nodes]]
name = "node2"
ari = { url = "http://10.0.0.12:8088/ari", password = "its-own" }
ami = { host = "10.0.0.12", port = 5039 }
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hotline.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_without_nodes_the_single_ari_and_ami_are_node_main(tmp_path: Path) -> None:
    settings = load_settings(_write(tmp_path, ""), {
        **ENV, "HOTLINE_ARI_URL": "http://pbx:8088/ari", "HOTLINE_ARI_PASSWORD": "secret", "HOTLINE_AMI_HOST": "pbx",
        "HOTLINE_AMI_PASSWORD": "secret"})
    assert settings.nodes == []
    [main] = settings.asterisk_nodes()
    assert (main.name, main.ari, main.ami) == ("main", settings.ari, settings.ami)
    assert main.ari.node == "main"  # the journal keys its calls by it


def test_nodes_from_the_file_take_what_they_leave_out_from_ari_and_ami(tmp_path: Path) -> None:
    settings = load_settings(_write(tmp_path, TWO_NODES), ENV)
    node1, node2 = settings.asterisk_nodes()
    assert (node1.name, node1.ari.url, node1.ari.password, node1.ami.host, node1.ami.port, node1.ami.password) == (
        "node1", "http://10.0.0.11:8088/ari", "every-node", "10.0.0.11", 5038, "every-ami")
    assert (node2.ari.password, node2.ami.port, node2.ari.node) == ("its-own", 5039, "node2")
    assert node1.ari.app == node2.ari.app == "hotline"
    assert settings.pbx_configured()


def test_the_environment_sets_and_adds_nodes_by_their_place(tmp_path: Path) -> None:
    settings = load_settings(_write(tmp_path, TWO_NODES), {
        **ENV, "HOTLINE_NODES_2_ARI_URL": "http://10.0.0.22:8088/ari", "HOTLINE_NODES_3_NAME": "node3",
        "HOTLINE_NODES_3_ARI_URL": "http://10.0.0.13:8088/ari", "HOTLINE_NODES_3_AMI_PORT": "6038"})
    assert [(n.name, n.ari.url) for n in settings.nodes] == [
        ("node1", "http://10.0.0.11:8088/ari"), ("node2", "http://10.0.0.22:8088/ari"),
        ("node3", "http://10.0.0.13:8088/ari")]
    assert settings.nodes[2].ami.port == 6038 and settings.nodes[2].ari.password == "every-node"


@pytest.mark.parametrize(("toml", "env", "message"), [
    (TWO_NODES.replace('name = "node2"', 'name = "node1"'), {}, "node names must differ, got node1, node1"),
    (TWO_NODES.replace('name = "node2"', 'name = "Узел 2"'), {}, "entry 2: 'name' must be lower-case"),
    (TWO_NODES.replace('url = "http://10.0.0.11:8088/ari"', 'uri = "x"'), {}, "unknown setting 'nodes.node1.ari.uri'"),
    (TWO_NODES.replace('ari = { url = "http://10.0.0.11:8088/ari" }', ""), {}, "'nodes.node1.ari.url' is missing"),
    (TWO_NODES.replace("port = 5039", 'port = "many"'), {}, "'nodes.node2.ami.port': expected int"),
    (TWO_NODES.replace('password = "every-node"', ""), {}, "'nodes.node1.ari.password' is missing"),
    (TWO_NODES, {"HOTLINE_NODES_4_NAME": "node4"}, "node 4 follows no node 3"),
    (TWO_NODES, {"HOTLINE_NODES_1_SIP_HOST": "x"}, "unknown setting HOTLINE_NODES_1_SIP_HOST"),
    (TWO_NODES, {"HOTLINE_CLUSTER_PREFERRED_NODES": "node1,node9"}, "no node named node9 (the nodes are node1, node2)"),
    ("[nodes]\nname = 'x'\n", {}, "nodes must be [[nodes]] tables"),
])
def test_a_wrong_node_is_refused_with_its_name(tmp_path: Path, toml: str, env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings(_write(tmp_path, toml), {**ENV, **env})
    assert message in str(error.value)
