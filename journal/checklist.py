"""The QA scoring checklist, read from config/quality.toml."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError, InvalidValue


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    title: str
    max: int


@dataclass(frozen=True)
class Checklist:
    items: tuple[ChecklistItem, ...]

    @property
    def max_total(self) -> int:
        return sum(i.max for i in self.items)

    @classmethod
    def load(cls, path: Path) -> Checklist:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: {exc}") from exc
        items = []
        for n, raw in enumerate(data.get("item", []), start=1):
            try:
                item = ChecklistItem(str(raw["id"]), str(raw["title"]), int(raw.get("max", 1)))
            except (KeyError, TypeError, ValueError) as exc:
                raise ConfigError(f"{path}: item {n}: {exc}") from exc
            if item.max < 1:
                raise ConfigError(f"{path}: item {item.id!r}: max must be at least 1")
            items.append(item)
        if not items or len({i.id for i in items}) != len(items):
            raise ConfigError(f"{path}: the checklist needs items with unique ids")
        return cls(tuple(items))

    def score(self, raw: Mapping[str, object]) -> dict[str, int]:
        """Validated scores, one per item (a missing item is an error: the form sends them all)."""
        out: dict[str, int] = {}
        for item in self.items:
            value = raw.get(item.id)
            try:
                n = int(str(value))
            except ValueError:
                raise InvalidValue(item.id, f"score is missing or not a number: {value!r}") from None
            if not 0 <= n <= item.max:
                raise InvalidValue(item.id, f"score must be 0..{item.max}, got {n}")
            out[item.id] = n
        return out
