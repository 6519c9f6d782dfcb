"""Tables in and out for the administrator's imports and exports: CSV (UTF-8 or Windows-1251,
";" "," or tab) and XLSX (openpyxl reads what Excel and LibreOffice write). Headers are the
ones a managing company's spreadsheets use ("Улица", "Дом", "Корпус", ...) or our field names."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

HEADERS: dict[str, dict[str, str]] = {
    "buildings": {
        "улица": "street", "тип улицы": "street_type", "тип": "street_type", "дом": "house", "номер дома": "house",
        "корпус": "building", "корп": "building", "подъезды": "entrances", "подъездов": "entrances",
        "этажи": "floors", "этажей": "floors", "этажность": "floors", "квартиры": "apartments",
        "квартир": "apartments", "лифты": "lifts", "лифтов": "lifts", "код": "company_code",
        "код дома": "company_code", "код ук": "company_code", "фиас": "fias_id", "гар": "fias_id",
        "фиас/гар": "fias_id", "район": "district",
    },
    "residents": {
        "телефон": "phone", "фио": "name", "имя": "name", "житель": "name", "улица": "street", "дом": "house",
        "корпус": "building", "корп": "building", "квартира": "apartment", "кв": "apartment",
        "другие телефоны": "other_phones", "доп. телефоны": "other_phones", "доп телефоны": "other_phones",
    },
}
# What an export writes (and an import of the same file reads back).
EXPORT_HEADERS: dict[str, tuple[tuple[str, str], ...]] = {
    "buildings": (("street", "Улица"), ("street_type", "Тип улицы"), ("house", "Дом"), ("building", "Корпус"),
                  ("entrances", "Подъезды"), ("floors", "Этажи"), ("apartments", "Квартиры"), ("lifts", "Лифты"),
                  ("company_code", "Код"), ("fias_id", "ФИАС/ГАР"), ("district", "Район")),
    "residents": (("phone", "Телефон"), ("name", "ФИО"), ("street", "Улица"), ("house", "Дом"),
                  ("building", "Корпус"), ("apartment", "Квартира"), ("other_phones", "Другие телефоны")),
}
MAX_ROWS = 50_000


class TableError(Exception):
    """The file as a whole cannot be read (shown to the administrator, in Russian)."""


@dataclass
class Table:
    rows: list[dict[str, Any]] = field(default_factory=list)
    unknown_headers: list[str] = field(default_factory=list)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TableError("Файл не в кодировке UTF-8 или Windows-1251")


def _raw_rows(data: bytes, filename: str) -> list[list[Any]]:
    if filename.lower().endswith(".xlsx") or data[:2] == b"PK":
        from openpyxl import load_workbook  # type: ignore[import-untyped]

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                sheet = book.worksheets[0]
                return [list(r) for r in sheet.iter_rows(values_only=True)]
            finally:
                book.close()
        except Exception as exc:  # openpyxl raises many kinds on a damaged or foreign file
            raise TableError("Файл XLSX не читается") from exc
    if b"\x00" in data:
        raise TableError("Это не таблица CSV или XLSX")
    text = _decode(data)
    sample = text[:4096]
    delimiter = max(";,\t", key=sample.count)
    try:
        return [list(r) for r in csv.reader(io.StringIO(text), delimiter=delimiter)]
    except csv.Error as exc:
        raise TableError("Файл CSV не читается") from exc


def read_table(kind: str, data: bytes, filename: str = "") -> Table:
    """The rows of a CSV or XLSX file as dicts of our field names; empty lines are skipped
    (a row keeps its line number through ``_line``)."""
    names = HEADERS[kind]
    raw = _raw_rows(data, filename)
    if not raw:
        raise TableError("Файл пуст")
    header = [str(h or "").strip() for h in raw[0]]
    fields = dict(EXPORT_HEADERS[kind])
    columns: list[str | None] = []
    table = Table()
    for h in header:
        key = h.lower().rstrip(".").strip()
        column = names.get(key) or (key if key in fields else None)
        columns.append(column)
        if column is None and h:
            table.unknown_headers.append(h)
    if table.unknown_headers:
        raise TableError("Неизвестные столбцы: " + ", ".join(table.unknown_headers)
                         + ". Ожидаются: " + ", ".join(label for _, label in EXPORT_HEADERS[kind]))
    if len(raw) - 1 > MAX_ROWS:
        raise TableError(f"Слишком много строк (больше {MAX_ROWS})")
    for line, values in enumerate(raw[1:], start=2):
        if all(v is None or str(v).strip() == "" for v in values):
            continue
        row: dict[str, Any] = {"_line": line}
        row.update({column: value for column, value in zip(columns, values, strict=False) if column is not None})
        table.rows.append(row)
    return table


def write_table(kind: str, rows: Sequence[dict[str, Any]], fmt: str) -> bytes:
    # Imported here: cti.web's package imports this module (its admin API) on the way in.
    from cti.export import Cell, to_csv, to_xlsx

    header = EXPORT_HEADERS[kind]
    cells: list[list[Cell]] = [[r.get(name) for name, _ in header] for r in rows]
    labels = [label for _, label in header]
    return to_csv(labels, cells) if fmt == "csv" else to_xlsx(labels, cells)


__all__ = ["EXPORT_HEADERS", "HEADERS", "Table", "TableError", "read_table", "write_table"]
