"""The training library: one scripted call per ``config/training/*.toml`` file.

    title = "Прорыв трубы ночью"
    briefing = "..."                 # shown to the trainee before the call
    [caller]
    number = "79031112233"           # name = "...", keys = "1" (DTMF, 1 s apart after the greeting)
    text = "Здравствуйте! ..."       # what the caller says, spoken by espeak-ng
    [expected]                       # the ticket a good dispatcher ends up with
    category = "water"               # priority, street, house, building, apartment
    executor = "plumber"             # a login, or "" for nobody (e.g. gas: handed over to 104)
    deadline_told = "30m"            # one of DEADLINES

An administrator adds a scenario by adding a file; a malformed one is reported by name and skipped.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

log = structlog.get_logger(__name__)

# What the dispatcher may tell the caller about when help comes.
DEADLINES = {
    "30m": "в течение 30 минут (аварийная бригада)",
    "2h": "в течение 2 часов",
    "1d": "в течение суток",
    "3d": "в течение 3 суток",
    "104": "газовая служба 104 (передано немедленно)",
}
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
_KEYS = re.compile(r"^[0-9*#]{0,20}$")


class ScenarioError(Exception):
    pass


@dataclass(frozen=True)
class Expected:
    category: str
    priority: str
    street: str | None = None
    house: str | None = None
    building: str | None = None
    apartment: str | None = None
    executor: str = ""  # login; "" = nobody
    deadline_told: str | None = None


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    briefing: str
    caller_number: str
    caller_name: str
    keys: str
    text: str
    expected: Expected
    first_key_at: float = 12.0  # after the 11-second greeting, where only 0 interrupts

    def public(self) -> dict[str, Any]:
        """What the trainee sees before the call (never the expected ticket)."""
        return {"id": self.id, "title": self.title, "briefing": self.briefing}


def parse(scenario_id: str, data: dict[str, Any]) -> Scenario:
    if not _ID.match(scenario_id):
        raise ScenarioError(f"bad scenario id {scenario_id!r}")
    try:
        caller, expected = data["caller"], data["expected"]
        keys = str(caller.get("keys", ""))
        if not _KEYS.match(keys):
            raise ScenarioError(f"caller.keys {keys!r}: DTMF keys only")
        told = expected.get("deadline_told")
        if told is not None and told not in DEADLINES:
            raise ScenarioError(f"expected.deadline_told {told!r}: one of {', '.join(DEADLINES)}")
        return Scenario(
            id=scenario_id, title=str(data["title"]), briefing=str(data.get("briefing", "")),
            caller_number=str(caller["number"]), caller_name=str(caller.get("name", "")), keys=keys,
            text=str(caller["text"]), first_key_at=float(caller.get("first_key_at", 12.0)),
            expected=Expected(
                category=str(expected["category"]), priority=str(expected["priority"]),
                street=_opt(expected.get("street")), house=_opt(expected.get("house")),
                building=_opt(expected.get("building")), apartment=_opt(expected.get("apartment")),
                executor=str(expected.get("executor", "")), deadline_told=told,
            ),
        )
    except KeyError as exc:
        raise ScenarioError(f"missing key {exc.args[0]!r}") from exc


def _opt(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


def load_library(directory: Path) -> dict[str, Scenario]:
    """Every readable scenario in ``directory``, by id (the file name without .toml), sorted."""
    out: dict[str, Scenario] = {}
    for path in sorted(directory.glob("*.toml")):
        try:
            out[path.stem] = parse(path.stem, tomllib.loads(path.read_text(encoding="utf-8")))
        except (ScenarioError, tomllib.TOMLDecodeError, TypeError, ValueError) as exc:
            log.error("training.bad_scenario", file=str(path), error=str(exc))
    return out
