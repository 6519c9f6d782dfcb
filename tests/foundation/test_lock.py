"""The runtime dependency closure is pinned in requirements.lock, `make` installs from it, and
what the tests run on is what is pinned (SECURITY.md, "Dependencies")."""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]


def pins(name: str) -> dict[str, str]:
    out = {}
    for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "-r")):
            package, _, version = line.partition("==")
            assert version, f"{name}: {line!r} is not pinned with =="
            out[canonicalize_name(package)] = version
    return out


def test_every_runtime_dependency_and_its_closure_is_pinned() -> None:
    runtime = pins("requirements.lock")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for text in project["dependencies"]:
        req = Requirement(text)
        name = canonicalize_name(req.name)
        assert name in runtime, f"{req.name} is not in requirements.lock"
        assert req.specifier.contains(runtime[name], prereleases=True), (text, runtime[name])
        # ...and what it needs in turn (the closure, as installed here).
        for sub in metadata.requires(req.name) or []:
            dep = Requirement(sub)
            if dep.marker is None or dep.marker.evaluate({"extra": ""}):
                assert canonicalize_name(dep.name) in runtime, f"{dep.name} (needed by {req.name}) not pinned"


def test_the_tests_run_on_the_pinned_versions() -> None:
    for name, version in {**pins("requirements.lock"), **pins("requirements-test.lock")}.items():
        assert metadata.version(name) == version, name


def test_make_installs_from_the_lock_files() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "pip install -q -r requirements-test.lock" in makefile
    assert "pip install -q --no-deps -e ." in makefile
    assert "-r requirements.lock" in (ROOT / "requirements-test.lock").read_text(encoding="utf-8")
