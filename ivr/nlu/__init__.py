"""Understanding residents' transcripts: category, emergency, problem and address."""

from .address import Address, parse_address
from .buildings import KnownBuilding, match_building, normalize_street
from .categories import CATEGORIES, CategoryResult, classify
from .emergency import detect as detect_emergency
from .numbers import parse_number
from .problems import problem_for
from .text import tokens
from .understand import CONFIDENT, Understanding, load, understand

__all__ = [
    "CATEGORIES",
    "CONFIDENT",
    "Address",
    "CategoryResult",
    "KnownBuilding",
    "Understanding",
    "classify",
    "detect_emergency",
    "load",
    "match_building",
    "normalize_street",
    "parse_address",
    "parse_number",
    "problem_for",
    "tokens",
    "understand",
]
