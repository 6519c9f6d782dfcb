"""The product wheel holds the product only: the Asterisk stand-in (pbxsim) is a distribution of
its own, installed beside the hotline for tests, benchmarks and the demo; without it, the demo
refuses to start with an explanation instead of an ImportError."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

from setuptools import find_packages

REPO = Path(__file__).resolve().parents[2]


def test_the_product_wheel_leaves_the_stand_in_out() -> None:
    find = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    packages = find_packages(where=str(REPO), include=find["include"], exclude=find.get("exclude", ()))
    assert {"journal", "ivr", "cti", "ivr.flow", "cti.web"} <= set(packages)
    assert [p for p in packages if p.split(".")[0] not in {"journal", "ivr", "cti"}] == []


def test_the_stand_in_is_a_distribution_of_its_own() -> None:
    project = tomllib.loads((REPO / "pbxsim" / "pyproject.toml").read_text())
    assert project["tool"]["setuptools"]["packages"] == ["pbxsim"]
    from importlib.metadata import distribution

    assert distribution(project["project"]["name"]).version == project["project"]["version"]  # make venv installs it


def test_the_demo_without_the_stand_in_says_what_to_do(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env |= {"HOTLINE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/j.sqlite3", "HOTLINE_SERVER_PORT": "0",
            "HOTLINE_SERVER_DEMO": "true"}
    # A production install: importing pbxsim fails.
    code = "import sys; sys.modules['pbxsim'] = None; from cti.app.cli import main; sys.exit(main(['run']))"
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    assert ("hotline: configuration error: setting 'ari.url' is missing and the Asterisk stand-in of the demo "
            "(pbxsim) is not installed: set ari.url, or install the stand-in (pip install -e ./pbxsim)") in r.stderr
