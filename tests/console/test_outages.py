"""«Аварии» on the console: declaring voices the outage's prompts and puts a banner on every page;
bad input is refused in Russian and nothing is made; a burst of calls is suggested with a
prefilled declaration that attaches its tickets; state changes reach the children; tickets are
attached and detached; the printable notices; only dispatchers and administrators change it."""

from __future__ import annotations

import wave
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from cti.settings import Settings
from journal import Actor, AuditFilter, Journal
from journal.clock import utcnow
from tests.console.conftest import Session, Staff, make_ticket
from tests.console.test_admin_voice import needs_tools

MakeSession = Callable[[str], Awaitable[Session]]


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    settings.voice.prompts_dir = str(tmp_path / "asterisk-sounds")
    settings.outages.suggest_calls = 3
    return settings


async def _street(journal: Journal) -> list[int]:
    return [(await journal.people.add_building("Ленина", house)).id for house in ("5", "7", "9")]


def _body(building_ids: list[int], **kw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"utility": "hot_water", "building_ids": building_ids,
                            "announcement": "Отключена горячая вода: авария на теплотрассе.",
                            "cause": "Порыв трубы", "expected_restoration": "2099-01-15T18:30"}
    body.update(kw)
    return body


@needs_tools
async def test_declaring_voices_the_outage_and_every_page_shows_the_banner(
    browser_session: MakeSession, web_journal: Journal, settings: Settings,
) -> None:
    ids = await _street(web_journal)
    petrova = await browser_session("petrova")
    status, body = await petrova.api("POST", "/api/outages", _body(ids[:2]))
    assert status == 201, body
    outage = body["outage"]  # type: ignore[index]
    assert (outage["state_label"], outage["streets"], outage["expected_restoration"]) == (
        "действует", "улица Ленина", "15.01.2099 18:30")
    sounds = settings.path(settings.voice.prompts_dir)
    for part in ("text", "offer"):
        with wave.open(str(sounds / f"outage-{outage['id']}-{part}.wav")) as w:
            assert (w.getframerate(), w.getnchannels()) == (8000, 1) and w.getnframes() > 8000
    qa = await browser_session("qa")
    for session, page in ((petrova, "/tickets"), (qa, "/missed"), (petrova, "/console")):
        status, html = await session.api("GET", page)
        assert status == 200 and "Авария: ГВС — улица Ленина (действует, до 15.01.2099 18:30)" in str(html)
    [entry] = await web_journal.audit.entries(AuditFilter(object_type="outage"))
    assert entry.actor == "Петрова О. И. (petrova)" and entry.action == "outage.declare"
    found = await web_journal.outages.active_outage_for_building(ids[0])
    assert found is not None and found.id == outage["id"]


@pytest.mark.parametrize(("change", "message"), [
    ({"building_ids": []}, "не выбран ни один дом"),
    ({"utility": "steam"}, "неизвестный вид аварии"),
    ({"announcement": " "}, "Не заполнено поле «announcement»"),
    ({"expected_restoration": "завтра"}, "дата и время в виде 2026-01-15T18:30"),
    ({"expires_at": "2020-01-01T08:00"}, "срок действия кончается раньше начала"),
    ({"building_ids": ["5"]}, "Поле «building_ids»: список номеров"),
])
async def test_bad_declarations_are_refused_in_russian_and_nothing_is_made(
    browser_session: MakeSession, web_journal: Journal, change: dict[str, Any], message: str,
) -> None:
    ids = await _street(web_journal)
    petrova = await browser_session("petrova")
    status, body = await petrova.api("POST", "/api/outages", {**_body(ids), **change})
    assert status in (400, 422) and message in str(body)
    assert await web_journal.outages.recent() == []


async def test_a_burst_is_suggested_and_the_prefilled_declaration_attaches_its_tickets(
    browser_session: MakeSession, web_journal: Journal,
) -> None:
    ids = await _street(web_journal)
    tickets = [await make_ticket(web_journal, category="heating", building_id=b, apartment=str(i),
                                 caller_phone=f"7916100000{i}") for i, b in enumerate(ids)]
    petrova = await browser_session("petrova")
    status, html = await petrova.api("GET", "/outages")
    assert status == 200 and "Похоже на массовую аварию" in str(html)
    link = f"/outages/new?utility=heating&amp;buildings={','.join(map(str, ids))}&amp;tickets={','.join(map(str, tickets))}"
    assert link in str(html)
    status, form = await petrova.api("GET", link.replace("&amp;", "&"))
    assert str(form).count(" checked>") == 3 and 'value="heating" selected' in str(form)
    status, body = await petrova.api("POST", "/api/outages", _body(ids, utility="heating", ticket_ids=tickets))
    assert status == 201, body
    outage_id = body["outage"]["id"]  # type: ignore[index]
    assert sorted(t.id for t in await web_journal.outages.children(outage_id)) == sorted(tickets)
    status, html = await petrova.api("GET", "/outages")
    assert "Похоже на массовую аварию" not in str(html)


async def test_state_changes_reach_the_children_and_tickets_attach_and_detach(
    browser_session: MakeSession, web_journal: Journal, staff: Staff,
) -> None:
    ids = await _street(web_journal)
    petrova = await browser_session("petrova")
    _, body = await petrova.api("POST", "/api/outages", _body(ids[:1]))
    outage_id = body["outage"]["id"]  # type: ignore[index]
    ticket_id = await make_ticket(web_journal, building_id=ids[0])
    number = (await web_journal.tickets.get(ticket_id)).number
    status, body = await petrova.api("POST", f"/api/outages/{outage_id}/attach", {"number": number})
    assert status == 200 and body == {"ticket_id": ticket_id, "number": number}
    status, html = await petrova.api("GET", f"/outages/{outage_id}")
    assert number in str(html) and "Отсоединить" in str(html)
    status, body = await petrova.api("POST", f"/api/outages/{outage_id}/state", {"state": "restored"})
    assert status == 422 and "укажите, что сделано" in str(body)
    status, body = await petrova.api("POST", f"/api/outages/{outage_id}/state",
                                     {"state": "restored", "resolution": "Заменён участок трубы"})
    assert status == 200 and body["outage"]["state_label"] == "восстановлено"  # type: ignore[index]
    child = await web_journal.tickets.get(ticket_id)
    assert (child.status, child.result) == ("done", "Заменён участок трубы")
    status, body = await petrova.api("POST", f"/api/outages/{outage_id}/detach", {"ticket_id": ticket_id})
    assert status == 200 and (await web_journal.tickets.get(ticket_id)).outage_id is None
    status, html = await petrova.api("GET", "/tickets")
    assert "Авария: ГВС" not in str(html)


async def test_the_printable_notices(browser_session: MakeSession, web_journal: Journal) -> None:
    ids = await _street(web_journal)
    petrova = await browser_session("petrova")
    _, body = await petrova.api("POST", "/api/outages", _body(ids[:2]))
    outage_id = body["outage"]["id"]  # type: ignore[index]
    await web_journal.outages.add_caller(outage_id, actor=Actor.system("ivr"), channel="phone_ivr",
                                         caller_phone="79160000001")
    status, html = await petrova.api("GET", f"/outages/{outage_id}/municipality")
    assert status == 200
    for text in ("№ 416, п. 13", "Порыв трубы", "15.01.2099 18:30", "улица Ленина, д. 5; улица Ленина, д. 7"):
        assert text.lower() in str(html).lower()
    assert "<th>Обращений жителей</th><td>1</td>" in str(html)
    status, html = await petrova.api("GET", f"/outages/{outage_id}/door")
    assert status == 200 and "ОБЪЯВЛЕНИЕ" in str(html) and "Отключена горячая вода" in str(html)


async def test_only_dispatchers_and_administrators_change_outages(
    browser_session: MakeSession, web_journal: Journal,
) -> None:
    ids = await _street(web_journal)
    for login in ("sidorov", "qa"):
        s = await browser_session(login)
        status, _ = await s.api("POST", "/api/outages", _body(ids))
        assert status == 403
    admin = await browser_session("admin")
    status, _ = await admin.api("POST", "/api/outages", _body(ids, expires_at=None))
    assert status == 201
    assert utcnow() < (await web_journal.outages.recent())[0].expires_at
