"""AMI events as immutable name + header mapping (panoramisk's Message is a mutable dict)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class AmiEvent:
    name: str
    fields: Mapping[str, str] = field(default_factory=dict)

    def get(self, key: str, default: str = "") -> str:
        return self.fields.get(key, default)

    @classmethod
    def from_message(cls, message: Mapping[str, Any]) -> AmiEvent:
        fields = {str(k): v if isinstance(v, str) else ",".join(map(str, v)) if isinstance(v, list) else str(v)
                  for k, v in message.items()}
        return cls(fields.get("Event", ""), fields)


@dataclass(frozen=True, slots=True)
class OriginateResult:
    success: bool
    reason: str  # Asterisk's numeric reason: 4 answered, 5 busy, 3 no answer, 0/1 failure
    channel: str = ""
    uniqueid: str = ""
    raw: tuple[Mapping[str, str], ...] = ()
