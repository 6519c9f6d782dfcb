"""A clone of this repository as it is about to be committed (the working tree's uncommitted
changes included), for tests of what a newcomer's fresh clone does."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def checkout(dest: Path) -> None:
    subprocess.run(["git", "clone", "-q", str(REPO), str(dest)], check=True)
    changed = subprocess.run(["git", "ls-files", "-m", "-o", "--exclude-standard", "-z"], cwd=REPO, check=True,
                             capture_output=True).stdout.decode().split("\0")
    for name in filter(None, changed):
        src = REPO / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    for gone in subprocess.run(["git", "ls-files", "-d", "-z"], cwd=REPO, check=True,
                               capture_output=True).stdout.decode().split("\0"):
        if gone:
            (dest / gone).unlink(missing_ok=True)
