"""Score a trainee's ticket against the scenario's expected one, field by field (pure)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from cti.training.scenarios import DEADLINES, Expected


@dataclass(frozen=True)
class Actual:
    """The trainee's ticket, with ids resolved to what the scenario names."""

    category: str
    priority: str
    street: str | None
    house: str | None
    building: str | None
    apartment: str | None
    executor: str  # login or ""
    deadline_told: str | None


@dataclass(frozen=True)
class FieldScore:
    field: str
    label: str
    expected: str
    actual: str
    ok: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _norm(value: str | None) -> str:
    return (value or "").strip().lower().replace("ё", "е")


def score(expected: Expected, actual: Actual, labels: dict[str, dict[str, str]]) -> list[FieldScore]:
    """One point per field. ``labels`` maps 'category'/'priority'/'executor' values to titles."""
    def lab(kind: str, v: str | None) -> str:
        return labels.get(kind, {}).get(v or "", v or "—") if v else "—"

    out = [
        FieldScore("category", "Категория", lab("category", expected.category), lab("category", actual.category),
                   expected.category == actual.category),
        FieldScore("priority", "Приоритет", lab("priority", expected.priority), lab("priority", actual.priority),
                   expected.priority == actual.priority),
    ]
    if expected.street or expected.house:
        want = _address(expected.street, expected.house, expected.building)
        got = _address(actual.street, actual.house, actual.building)
        out.append(FieldScore("building", "Дом", want, got or "не указан", _norm(want) == _norm(got)))
    if expected.apartment:
        out.append(FieldScore("apartment", "Квартира", expected.apartment, actual.apartment or "не указана",
                              _norm(expected.apartment) == _norm(actual.apartment)))
    out.append(FieldScore("executor", "Исполнитель", lab("executor", expected.executor) if expected.executor else
                          "не назначать", lab("executor", actual.executor) if actual.executor else "не назначен",
                          expected.executor == actual.executor))
    if expected.deadline_told:
        out.append(FieldScore("deadline_told", "Срок, названный абоненту", DEADLINES[expected.deadline_told],
                              DEADLINES.get(actual.deadline_told or "", "не назван"),
                              expected.deadline_told == actual.deadline_told))
    return out


def _address(street: str | None, house: str | None, building: str | None) -> str:
    if not street and not house:
        return ""
    street = (street[:1].upper() + street[1:]) if street else "?"  # the directory stores streets lower-case
    text = f"{street}, д. {house or '?'}"
    return text + (f", корп. {building}" if building else "")


def total(fields: list[FieldScore]) -> tuple[int, int]:
    return sum(1 for f in fields if f.ok), len(fields)
