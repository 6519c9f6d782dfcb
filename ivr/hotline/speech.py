"""Spoken menu choices: the words a caller may say instead of pressing a key.

Recognised in grammar mode (only these phrases), so a small model is quick and rarely wrong;
the keys always work, with or without a model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

DEFAULT_CHOICE_PHRASES: Mapping[str, Sequence[str]] = {
    "water_sewer": ["вода", "водопровод", "канализация", "течёт", "труба", "засор"],
    "heating": ["отопление", "батарея", "холодно"],
    "electricity": ["свет", "электричество", "проводка", "розетка"],
    "lift": ["лифт"],
    "yard": ["двор", "уборка", "мусор", "снег"],
    "common_property": ["крыша", "дверь", "домофон", "подъезд", "окно"],
    "emergency": ["авария", "срочно", "пожар", "газ"],
    "dispatcher": ["диспетчер", "оператор", "человек"],
}


def phrases_for(choices: Sequence[str], table: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """The grammar for the choices the menu offers now."""
    return {c: list(table[c]) for c in choices if table.get(c)}
