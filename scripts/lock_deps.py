"""Re-pin requirements.lock (runtime), requirements-s3.lock (the optional S3 storage backend) and
requirements-test.lock (test tools, with the S3 backend) from pyproject.toml.

pip resolves the closure as a clean environment would (``--dry-run --ignore-installed``) and
writes ``name==version`` lines; nothing is installed."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_HEADER = """\
# The runtime dependency closure of hotline, pinned (generated from pyproject.toml with
#   pip install --dry-run --ignore-installed --report report.json .
# in a clean Python 3.11 environment; see SECURITY.md "Dependencies" to regenerate and audit:
#   pip-audit -r requirements.lock).
# `make run` / `make test` install from these pins, then `pip install --no-deps -e .`.
"""
TEST_HEADER = """\
# The test tools on top of the runtime pins (pyproject.toml [test] extra), same way:
#   pip install --dry-run --ignore-installed --report report.json '.[test]'
-r requirements.lock
"""
S3_HEADER = """\
# The optional S3 storage backend on top of the runtime pins (pyproject.toml [s3] extra), same way:
#   pip install --dry-run --ignore-installed --report report.json '.[s3]'
# Install it beside the service when [recordings] backend = "s3": pip install -r requirements-s3.lock
# (the versions are those the tests run on: requirements-test.lock holds them too).
-r requirements.lock
"""


def resolve(target: str) -> dict[str, tuple[str, str]]:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                        "--report", str(report), target], cwd=ROOT, check=True)
        data = json.loads(report.read_text())
    pins = {}
    for item in data["install"]:
        name, version = item["metadata"]["name"], item["metadata"]["version"]
        if name.lower() != "hotline":
            pins[name.lower()] = (name, version)
    return pins


def main() -> None:
    runtime, everything = resolve("."), resolve(".[test]")
    (ROOT / "requirements.lock").write_text(
        RUNTIME_HEADER + "".join(f"{n}=={v}\n" for _, (n, v) in sorted(runtime.items())))
    extra = {k: v for k, v in everything.items() if k not in runtime}
    (ROOT / "requirements-test.lock").write_text(
        TEST_HEADER + "".join(f"{n}=={v}\n" for _, (n, v) in sorted(extra.items())))
    s3 = {k: everything.get(k, v) for k, v in resolve(".[s3]").items() if k not in runtime}
    (ROOT / "requirements-s3.lock").write_text(
        S3_HEADER + "".join(f"{n}=={v}\n" for _, (n, v) in sorted(s3.items())))


if __name__ == "__main__":
    main()
