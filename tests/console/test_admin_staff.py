"""The administrator's staff API over a real socket: accounts with a temporary password that
must be changed at the first log-in, deactivation, resets, executors' schedules, the month
calendar, who is on duty, and the audit log of every change."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from datetime import timedelta

import aiohttp

from journal import Journal
from journal.clock import utcnow
from journal.passwords import MIN_LENGTH, password_problem
from journal.staff import temporary_password
from tests.console.conftest import FORM_CSRF, PASSWORD, FakeClock, Session, Staff

MakeSession = Callable[[str], Awaitable[Session]]


async def first_login(s: Session, login: str, temporary: str, new: str) -> tuple[int, str]:
    """Log in with a temporary password and set a new one through the form; (status, page)."""
    r = await s.login(login, temporary)
    page = await r.text()
    assert r.status == 200 and "Задайте новый пароль" in page, page
    token = FORM_CSRF.search(page)
    assert token
    async with s.http.post(s.url("/login/password"), allow_redirects=False, data={
            "login": login, "current": temporary, "new": new, "repeat": new, "csrf_token": token.group(1)}) as resp:
        return resp.status, await resp.text()


async def audit(s: Session, **query: str) -> list[dict[str, object]]:
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    status, body = await s.api("GET", f"/api/admin/audit?{qs}")
    assert status == 200 and isinstance(body, dict)
    return body["items"]  # type: ignore[no-any-return]


async def test_a_new_account_sets_its_own_password_at_first_log_in(browser_session: MakeSession) -> None:
    admin = await browser_session("admin")
    status, body = await admin.api("POST", "/api/admin/users", {
        "login": "smirnova", "full_name": "Смирнова Е. А.", "role": "dispatcher", "extension": "103"})
    assert status == 201 and isinstance(body, dict)
    temporary = body["temporary_password"]
    assert body["user"]["must_change_password"] is True and len(temporary) >= 12

    s = await browser_session("")
    # The temporary password alone opens no session.
    r = await s.login("smirnova", temporary)
    assert r.status == 200 and (await s.api("GET", "/api/me"))[0] == 401
    # Mismatched new passwords are refused with the reason.
    page = await r.text()
    token = FORM_CSRF.search(page)
    assert token
    async with s.http.post(s.url("/login/password"), data={"login": "smirnova", "current": temporary,
                                                           "new": "новый-пароль-1", "repeat": "другой",
                                                           "csrf_token": token.group(1)}) as resp:
        assert resp.status == 422 and "не совпадают" in await resp.text()
    status, _ = await first_login(s, "smirnova", temporary, "мой-пароль-2026")
    assert status == 302
    status, me = await s.api("GET", "/api/me")
    assert status == 200 and isinstance(me, dict) and me["login"] == "smirnova" and me["extension"] == "103"
    # From now on the new password is the one; the temporary one is gone.
    again = await browser_session("")
    assert (await again.login("smirnova", temporary)).status == 401
    assert (await again.login("smirnova", "мой-пароль-2026")).status == 302

    entries = await audit(admin, object_type="user")
    create = next(e for e in entries if e["action"] == "user.create")
    assert create["actor"] == "Администратор (admin)" and "smirnova" in str(create["after"])
    assert temporary not in json.dumps(entries)


async def test_deactivation_reset_and_the_audit_log(browser_session: MakeSession, staff: Staff) -> None:
    admin = await browser_session("admin")
    status, body = await admin.api("PATCH", f"/api/admin/users/{staff['ivanov']}", {"is_active": False})
    assert status == 200 and isinstance(body, dict) and body["is_active"] is False
    assert (await (await browser_session("")).login("ivanov")).status == 401

    status, body = await admin.api("POST", f"/api/admin/users/{staff['petrova']}/reset-password")
    assert status == 200 and isinstance(body, dict)
    temporary = body["temporary_password"]
    assert (await (await browser_session("")).login("petrova", PASSWORD)).status == 401
    status, _ = await first_login(await browser_session(""), "petrova", temporary, "Zelenaya-lampa-8")
    assert status == 302

    # A taken extension and the last administrator are refused, and say why.
    status, body = await admin.api("PATCH", f"/api/admin/users/{staff['kozlov']}", {"extension": "201"})
    assert status == 422 and "уже занят" in str(body)
    status, body = await admin.api("PATCH", f"/api/admin/users/{staff['admin']}", {"role": "qa"})
    assert status == 422 and "последний" in str(body)

    entries = await audit(admin, object_type="user", object_id=str(staff["ivanov"]))
    assert [(e["action"], json.loads(str(e["before"])), json.loads(str(e["after"]))) for e in entries] == [
        ("user.deactivate", {"is_active": True}, {"is_active": False})]
    resets = await audit(admin, object_type="user", object_id=str(staff["petrova"]))
    assert [e["action"] for e in resets] == ["user.reset_password"]
    # The page shows the same log.
    async with admin.http.get(admin.url("/admin/audit")) as page:
        html = await page.text()
    assert page.status == 200 and "Отключение" in html and "Сброс пароля" in html


async def test_an_executors_rota_calendar_and_duty(browser_session: MakeSession, staff: Staff,
                                                   web_journal: Journal) -> None:
    admin = await browser_session("admin")
    b = await web_journal.people.add_building("Ленина", "5")
    tz = web_journal.config.tz
    today = utcnow().astimezone(tz).date()
    tomorrow = today + timedelta(days=1)
    status, body = await admin.api("PUT", f"/api/admin/users/{staff['sidorov']}/profile", {
        "categories": ["water", "sewer"], "building_ids": [b.id], "weekly": [],
        "rota": {"starts_on": today.isoformat(), "start": "00:00", "end": "00:00", "pattern": "1"}})
    assert status == 200, body
    status, body = await admin.api("PUT", f"/api/admin/users/{staff['kozlov']}/profile", {
        "categories": ["electricity"], "building_ids": [], "weekly": [],
        "rota": {"starts_on": tomorrow.isoformat(), "start": "08:00", "end": "08:00", "pattern": "1000"}})
    assert status == 200 and isinstance(body, dict) and body["rota"]["pattern"] == "1000"

    status, duty = await admin.api("GET", "/api/admin/duty")
    assert status == 200 and isinstance(duty, list)
    by_login = {d["user"]["login"]: d for d in duty}
    assert by_login["sidorov"]["now"] is not None
    assert by_login["kozlov"]["now"] is None
    assert by_login["kozlov"]["next"]["start"].startswith(f"{tomorrow.isoformat()}T08:00")

    # The calendar of the rota's month: every fourth day from tomorrow, overnight.
    month = tomorrow.strftime("%Y-%m")
    status, cal = await admin.api("GET", f"/api/admin/users/{staff['kozlov']}/calendar?month={month}")
    assert status == 200 and isinstance(cal, dict)
    work = [d["date"] for d in cal["days"] if d["kind"] == "work"]
    expected = [d.isoformat() for d in (tomorrow + timedelta(days=4 * i) for i in range(9)) if d.strftime("%Y-%m") == month]
    assert work == expected
    first = next(d for d in cal["days"] if d["kind"] == "work")
    assert first["shifts"] == [{"start": "08:00", "end": "08:00", "overnight": True}]

    # A day off instead of a working day, and leave.
    status, _ = await admin.api("POST", f"/api/admin/users/{staff['kozlov']}/day-changes",
                                {"date": tomorrow.isoformat(), "off": True, "reason": "отгул"})
    assert status == 201
    leave_from = tomorrow + timedelta(days=4)
    status, _ = await admin.api("POST", f"/api/admin/users/{staff['kozlov']}/leave",
                                {"from": leave_from.isoformat(), "to": (leave_from + timedelta(days=2)).isoformat(),
                                 "reason": "отпуск"})
    assert status == 201
    status, duty = await admin.api("GET", "/api/admin/duty")
    assert isinstance(duty, list)
    nxt = next(d for d in duty if d["user"]["login"] == "kozlov")["next"]
    assert nxt["start"].startswith((tomorrow + timedelta(days=8)).isoformat())
    status, profile = await admin.api("GET", f"/api/admin/users/{staff['kozlov']}/profile")
    assert isinstance(profile, dict) and [c["reason"] for c in profile["changes"]] == ["отгул"]
    assert [lv["reason"] for lv in profile["leave"]] == ["отпуск"]

    # Bad input is refused in Russian, and nothing changes.
    status, body = await admin.api("PUT", f"/api/admin/users/{staff['kozlov']}/profile", {
        "categories": ["electricity"], "rota": {"starts_on": today.isoformat(), "start": "08:00", "end": "08:00",
                                                "pattern": "10x"}})
    assert status == 422 and "рабочий" in str(body)
    status, body = await admin.api("PUT", f"/api/admin/users/{staff['petrova']}/profile", {"categories": []})
    assert status == 404

    actions = [e["action"] for e in await audit(admin, object_id=str(staff["kozlov"]))]
    assert actions == ["executor.leave", "executor.day_change", "executor.profile"]

    async with admin.http.get(admin.url(f"/admin/staff/{staff['kozlov']}?month={month}")) as page:
        html = await page.text()
    assert page.status == 200
    assert re.search(r'class="day change[^"]*" data-date="' + tomorrow.isoformat(), html)
    assert "выходной (изм.)" in html and "отпуск" in html


async def test_staff_pages_are_the_admins(browser_session: MakeSession) -> None:
    admin = await browser_session("admin")
    for path in ("/admin/staff", "/admin/buildings", "/admin/residents", "/admin/system", "/admin/audit"):
        async with admin.http.get(admin.url(path)) as page:
            assert page.status == 200, path
            assert "Администрирование" in await page.text()
    dispatcher = await browser_session("petrova")
    async with dispatcher.http.get(dispatcher.url("/console")) as page:
        assert "Администрирование" not in await page.text()


def head_revision() -> str:
    """The newest migration (the test follows new ones without an edit)."""
    from alembic.script import ScriptDirectory

    from journal.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config("sqlite+aiosqlite://")).get_current_head()
    assert head is not None
    return head


async def test_the_system_page_shows_the_last_errors(browser_session: MakeSession) -> None:
    from cti.logs import remember_errors

    remember_errors(None, "error", {"event": "ari.rest_failed", "level": "error", "timestamp": "2026-11-30T09:00:00Z",
                                    "error": "HTTP 500 from /channels"})
    remember_errors(None, "info", {"event": "call.started", "level": "info"})
    admin = await browser_session("admin")
    status, body = await admin.api("GET", "/api/admin/system")
    assert status == 200 and isinstance(body, dict)
    assert body["errors"][0] == {"at": "2026-11-30T09:00:00Z", "event": "ari.rest_failed", "level": "error",
                                 "message": "HTTP 500 from /channels"}
    assert all(e["event"] != "call.started" for e in body["errors"])
    assert body["database"]["ok"] and body["database"]["revision"] == head_revision()
    assert body["asr"]["queue"] == 0 and body["recordings"]["retention_days"] == 1095


# -- the administrator's flows under the security rules (issue #14) ----------------------------

async def test_temporary_passwords_pass_the_password_policy(web_journal: Journal) -> None:
    for login in ("a", "smirnova", "abc123"):
        for _ in range(50):
            pw = temporary_password(login)
            assert password_problem(pw, login) is None and len(pw) >= MIN_LENGTH


async def test_the_first_log_in_password_must_pass_the_policy(browser_session: MakeSession) -> None:
    admin = await browser_session("admin")
    status, body = await admin.api("POST", "/api/admin/users", {
        "login": "smirnova", "full_name": "Смирнова Е. А.", "role": "dispatcher"})
    assert status == 201 and isinstance(body, dict)
    temporary = body["temporary_password"]
    s = await browser_session("")
    status, page = await first_login(s, "smirnova", temporary, "Smirnova-2026")
    assert status == 422 and "содержит логин" in page
    status, page = await first_login(s, "smirnova", temporary, "Кот-2026")
    assert status == 422 and "короче 10" in page
    status, page = await first_login(s, "smirnova", temporary, "qwertyuiop")
    assert status == 422 and "Пароль не подходит" in page
    assert (await s.api("GET", "/api/me"))[0] == 401  # no session from a refused password
    status, _ = await first_login(s, "smirnova", temporary, "Sinii-traktor-57")
    assert status == 302 and (await s.api("GET", "/api/me"))[0] == 200


async def test_the_password_form_needs_its_token_and_is_throttled(browser_session: MakeSession,
                                                                  clock: FakeClock) -> None:
    admin = await browser_session("admin")
    status, body = await admin.api("POST", "/api/admin/users", {
        "login": "smirnova", "full_name": "Смирнова Е. А.", "role": "dispatcher"})
    assert status == 201 and isinstance(body, dict)
    temporary = body["temporary_password"]
    s = await browser_session("")
    r = await s.login("smirnova", temporary)
    token = FORM_CSRF.search(await r.text())
    assert token

    async def submit(current: str, csrf: str) -> aiohttp.ClientResponse:
        resp = await s.http.post(s.url("/login/password"), allow_redirects=False, data={
            "login": "smirnova", "current": current, "new": "Sinii-traktor-57", "repeat": "Sinii-traktor-57",
            "csrf_token": csrf})
        await resp.read()
        return resp

    assert (await submit(temporary, "forged-token-0123456789")).status == 403
    statuses = [(await submit("guess", token.group(1))).status for _ in range(6)]
    assert statuses[0] == 401 and statuses[-1] == 429, statuses
    held = await submit(temporary, token.group(1))  # even the right one waits its turn
    assert held.status == 429 and int(held.headers["Retry-After"]) >= 1
    clock.now += int(held.headers["Retry-After"]) + 0.5
    assert (await submit(temporary, token.group(1))).status == 302


async def test_deactivation_and_reset_end_open_sessions_at_once(browser_session: MakeSession, staff: Staff) -> None:
    admin = await browser_session("admin")
    ivanov = await browser_session("ivanov")
    ws = await ivanov.ws()
    await ws.receive(timeout=5)  # the hello
    assert (await ivanov.api("GET", "/api/me"))[0] == 200
    status, _ = await admin.api("PATCH", f"/api/admin/users/{staff['ivanov']}", {"is_active": False})
    assert status == 200
    closed = await ws.receive(timeout=5)
    assert closed.type == aiohttp.WSMsgType.CLOSE and closed.data == 4401
    assert (await ivanov.api("GET", "/api/me"))[0] == 401
    # Switched on again, the old cookie stays void: a new log-in is needed.
    status, _ = await admin.api("PATCH", f"/api/admin/users/{staff['ivanov']}", {"is_active": True})
    assert status == 200
    assert (await ivanov.api("GET", "/api/me"))[0] == 401
    assert (await (await browser_session("")).login("ivanov")).status == 302

    petrova = await browser_session("petrova")
    assert (await petrova.api("GET", "/api/me"))[0] == 200
    status, _ = await admin.api("POST", f"/api/admin/users/{staff['petrova']}/reset-password")
    assert status == 200
    assert (await petrova.api("GET", "/api/me"))[0] == 401
