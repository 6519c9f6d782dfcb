"""Buildings and residents imported from the files a managing company has (CSV, XLSX): a
preview with every bad row named, nothing imported while any row is bad, export back; and an
imported building found at once from a spoken address, its ticket going to the executor on
shift by the schedule (a 24-hour shift that crossed midnight)."""

from __future__ import annotations

import io
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

import aiohttp
from openpyxl import Workbook  # type: ignore[import-untyped]

from cti.tables import read_table
from ivr.nlu import match_building, understand
from journal import Actor, Journal, NewTicket
from journal.clock import utcnow
from tests.console.conftest import Session, Staff

MakeSession = Callable[[str], Awaitable[Session]]
STREETS = ["Ленина", "Садовая ул.", "пр-т Мира", "Строителей", "Зелёная", "Гагарина", "Победы", "Молодёжная"]
BUILDING_HEADER = "Улица;Тип улицы;Дом;Корпус;Подъезды;Этажи;Квартиры;Лифты;Код;ФИАС/ГАР"
RESIDENT_HEADER = "Телефон;ФИО;Улица;Дом;Корпус;Квартира;Другие телефоны"


def buildings_csv(n: int, bad: dict[int, str]) -> tuple[bytes, list[str]]:
    """n rows; ``bad`` maps a row index to the kind of mistake in it. Returns the file and the
    addresses (street, house) of the good rows."""
    lines = [BUILDING_HEADER]
    good = []
    for i in range(n):
        street, house, corpus = STREETS[i % len(STREETS)], str(1 + i // len(STREETS)), ""
        cells = [street, "", house, corpus, "4", "9", "144", "4", f"УК-{i:04d}", str(uuid.UUID(int=i + 1))]
        mistake = bad.get(i)
        if mistake == "no house":
            cells[2] = ""
        elif mistake == "floors":
            cells[5] = "девять"
        elif mistake == "fias":
            cells[9] = "не-фиас"
        elif mistake == "street type":
            cells[1] = "авеню"
        elif mistake == "duplicate":
            cells[0], cells[2] = STREETS[0], "1"
        else:
            good.append(f"{street}|{house}")
        lines.append(";".join(cells))
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"), good


async def upload(s: Session, kind: str, data: bytes, filename: str, *, apply: bool) -> tuple[int, dict[str, object]]:
    form = aiohttp.FormData()
    form.add_field("file", data, filename=filename, content_type="application/octet-stream")
    form.add_field("apply", "true" if apply else "false")
    async with s.http.post(s.url(f"/api/admin/import/{kind}"), data=form, headers={"X-CSRF-Token": s.csrf}) as r:
        return r.status, await r.json()


BAD_BUILDINGS = {17: "no house", 60: "floors", 123: "fias", 200: "street type", 255: "duplicate"}


async def test_buildings_csv_preview_errors_no_partial_import_then_import_and_export(
    browser_session: MakeSession, web_journal: Journal,
) -> None:
    admin = await browser_session("admin")
    data, _good = buildings_csv(300, BAD_BUILDINGS)
    status, report = await upload(admin, "buildings", data, "дома.csv", apply=False)
    assert status == 200
    assert report["rows"] == 300 and report["created"] == 295 and not report["applied"]
    errors = [(e["row"], e["field"]) for e in report["errors"]]  # type: ignore[union-attr]
    # The header is line 1: data row i is line i + 2.
    assert errors == [(19, "house"), (62, "floors"), (125, "fias_id"), (202, "street_type"), (257, "house")]
    messages = [e["message"] for e in report["errors"]]  # type: ignore[union-attr]
    assert messages[1] == "не число: «девять»" and "строке 2" in messages[4]
    assert len(report["preview"]) == 20  # type: ignore[arg-type]

    # With bad rows, nothing at all is imported.
    status, report = await upload(admin, "buildings", data, "дома.csv", apply=True)
    assert status == 422 and report["applied"] is False
    assert await web_journal.estate.buildings() == []

    # The corrected file imports all of its rows.
    fixed, _ = buildings_csv(295, {})
    status, report = await upload(admin, "buildings", fixed, "дома.csv", apply=True)
    assert status == 200 and report["applied"] and report["created"] == 295
    rows = await web_journal.estate.buildings()
    assert len(rows) == 295
    mira = next(b for b in rows if b.street == "мира" and b.house == "1")
    assert (mira.street_type, mira.entrances, mira.floors, mira.lifts) == ("проспект", 4, 9, 4)
    assert mira.fias_id == str(uuid.UUID(int=3)) and mira.company_code == "УК-0002"

    # Exported and imported again: the same buildings, updated, none new.
    async with admin.http.get(admin.url("/api/admin/export/buildings.xlsx")) as r:
        assert r.status == 200
        xlsx = await r.read()
    table = read_table("buildings", xlsx, "buildings.xlsx")
    assert len(table.rows) == 295
    status, report = await upload(admin, "buildings", xlsx, "buildings.xlsx", apply=True)
    assert status == 200 and (report["created"], report["updated"]) == (0, 295)

    status, log = await admin.api("GET", "/api/admin/audit?object_type=building")
    assert isinstance(log, dict)
    assert [e["action"] for e in log["items"]] == ["building.import", "building.import"]


async def test_residents_csv_and_xlsx(browser_session: MakeSession, web_journal: Journal) -> None:
    admin = await browser_session("admin")
    for street in ("Ленина", "Садовая"):
        for house in ("1", "2", "3"):
            await web_journal.people.add_building(street, house)
    lines = [RESIDENT_HEADER]
    for i in range(250):
        street = ("Ленина", "ул. Садовая")[i % 2]
        lines.append(f"+7 916 {i:03d}-00-00;Жилец {i};{street};{1 + i % 3};;{i + 1};8 495 {i:03d}-11-22")
    lines[40] = "8 916 000-00-00;Двойник;Ленина;1;;5;"  # the phone of line 2
    lines[99] = "12;Без номера;Ленина;1;;5;"
    lines[180] = "+79160001234;Нет дома;Ленина;99;;5;"
    status, report = await upload(admin, "residents", "\n".join(lines).encode("cp1251"), "жители.csv", apply=True)
    assert status == 422
    assert [(e["row"], e["field"]) for e in report["errors"]] == [  # type: ignore[union-attr]
        (41, "phone"), (100, "phone"), (181, "house")]
    assert await web_journal.estate.residents() == []

    del lines[180], lines[99], lines[40]
    status, report = await upload(admin, "residents", "\n".join(lines).encode("cp1251"), "жители.csv", apply=True)
    assert status == 200 and report["created"] == 247
    r = await web_journal.people.find_resident("79160070000")
    assert r is not None and r.name == "Жилец 7" and r.apartment == "8"
    # Found by the other number too (a call from it is the same resident), and only by whole numbers.
    other = await web_journal.people.find_resident("8 (495) 007-11-22")
    assert other is not None and other.id == r.id
    assert await web_journal.people.find_resident("4950071122") is None
    reg = await web_journal.tickets.register(NewTicket(channel="phone_ivr", category="water",
                                                       caller_phone="+7 495 007-11-22", actor=Actor.system("ivr"),
                                                       auto_assign=False))
    assert (reg.ticket.resident_id, reg.ticket.building_id, reg.ticket.apartment) == (r.id, r.building_id, "8")
    b = await web_journal.people.find_building("Садовая", "2")
    assert b is not None and r.building_id == b.id

    # An XLSX with our own column names works the same.
    book = Workbook()
    sheet = book.active
    sheet.append(["phone", "name", "street", "house", "apartment"])
    sheet.append(["79031112233", "Из таблицы", "Ленина", 3, 12])
    out = io.BytesIO()
    book.save(out)
    status, report = await upload(admin, "residents", out.getvalue(), "r.xlsx", apply=True)
    assert status == 200 and report["created"] == 1
    # A file with columns we do not know is refused as a whole, naming them.
    status, report = await upload(admin, "residents", "Телефон;Отчество\n79031112233;Иванович\n".encode(), "x.csv",
                                  apply=False)
    assert status == 400 and "Отчество" in str(report["error"])


async def test_an_imported_building_is_found_from_speech_and_its_ticket_goes_to_the_executor_on_shift(
    browser_session: MakeSession, web_journal: Journal, staff: Staff,
) -> None:
    admin = await browser_session("admin")
    data = (BUILDING_HEADER + "\n" + "Садовая ул.;;7;2;3;5;60;0;С-7;\n" + "Садовая;улица;7;;3;5;60;0;С-7а;\n"
            + "пр-т Мира;;23;;2;9;72;2;М-23;\n").encode()
    status, report = await upload(admin, "buildings", data, "дома.csv", apply=True)
    assert status == 200 and report["created"] == 3
    other = await web_journal.people.find_building("Мира", "23")
    assert other is not None

    # A 24-hour shift that began yesterday evening (local) and runs past midnight to now + 30 min.
    tz = web_journal.config.tz
    now = utcnow().astimezone(tz)
    began = now - timedelta(hours=23, minutes=30)
    shift = {"start": f"{began:%H:%M}", "end": f"{began:%H:%M}", "pattern": "1000"}
    put = {
        # On shift now, by the rota that started yesterday: serves every building.
        "sidorov": {"rota": {**shift, "starts_on": began.date().isoformat()}, "building_ids": []},
        # Same trade, all buildings, but the next day of the same rota: not on shift yet.
        "kozlov": {"rota": {**shift, "starts_on": (began.date() + timedelta(days=1)).isoformat()}, "building_ids": []},
    }
    for login, body in put.items():
        status, answer = await admin.api("PUT", f"/api/admin/users/{staff[login]}/profile",
                                         {"categories": ["sewer", "water"], "weekly": [], **body})
        assert status == 200, answer
    # A third executor, on shift round the clock, serves only prospekt Mira.
    status, created = await admin.api("POST", "/api/admin/users", {"login": "orlov", "full_name": "Орлов",
                                                                   "role": "executor"})
    assert status == 201 and isinstance(created, dict)
    orlov = created["user"]["id"]
    status, _ = await admin.api("PUT", f"/api/admin/users/{orlov}/profile", {
        "categories": ["sewer"], "building_ids": [other.id], "weekly": [],
        "rota": {"starts_on": "2026-01-01", "start": "00:00", "end": "00:00", "pattern": "1"}})
    assert status == 200

    # What the caller said, through speech understanding, against the journal's buildings.
    u = understand("у нас засор канализации на садовой улице дом семь корпус два квартира двенадцать")
    assert u.category == "sewer" and u.address is not None
    match = match_building(u.address, await web_journal.people.buildings())
    assert match is not None and (match.street, match.house, match.building) == ("садовая", "7", "2")

    reg = await web_journal.tickets.register(NewTicket(
        channel="phone_ivr", category=u.category, problem=u.problem, building_id=match.id,
        apartment=u.address.apartment, caller_phone="79161112233", actor=Actor.system("ivr")))
    assert reg.ticket.executor_id == staff["sidorov"]
    status, duty = await admin.api("GET", "/api/admin/duty")
    assert isinstance(duty, list)
    on_shift = {d["user"]["login"] for d in duty if d["now"]}
    assert on_shift == {"sidorov", "orlov"}
