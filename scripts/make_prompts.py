#!/usr/bin/env python3
"""Generate the hotline's voice prompts from config/prompts.toml.

Every ``[prompts]`` entry becomes ``ivr/prompts/<name>.wav``: espeak-ng speaks the Russian
text, sox trims the silence around it, normalises the level and converts it to what
Asterisk plays without transcoding on a narrowband line: 8 kHz, 16-bit signed, mono WAV.

    python scripts/make_prompts.py            # (re)generate all prompts
    python scripts/make_prompts.py welcome    # only these
    python scripts/make_prompts.py --check    # every prompt has a valid wav, no stray wavs

Needs the Debian packages espeak-ng and sox. Dither is off (-D) so that the same text
and tool versions give byte-identical files and a regeneration shows no spurious diff.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
import wave
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TABLE = ROOT / "config" / "prompts.toml"
OUT_DIR = ROOT / "ivr" / "prompts"
RATE, WIDTH, CHANNELS = 8000, 2, 1


def load_table(path: Path = TABLE) -> tuple[dict[str, object], dict[str, str]]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    prompts = data.get("prompts")
    if not isinstance(prompts, dict) or not prompts:
        raise SystemExit(f"{path}: no [prompts] table")
    for name, text in prompts.items():
        if not isinstance(text, str) or not text.strip():
            raise SystemExit(f"{path}: prompt {name!r} has no text")
        if not name.replace("-", "").replace("_", "").isalnum():
            raise SystemExit(f"{path}: prompt name {name!r} is not a plain file name")
    return dict(data.get("voice", {})), prompts


def synthesize(name: str, text: str, voice: dict[str, object], out_dir: Path) -> Path:
    # The same code the administrator's voice menu page uses (ivr/prompts/synth.py).
    from ivr.prompts.synth import PromptError
    from ivr.prompts.synth import synthesize as make

    try:
        return make(text, out_dir / f"{name}.wav", voice)
    except PromptError as exc:
        raise SystemExit(str(exc)) from exc


def check(prompts: dict[str, str], out_dir: Path) -> list[str]:
    """Problems with the generated files; empty when they match the table."""
    problems = []
    for name in prompts:
        path = out_dir / f"{name}.wav"
        if not path.exists():
            problems.append(f"missing {path.relative_to(ROOT)}")
            continue
        with wave.open(str(path)) as w:
            fmt = (w.getframerate(), w.getsampwidth(), w.getnchannels())
            if fmt != (RATE, WIDTH, CHANNELS) or w.getnframes() == 0:
                problems.append(f"{path.name}: {fmt}, {w.getnframes()} frames")
    for path in sorted(out_dir.glob("*.wav")):
        if path.stem not in prompts:
            problems.append(f"stray {path.relative_to(ROOT)} (not in {TABLE.name})")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="prompt names to generate (default: all)")
    parser.add_argument("--check", action="store_true", help="only verify the generated files")
    args = parser.parse_args(argv)
    voice, prompts = load_table()
    if args.check:
        problems = check(prompts, OUT_DIR)
        for p in problems:
            print(p, file=sys.stderr)
        return 1 if problems else 0
    unknown = [n for n in args.names if n not in prompts]
    if unknown:
        raise SystemExit(f"unknown prompts: {', '.join(unknown)}")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for name in args.names or list(prompts):
        path = synthesize(name, prompts[name], voice, OUT_DIR)
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
