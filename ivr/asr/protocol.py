"""The alphacep vosk-server websocket protocol, both directions.

Client: a text ``{"config": {...}}``, binary PCM chunks, then the text ``{"eof" : 1}``.
Server: one JSON text reply per message: ``{"partial": ...}`` or ``{"text": ..., "result": [...]}``;
the reply to eof is the final result, after which the server closes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# The reference server compares the eof message as a string, spaces included.
EOF_MESSAGE = '{"eof" : 1}'


def config_message(sample_rate: int, *, words: bool = True, phrase_list: Sequence[str] | None = None) -> str:
    config: dict[str, Any] = {"sample_rate": sample_rate, "words": int(words)}
    if phrase_list is not None:
        config["phrase_list"] = list(phrase_list)
    return json.dumps({"config": config}, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class ClientConfig:
    sample_rate: float = 16000.0
    words: bool = False
    phrase_list: tuple[str, ...] | None = None


class ProtocolError(ValueError):
    pass


def parse_text_message(message: str) -> ClientConfig | None:
    """A config message gives the new config; eof gives None; anything else is a ProtocolError."""
    try:
        data = json.loads(message)
    except json.JSONDecodeError as exc:
        raise ProtocolError(f"not JSON: {message[:80]!r}") from exc
    if not isinstance(data, dict):
        raise ProtocolError("expected a JSON object")
    if data.get("eof"):
        return None
    config = data.get("config")
    if not isinstance(config, dict):
        raise ProtocolError(f"expected config or eof, got keys {sorted(data)}")
    phrases = config.get("phrase_list")
    if phrases is not None and not (isinstance(phrases, list) and all(isinstance(p, str) for p in phrases)):
        raise ProtocolError("phrase_list must be a list of strings")
    try:
        rate = float(config.get("sample_rate", 16000))
    except (TypeError, ValueError) as exc:
        raise ProtocolError("sample_rate must be a number") from exc
    return ClientConfig(
        sample_rate=rate,
        words=bool(config.get("words", False)),
        phrase_list=tuple(phrases) if phrases is not None else None,
    )


def parse_reply(message: str) -> dict[str, Any]:
    try:
        data = json.loads(message)
    except json.JSONDecodeError as exc:
        raise ProtocolError(f"server reply is not JSON: {message[:80]!r}") from exc
    if not isinstance(data, dict):
        raise ProtocolError("server reply is not a JSON object")
    return data


def is_result(reply: dict[str, Any]) -> bool:
    return "partial" not in reply
