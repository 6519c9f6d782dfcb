"""The Asterisk nodes of the settings: ``[[nodes]]`` tables, or the single ``[ari]``/``[ami]``.

    [cluster]
    claim_interval_seconds = 1.5

    [[nodes]]
    name = "node1"
    ari = { url = "http://10.0.0.11:8088/ari" }
    ami = { host = "10.0.0.11" }

A node's ``ari``/``ami`` table holds the keys of ``[ari]``/``[ami]``; what it leaves out is
taken from ``[ari]``/``[ami]`` (one password for every node, say). The environment sets or
overrides a node's keys by its place in the list, from 1: ``HOTLINE_NODES_2_ARI_URL``,
``HOTLINE_NODES_2_AMI_PASSWORD``, ``HOTLINE_NODES_2_NAME`` (a node the file does not list is
added). Without ``[[nodes]]`` the ``[ari]``/``[ami]`` sections are one node named ``main``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ivr.config import AmiSettings, AriSettings

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
ENV_KEY = re.compile(r"^(\d+)_(.+)$")


@dataclass
class ClusterSettings:
    """How the instances share the Asterisk nodes (with PostgreSQL)."""

    # A standby instance asks for every node it does not own this often (and its owner checks
    # its lock's session as often): the takeover time is this plus PostgreSQL noticing the dead
    # owner's session (TCP keepalive, ~8 s at most for a machine gone; at once for a process).
    claim_interval_seconds: float = 1.5
    # The nodes this instance asks for first (comma-separated names): the others it asks for
    # only once it has run startup_grace_seconds, so that instances started together share the
    # nodes out (node1 on one, node2 on the other) instead of the first taking all. Empty: all
    # nodes at once. A node whose preferred instance is down is taken after the grace anyway.
    preferred_nodes: str = ""
    startup_grace_seconds: float = 10.0


@dataclass
class NodeSettings:
    name: str
    ari: AriSettings = field(default_factory=AriSettings)
    ami: AmiSettings = field(default_factory=AmiSettings)


Convert = Callable[[str, Any, Any], Any]
Fail = Callable[[str], Exception]


def parse_nodes(tables: list[Any], env: Mapping[str, str], *, ari: AriSettings, ami: AmiSettings,
                convert: Convert, fail: Fail, origin: str) -> list[NodeSettings]:
    """The nodes of ``[[nodes]]`` (``tables``) overlaid by ``HOTLINE_NODES_<n>_*`` (``env``, keys
    lower-cased without the prefix: ``2_ari_url``); each node's settings start as ``ari``/``ami``."""
    raw: list[dict[str, Any]] = []
    for i, table in enumerate(tables, 1):
        if not isinstance(table, Mapping):
            raise fail(f"{origin}: [[nodes]] entry {i} must be a table")
        raw.append({k: dict(v) if isinstance(v, Mapping) else v for k, v in table.items()})
    for key, value in env.items():
        match = ENV_KEY.match(key)
        if match is None:
            raise fail(f"environment: unknown setting HOTLINE_NODES_{key.upper()} (expected HOTLINE_NODES_<n>_...)")
        index, rest = int(match.group(1)), match.group(2)
        if not 1 <= index <= len(raw) + 1:
            raise fail(f"environment: HOTLINE_NODES_{key.upper()}: node {index} follows no node {index - 1}")
        if index == len(raw) + 1:
            raw.append({})
        entry = raw[index - 1]
        section, _, name = rest.partition("_")
        if rest == "name":
            entry["name"] = value
        elif section in ("ari", "ami") and name:
            entry.setdefault(section, {})[name] = value
        else:
            raise fail(f"environment: unknown setting HOTLINE_NODES_{key.upper()}")
    nodes = [_node(i, entry, ari, ami, convert, fail) for i, entry in enumerate(raw, 1)]
    names = [n.name for n in nodes]
    if len(set(names)) != len(names):
        raise fail(f"setting 'nodes': node names must differ, got {', '.join(names)}")
    return nodes


def _node(index: int, entry: dict[str, Any], ari: AriSettings, ami: AmiSettings,
          convert: Convert, fail: Fail) -> NodeSettings:
    name = entry.pop("name", None)
    if not isinstance(name, str) or not NAME.match(name):
        raise fail(f"setting 'nodes' entry {index}: 'name' must be lower-case letters, digits, '-' or '_' "
                   f"(at most 63), got {name!r}")
    node = NodeSettings(name, copy.copy(ari), copy.copy(ami))
    for section in ("ari", "ami"):
        values = entry.pop(section, {})
        if not isinstance(values, Mapping):
            raise fail(f"setting 'nodes.{name}.{section}' must be a table")
        target = getattr(node, section)
        for key, value in values.items():
            if key == "node" or not hasattr(target, key):
                raise fail(f"unknown setting 'nodes.{name}.{section}.{key}'")
            setattr(target, key, convert(f"nodes.{name}.{section}.{key}", value, getattr(target, key)))
    if entry:
        raise fail(f"unknown setting 'nodes.{name}.{sorted(entry)[0]}'")
    node.ari.node = name
    if not node.ari.url:
        raise fail(f"setting 'nodes.{name}.ari.url' is missing")
    if not node.ari.password:
        raise fail(f"setting 'nodes.{name}.ari.password' is missing (or 'ari.password' for every node)")
    if node.ami.host and not node.ami.password:
        raise fail(f"setting 'nodes.{name}.ami.password' is missing (or 'ami.password' for every node)")
    return node


def single_node(ari: AriSettings, ami: AmiSettings) -> NodeSettings:
    """Today's one ``[ari]``/``[ami]``: the node ``main`` (or the name ``ari.node`` gives it)."""
    return NodeSettings(ari.node, ari, ami)
