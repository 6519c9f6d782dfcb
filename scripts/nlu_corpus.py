"""Build the labelled corpus (tests/fixtures/nlu) from its hand-written sources.

- ``blind.src`` -> ``blind.jsonl``: the blind split, written before any tuning; never read
  while developing.
- ``dev.src`` + ``tests/nlu/extra_transcripts.jsonl`` + generated address orders
  (``nlu_addresses.py``) -> ``dev.jsonl``.
- ``*_asr.jsonl``: the same sentences with ASR-like damage (``ivr.nlu.damage``).

Run from the repository root: ``python scripts/nlu_corpus.py`` (``make nlu-corpus``).

Source lines: ``category|emergency(0/1)|street;house;building;apartment|text`` with ``-`` for a
missing address part and an empty third field when no address is said. ``#`` starts a comment.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

CATEGORIES = {"water", "sewer", "heating", "electricity", "elevator", "gas", "roof", "common_property", "cleaning", "other"}


def convert(source: Path) -> list[dict[str, object]]:
    rows = []
    for n, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        category, emergency, address, text = line.split("|", 3)
        if category not in CATEGORIES or emergency not in {"0", "1"}:
            raise SystemExit(f"{source}:{n}: bad labels {line!r}")
        parsed = None
        if address:
            parts = address.split(";")
            if len(parts) != 4:
                raise SystemExit(f"{source}:{n}: bad address {address!r}")
            parsed = dict(zip(("street", "house", "building", "apartment"), (None if p == "-" else p for p in parts), strict=False))
        rows.append({"text": text.strip(), "category": category, "emergency": emergency == "1", "address": parsed})
    return rows


def write(path: Path, rows: list[dict[str, object]]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{path}: {len(rows)} sentences")


def build(root: Path) -> dict[str, list[dict[str, object]]]:
    sys.path[:0] = [str(root), str(root / "scripts")]
    from nlu_addresses import generate

    from ivr.nlu.damage import damage

    data = root / "tests" / "fixtures" / "nlu"
    extra = [json.loads(line) for line in (root / "tests" / "nlu" / "extra_transcripts.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    dev = convert(data / "dev.src") + extra + generate()
    blind = convert(data / "blind.src")
    out = {"dev": dev, "blind": blind}
    for name, rows in list(out.items()):
        out[f"{name}_asr"] = [{**r, "text": damage(str(r["text"]))} for r in rows]
    return out


def main() -> None:
    root = Path(__file__).resolve().parents[1]
    for name, rows in build(root).items():
        write(root / "tests" / "fixtures" / "nlu" / f"{name}.jsonl", rows)


if __name__ == "__main__":
    main()
