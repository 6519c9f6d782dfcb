"""Seconds between two timestamp columns, spelled for each backend (SQLite keeps UTC text)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Float, cast, func


def seconds_between(start: Any, end: Any, dialect: str) -> ColumnElement[float]:
    if dialect == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return cast(func.extract("epoch", end - start), Float)
