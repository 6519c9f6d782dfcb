"""Categories and deadlines edited by an administrator: checked, saved as versions, in force
from the next ticket on while registered tickets keep theirs, after a restart too; and the
preview of a deadline."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from journal import Actor, Database, Journal, JournalConfig, NewTicket, SlaPolicy, TicketFilter
from tests.browser import ARTIFACTS, chromium_page, login, needs_browser
from tests.console.conftest import PASSWORD, Session

MakeSession = Callable[[str], Awaitable[Session]]
SEWER_RULE = 'id = "sewer_blockage"\ntitle = "Засор канализационного трубопровода — 2 часа"\nproblems = ["sewer_blockage"]\nrepair = "2h"'
SEWER_1H = 'id = "sewer_blockage"\ntitle = "Засор канализационного трубопровода — 1 час"\nproblems = ["sewer_blockage"]\nrepair = "1h"'


async def sewer_ticket(journal: Journal, phone: str) -> tuple[datetime, datetime | None, int | None]:
    reg = await journal.tickets.register(NewTicket(channel="phone_ivr", category="sewer", problem="sewer_blockage",
                                                   caller_phone=phone, actor=Actor.system("ivr"), auto_assign=False))
    return reg.ticket.received_at, reg.ticket.due_at, reg.ticket.sla_version


async def test_a_new_version_applies_to_new_tickets_only(browser_session: MakeSession, web_journal: Journal,
                                                         tmp_path: Path, sla: SlaPolicy) -> None:
    admin = await browser_session("admin")
    status, state = await admin.api("GET", "/api/admin/sla")
    assert status == 200 and isinstance(state, dict) and state["version"] == 0
    text = str(state["text"])
    assert SEWER_RULE in text

    status, preview = await admin.api("POST", "/api/admin/sla/preview",
                                      {"category": "sewer", "problem": "sewer_blockage", "at": "2026-12-01T10:00"})
    assert status == 200 and isinstance(preview, dict)
    assert preview["text"] == ("«Засор канализации», поступившая 01.12.2026 10:00: устранить до 01.12.2026 12:00 "
                               "(норматив «Засор канализационного трубопровода — 2 часа»)")
    status, preview = await admin.api("POST", "/api/admin/sla/preview", {"category": "gas"})
    assert isinstance(preview, dict) and preview["handover_to"] == "104" and "передать в 104" in str(preview["text"])

    received, due, version = await sewer_ticket(web_journal, "79160000001")
    assert due == received + timedelta(hours=2) and version == 0

    # A mistake is named and nothing is saved.
    status, body = await admin.api("POST", "/api/admin/sla", {"text": text.replace(SEWER_RULE, SEWER_RULE.replace(
        '"2h"', '"2 часа"'))})
    assert status == 422 and "Ошибка в правилах" in str(body) and "2 часа" in str(body)
    status, body = await admin.api("POST", "/api/admin/sla/check", {"text": "[[rules]]\nid = 1"})
    assert status == 422
    status, body = await admin.api("POST", "/api/admin/sla", {"text": text.replace(SEWER_RULE, SEWER_1H),
                                                              "comment": "засоры — час"})
    assert status == 201 and isinstance(body, dict) and body["version"] == 1

    received2, due2, version2 = await sewer_ticket(web_journal, "79160000002")
    assert due2 == received2 + timedelta(hours=1) and version2 == 1
    # The ticket registered before keeps its deadline and the version it was registered under.
    rows = await web_journal.monitor.tickets(TicketFilter(), received2 + timedelta(seconds=1))
    first = next(t for t in rows if t.caller_phone == "79160000001")
    assert first.due_at == due and first.sla_version == 0 and first.sla_rule == "sewer_blockage"

    status, log = await admin.api("GET", "/api/admin/audit?object_type=sla")
    assert isinstance(log, dict) and [(e["action"], e["summary"]) for e in log["items"]] == [("sla.version",
                                                                                            "засоры — час")]

    # A restart: the saved version is in force again, not the file.
    fresh = Journal.build(Database.from_url(str(web_journal.db.engine.url)),
                          SlaPolicy.load(Path(__file__).resolve().parents[2] / "config" / "sla.toml", "Europe/Moscow"),
                          JournalConfig(), tmp_path / "files2")
    try:
        assert await fresh.sla_versions.load_active() == 1
        assert fresh.sla.rule_for("sewer", "sewer_blockage", "urgent", "phone_ivr").title.endswith("1 час")
    finally:
        await fresh.close()


@needs_browser
@pytest.mark.slow
async def test_the_deadlines_page_in_chromium(server: TestServer, web_journal: Journal) -> None:
    from playwright.async_api import expect

    base = f"http://{server.host}:{server.port}"
    async with chromium_page() as (page, errors):
        await login(page, base, "admin", PASSWORD, lands_on="/console")
        await page.goto(f"{base}/admin/sla")
        form = page.locator("#sla-preview")
        await form.locator('[name="category"]').select_option("sewer")
        await form.locator('[name="problem"]').select_option("sewer_blockage")
        await form.locator('[name="at"]').fill("2026-12-01T22:30")
        await form.locator('button[type="submit"]').click()
        result = page.locator("#sla-preview-result")
        await expect(result).to_have_text("«Засор канализации», поступившая 01.12.2026 22:30: устранить до "
                                          "02.12.2026 00:30 (норматив «Засор канализационного трубопровода — "
                                          "2 часа»)", timeout=5000)

        editor = page.locator('#sla-edit [name="text"]')
        text = await editor.input_value()
        await editor.fill(text.replace(SEWER_RULE, SEWER_RULE.replace('"2h"', '"два часа"')))
        await page.click('[data-admin="sla-check"]')
        await expect(page.locator("#sla-edit .msg")).to_contain_text("Ошибка в правилах", timeout=5000)
        await editor.fill(text.replace(SEWER_RULE, SEWER_1H))
        await page.click('[data-admin="sla-check"]')
        await expect(page.locator("#sla-edit .msg")).to_contain_text("Ошибок нет", timeout=5000)
        # The draft's deadline before saving it.
        await form.locator('[name="draft"]').check()
        await form.locator('button[type="submit"]').click()
        await expect(result).to_contain_text("устранить до 01.12.2026 23:30", timeout=5000)
        await page.fill('#sla-edit [name="comment"]', "засоры — час")
        await page.click('#sla-edit button[type="submit"]')
        await expect(page.locator("#sla-versions")).to_contain_text("засоры — час", timeout=5000)
        await expect(page.locator("#sla-rules")).to_contain_text("1 час")
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "admin-sla.png"), full_page=True)
        assert errors == []
    assert web_journal.sla.version == 1
