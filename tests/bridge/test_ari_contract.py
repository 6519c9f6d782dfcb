"""Every ARI path, method and query parameter our client uses exists in Asterisk's spec."""

from __future__ import annotations

import json

import pytest

from ivr.ari import ENDPOINTS, EVENTS_WEBSOCKET, Endpoint
from tests.asterisk_fixtures import SPEC_DIR


def _spec() -> dict[tuple[str, str], dict[str, set[str]]]:
    ops: dict[tuple[str, str], dict[str, set[str]]] = {}
    for path in SPEC_DIR.glob("*.json"):
        for api in json.loads(path.read_text()).get("apis", []):
            for op in api["operations"]:
                kinds: dict[str, set[str]] = {"query": set(), "body": set(), "path": set()}
                for p in op.get("parameters", []):
                    kinds.setdefault(p["paramType"], set()).add(p["name"])
                ops[(op["httpMethod"], api["path"])] = kinds
    return ops


SPEC = _spec()


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_endpoint_exists_in_spec(name: str) -> None:
    check(ENDPOINTS[name])


def test_events_websocket_in_spec() -> None:
    check(EVENTS_WEBSOCKET)


def check(endpoint: Endpoint) -> None:
    key = (endpoint.method, endpoint.path)
    assert key in SPEC, f"{key} not in the ARI spec"
    assert endpoint.query <= SPEC[key]["query"], endpoint.query - SPEC[key]["query"]
    if endpoint.body:
        assert SPEC[key]["body"], f"{key} takes no body"
    placeholders = {p.strip("{}") for p in endpoint.path.split("/") if p.startswith("{")}
    assert placeholders == SPEC[key]["path"]
