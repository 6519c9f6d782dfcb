#!/usr/bin/env python3
"""Download a Vosk model into asr_models/ and check it before unpacking.

    python asr_models/fetch_model.py --sha256 <hex>      # verify against a known digest
    python asr_models/fetch_model.py --trust-on-first-use # print the digest, unpack anyway

No SHA-256 for vosk-model-small-ru-0.22.zip is published next to it by alphacephei, and we
could not find one we trust, so the script does not invent one: pass --sha256 (the value
recorded by whoever fetched it first, kept in config or the deployment notes), or run once
with --trust-on-first-use, which prints the digest to record.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import tempfile
import urllib.request
import zipfile
from pathlib import Path

MODEL = "vosk-model-small-ru-0.22"
URL = f"https://alphacephei.com/vosk/models/{MODEL}.zip"
KNOWN_SHA256: str | None = None  # set once recorded; --sha256 overrides
HERE = Path(__file__).resolve().parent


def download(url: str, dest: Path) -> str:
    digest = hashlib.sha256()
    with urllib.request.urlopen(url, timeout=60) as response, dest.open("wb") as out:  # noqa: S310 (fixed https URL)
        while chunk := response.read(1 << 20):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def unpack(archive: Path, target_root: Path) -> Path:
    with zipfile.ZipFile(archive) as zf:
        for name in zf.namelist():
            resolved = (target_root / name).resolve()
            if not resolved.is_relative_to(target_root.resolve()):
                raise SystemExit(f"refusing to unpack {name!r}: it points outside {target_root}")
        zf.extractall(target_root)
    return target_root / MODEL


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=URL)
    parser.add_argument("--sha256", default=KNOWN_SHA256, help="expected SHA-256 of the zip")
    parser.add_argument("--trust-on-first-use", action="store_true", help="unpack without a known digest; print it")
    parser.add_argument("--dest", type=Path, default=HERE, help="directory to unpack into (default: asr_models/)")
    args = parser.parse_args(argv)
    if not args.sha256 and not args.trust_on_first_use:
        parser.error("no known SHA-256: pass --sha256 HEX, or --trust-on-first-use to print and record it")
    target = args.dest / MODEL
    if target.exists():
        print(f"{target} already exists; remove it to fetch again")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / f"{MODEL}.zip"
        print(f"downloading {args.url}")
        actual = download(args.url, archive)
        print(f"sha256 {actual}")
        if args.sha256 and actual.lower() != args.sha256.lower():
            print(f"SHA-256 mismatch: expected {args.sha256}, got {actual}; nothing unpacked", file=sys.stderr)
            return 1
        staging = Path(tmp) / "unpacked"
        staging.mkdir()
        unpacked = unpack(archive, staging)
        args.dest.mkdir(parents=True, exist_ok=True)
        shutil.move(str(unpacked), target)
    print(f"model ready in {target}")
    if not args.sha256:
        print(f"record this digest: --sha256 {actual}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
