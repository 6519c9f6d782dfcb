"""Turn the hand-written compact corpus sources into the labelled JSONL format.

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
            parsed = dict(zip(("street", "house", "building", "apartment"), (None if p == "-" else p for p in parts)))
        rows.append({"text": text.strip(), "category": category, "emergency": emergency == "1", "address": parsed})
    return rows


def main() -> None:
    src, dst = Path(sys.argv[1]), Path(sys.argv[2])
    rows = convert(src)
    dst.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{dst}: {len(rows)} sentences")


if __name__ == "__main__":
    main()
