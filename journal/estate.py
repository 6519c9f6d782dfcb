"""The administrator's side of buildings and residents: edit one, or import a whole table (the
files a managing company already has) checked row by row first: a table with any bad row
changes nothing, and the report names every bad row and field.

Street names go through ``addresses.normalize_street``, the normaliser speech understanding
matches spoken addresses with, so an imported building is found from a call at once.

Import messages are shown to the administrator as they are, so they are in Russian."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from . import audit
from .addresses import STREET_TYPE_FORMS, STREET_TYPES, address_key, format_address, normalize_phone, normalize_street
from .db import Database
from .errors import InvalidValue, NotFound
from .history import Actor
from .models import Building, Resident

BUILDING_FIELDS = ("street", "street_type", "house", "building", "entrances", "floors", "apartments", "lifts",
                   "company_code", "fias_id", "district")
NUMBER_FIELDS = ("entrances", "floors", "apartments", "lifts")
RESIDENT_FIELDS = ("phone", "name", "street", "house", "building", "apartment", "other_phones")
FIAS = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
HOUSE = re.compile(r"^[0-9]+[а-яa-z]?(/[0-9]+[а-яa-z]?)?$")
STREET_TYPE_NAMES = sorted(set(STREET_TYPES.values()) | {"тупик", "аллея"})
PREVIEW_ROWS = 20


class RowError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class RowProblem:
    row: int  # the row's line in the file (the header is line 1)
    field: str
    message: str


@dataclass
class ImportReport:
    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[RowProblem] = field(default_factory=list)
    preview: list[dict[str, Any]] = field(default_factory=list)
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors and self.rows > 0


def _text(raw: Mapping[str, Any], name: str) -> str | None:
    value = raw.get(name)
    if value is None:
        return None
    text = str(value).strip()
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    return text or None


def _number(raw: Mapping[str, Any], name: str) -> int | None:
    text = _text(raw, name)
    if text is None:
        return None
    try:
        n = int(float(text)) if re.fullmatch(r"\d+(\.0+)?", text) else int(text)
    except ValueError:
        raise RowError(name, f"не число: «{text}»") from None
    if not 0 <= n <= 100000:
        raise RowError(name, f"недопустимое число: {n}")
    return n


def building_values(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A building's fields from a row or a form, checked; RowError names the first bad field."""
    street = _text(raw, "street")
    if not street or not normalize_street(street):
        raise RowError("street", "не указана улица")
    house = (_text(raw, "house") or "").lower().replace(" ", "")
    if not house:
        raise RowError("house", "не указан дом")
    if not HOUSE.match(house):
        raise RowError("house", f"непонятный номер дома: «{house}»")
    # No type column: the type written with the name ("пр-т Мира", "Садовая ул."), else улица.
    said = [STREET_TYPE_FORMS[w] for w in re.split(r"[\s.]+", street.lower()) if w in STREET_TYPE_FORMS]
    street_type_raw = (_text(raw, "street_type") or (said[0] if said else "улица")).lower().rstrip(".")
    street_type = STREET_TYPES.get(street_type_raw, street_type_raw)
    if street_type not in STREET_TYPE_NAMES:
        raise RowError("street_type", f"неизвестный тип улицы: «{street_type_raw}»")
    fias = (_text(raw, "fias_id") or "").lower() or None
    if fias is not None and not FIAS.match(fias):
        raise RowError("fias_id", f"не идентификатор ФИАС/ГАР: «{fias}»")
    values: dict[str, Any] = {
        "street": normalize_street(street), "street_type": street_type, "house": house,
        "building": (_text(raw, "building") or "").lower() or None,
        "company_code": _text(raw, "company_code"), "fias_id": fias, "district": _text(raw, "district"),
    }
    for name in NUMBER_FIELDS:
        values[name] = _number(raw, name)
    return values


def building_row(b: Building) -> dict[str, Any]:
    return {name: getattr(b, name) for name in BUILDING_FIELDS}


def resident_row(r: Resident, b: Building | None) -> dict[str, Any]:
    return {"phone": r.phone, "name": r.name, "street": b.street if b else None, "house": b.house if b else None,
            "building": b.building if b else None, "apartment": r.apartment,
            "other_phones": r.other_phones.strip(",") if r.other_phones else None}


def _phones(text: str | None) -> str | None:
    if not text:
        return None
    out = []
    for part in re.split(r"[,;]", text):
        if not part.strip():
            continue
        p = normalize_phone(part)
        if p is None or len(p) < 5:
            raise RowError("other_phones", f"не телефон: «{part.strip()}»")
        out.append(p)
    # Stored with commas around every number: ",79161112233,74951112233,", so a caller is
    # found by one of them with LIKE '%,<number>,%' and never by a part of a longer number.
    return f",{','.join(out)}," if out else None


class Estate:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- buildings -------------------------------------------------------------------------
    async def buildings(self) -> Sequence[Building]:
        async with self.db.read() as s:
            return (await s.execute(select(Building).order_by(Building.street, Building.house, Building.building))
                    ).scalars().all()

    async def save_building(self, actor: Actor, raw: Mapping[str, Any], building_id: int | None = None) -> Building:
        try:
            values = building_values(raw)
        except RowError as exc:
            raise InvalidValue(exc.field, exc.message) from None
        key = address_key(values["street"], values["house"], values["building"])
        async with self.db.write() as s:
            clash = (await s.execute(select(Building).where(Building.address_key == key))).scalar_one_or_none()
            if building_id is None:
                if clash is not None:
                    raise InvalidValue("street", "такой дом уже есть")
                row = Building(address_key=key, **values)
                s.add(row)
                await s.flush()
                audit.record(s, actor, "building.create", "building", row.id, summary=_address(row),
                             after=building_row(row))
                return row
            found = await s.get(Building, building_id)
            if found is None:
                raise NotFound("building", building_id)
            row = found
            if clash is not None and clash.id != row.id:
                raise InvalidValue("street", "такой дом уже есть")
            before = building_row(row)
            for name, value in values.items():
                setattr(row, name, value)
            row.address_key = key
            old, new = audit.changed(before, building_row(row))
            if new:
                audit.record(s, actor, "building.update", "building", row.id, summary=_address(row), before=old,
                             after=new)
            await s.flush()
            return row

    async def import_buildings(self, actor: Actor, rows: Sequence[Mapping[str, Any]], *, apply: bool,
                               first_line: int = 2) -> ImportReport:
        report = ImportReport("buildings", rows=len(rows))
        checked: list[tuple[int, str, dict[str, Any]]] = []
        seen: dict[str, int] = {}
        codes: dict[str, int] = {}
        for i, raw in enumerate(rows):
            line = int(raw.get("_line") or first_line + i)
            try:
                values = building_values(raw)
            except RowError as exc:
                report.errors.append(RowProblem(line, exc.field, exc.message))
                continue
            key = address_key(values["street"], values["house"], values["building"])
            if key in seen:
                report.errors.append(RowProblem(line, "house", f"этот дом уже есть в строке {seen[key]}"))
                continue
            code = values["company_code"]
            if code is not None and code in codes:
                report.errors.append(RowProblem(line, "company_code", f"код уже есть в строке {codes[code]}"))
                continue
            seen[key] = line
            if code is not None:
                codes[code] = line
            checked.append((line, key, values))
        async with (self.db.write() if apply and not report.errors else self.db.read()) as s:
            existing = {b.address_key: b for b in (await s.execute(select(Building))).scalars()}
            for _, key, _values in checked:
                report.created += key not in existing
                report.updated += key in existing
            report.preview = [{**v, "exists": k in existing} for _, k, v in checked[:PREVIEW_ROWS]]
            if not apply or not report.ok:
                return report
            for _, key, values in checked:
                row = existing.get(key)
                if row is None:
                    s.add(Building(address_key=key, **values))
                else:
                    for name, value in values.items():
                        setattr(row, name, value)
            audit.record(s, actor, "building.import", "building", None,
                         summary=f"строк {report.rows}: новых {report.created}, обновлено {report.updated}")
            report.applied = True
        return report

    # -- residents -------------------------------------------------------------------------
    async def residents(self, *, limit: int = 500, offset: int = 0) -> Sequence[tuple[Resident, Building | None]]:
        async with self.db.read() as s:
            rows = await s.execute(select(Resident, Building).outerjoin(Building, Resident.building_id == Building.id)
                                   .order_by(Resident.name, Resident.phone).limit(limit).offset(offset))
            return [(r, b) for r, b in rows.all()]

    async def resident(self, resident_id: int) -> tuple[Resident, Building | None]:
        async with self.db.read() as s:
            row = (await s.execute(select(Resident, Building).outerjoin(Building, Resident.building_id == Building.id)
                                   .where(Resident.id == resident_id))).first()
        if row is None:
            raise NotFound("resident", resident_id)
        return row[0], row[1]

    def _resident_values(self, raw: Mapping[str, Any], buildings: Mapping[str, Building]) -> dict[str, Any]:
        phone_text = _text(raw, "phone")
        phone = normalize_phone(phone_text)
        if phone is None or len(phone) < 5:
            raise RowError("phone", f"не телефон: «{phone_text or ''}»")
        building_id = None
        if _text(raw, "street") or _text(raw, "house"):
            street, house = _text(raw, "street") or "", _text(raw, "house") or ""
            b = buildings.get(address_key(street, house, _text(raw, "building")))
            if b is None:
                raise RowError("house", f"дом не найден среди домов компании: {street}, {house}")
            building_id = b.id
        return {"phone": phone, "name": _text(raw, "name"), "building_id": building_id,
                "apartment": _text(raw, "apartment"), "other_phones": _phones(_text(raw, "other_phones"))}

    async def save_resident(self, actor: Actor, raw: Mapping[str, Any], resident_id: int | None = None) -> Resident:
        async with self.db.write() as s:
            buildings = {b.address_key: b for b in (await s.execute(select(Building))).scalars()}
            if raw.get("building_id") is not None:
                b = await s.get(Building, int(raw["building_id"]))
                if b is None:
                    raise NotFound("building", raw["building_id"])
                raw = {**raw, "street": b.street, "house": b.house, "building": b.building}
            try:
                values = self._resident_values(raw, buildings)
            except RowError as exc:
                raise InvalidValue(exc.field, exc.message) from None
            clash = (await s.execute(select(Resident).where(Resident.phone == values["phone"]))).scalar_one_or_none()
            if resident_id is None:
                if clash is not None:
                    raise InvalidValue("phone", "житель с этим телефоном уже есть")
                row = Resident(**values)
                s.add(row)
                await s.flush()
                audit.record(s, actor, "resident.create", "resident", row.id, summary=row.phone, after=values)
                return row
            found_r = await s.get(Resident, resident_id)
            if found_r is None:
                raise NotFound("resident", resident_id)
            row = found_r
            if clash is not None and clash.id != row.id:
                raise InvalidValue("phone", "житель с этим телефоном уже есть")
            before = {k: getattr(row, k) for k in values}
            for name, value in values.items():
                setattr(row, name, value)
            old, new = audit.changed(before, values)
            if new:
                audit.record(s, actor, "resident.update", "resident", row.id, summary=row.phone, before=old, after=new)
            await s.flush()
            return row

    async def import_residents(self, actor: Actor, rows: Sequence[Mapping[str, Any]], *, apply: bool,
                               first_line: int = 2) -> ImportReport:
        report = ImportReport("residents", rows=len(rows))
        async with (self.db.write() if apply else self.db.read()) as s:
            buildings = {b.address_key: b for b in (await s.execute(select(Building))).scalars()}
            existing = {r.phone: r for r in (await s.execute(select(Resident))).scalars()}
            checked: list[dict[str, Any]] = []
            seen: dict[str, int] = {}
            for i, raw in enumerate(rows):
                line = int(raw.get("_line") or first_line + i)
                try:
                    values = self._resident_values(raw, buildings)
                except RowError as exc:
                    report.errors.append(RowProblem(line, exc.field, exc.message))
                    continue
                if values["phone"] in seen:
                    report.errors.append(RowProblem(line, "phone", f"этот телефон уже есть в строке {seen[values['phone']]}"))
                    continue
                seen[values["phone"]] = line
                checked.append(values)
                report.created += values["phone"] not in existing
                report.updated += values["phone"] in existing
            by_id = {b.id: b for b in buildings.values()}
            report.preview = [{**v, "address": _address(by_id[v["building_id"]]) if v["building_id"] else None,
                               "exists": v["phone"] in existing} for v in checked[:PREVIEW_ROWS]]
            if not apply or not report.ok:
                return report
            for values in checked:
                row = existing.get(values["phone"])
                if row is None:
                    s.add(Resident(**values))
                else:
                    for name, value in values.items():
                        setattr(row, name, value)
            audit.record(s, actor, "resident.import", "resident", None,
                         summary=f"строк {report.rows}: новых {report.created}, обновлено {report.updated}")
            report.applied = True
        return report


def _address(b: Building) -> str:
    return format_address(b.street_type, b.street, b.house, b.building)


__all__ = ["BUILDING_FIELDS", "Estate", "RowProblem", "ImportReport", "RESIDENT_FIELDS", "building_row",
           "building_values", "resident_row"]
