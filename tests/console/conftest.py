"""A console over a real socket: a migrated SQLite journal, staff, and logged-in HTTP clients."""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from cti.settings import Settings
from cti.web import ConsoleHub, create_app
from cti.web.throttle import LoginThrottle
from journal import Actor, Database, Journal, JournalConfig, NewTicket, SlaPolicy
from tests.browser import chromium
from tests.conftest import TEST_SECRET_KEY

PASSWORD = "password1"
META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]*)">')
FORM_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


@dataclass
class Staff:
    ids: dict[str, int] = field(default_factory=dict)

    def __getitem__(self, login: str) -> int:
        return self.ids[login]


@dataclass
class FakeClock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Originator:
    """Records what the console asked the PBX to dial (a typed fake: wrong arguments fail)."""

    calls: list[tuple[str, str]] = field(default_factory=list)

    async def __call__(self, dispatcher_extension: str, resident_number: str) -> None:
        self.calls.append((dispatcher_extension, resident_number))


@pytest.fixture
async def web_journal(sqlite_template: Path, sla: SlaPolicy, tmp_path: Path) -> AsyncIterator[Journal]:
    target = tmp_path / "journal.sqlite3"
    shutil.copy(sqlite_template, target)
    j = Journal.build(Database.from_url(f"sqlite+aiosqlite:///{target}"), sla, JournalConfig(), tmp_path / "files")
    yield j
    await j.close()


@pytest.fixture
async def staff(web_journal: Journal) -> Staff:
    people = web_journal.people
    s = Staff()
    for login, name, role, ext in [
        ("petrova", "Петрова О. И.", "dispatcher", "101"),
        ("ivanov", "Иванов П. С.", "dispatcher", "102"),
        ("sidorov", "Сидоров А. В.", "executor", "201"),
        ("kozlov", "Козлов Д. Н.", "executor", "202"),
        ("qa", "Контролёр Н. Н.", "qa", None),
        ("admin", "Администратор", "admin", None),
    ]:
        s.ids[login] = (await people.create_user(login, name, role, PASSWORD, extension=ext)).id
    return s


@pytest.fixture
def settings() -> Settings:
    s = Settings()
    s.server.secret_key = TEST_SECRET_KEY
    return s


@pytest.fixture
def hub() -> ConsoleHub:
    return ConsoleHub()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def originator() -> Originator:
    return Originator()


@pytest.fixture
def app(settings: Settings, web_journal: Journal, staff: Staff, hub: ConsoleHub, clock: FakeClock,
        originator: Originator) -> web.Application:
    return create_app(settings, web_journal, hub=hub, callback_originator=originator,
                      throttle=LoginThrottle(web_journal.limits, clock=clock))


@pytest.fixture
async def server(app: web.Application, aiohttp_server: Callable[..., Awaitable[TestServer]]) -> TestServer:
    return await aiohttp_server(app)


class Session:
    """One browser's worth of cookies against the test server."""

    def __init__(self, server: TestServer) -> None:
        self.server = server
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf = ""

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    @property
    def origin(self) -> str:
        return f"http://{self.server.host}:{self.server.port}"

    async def login(self, login: str, password: str = PASSWORD) -> aiohttp.ClientResponse:
        async with self.http.get(self.url("/login")) as r:
            token = FORM_CSRF.search(await r.text())
        assert token
        resp = await self.http.post(self.url("/login"), data={"login": login, "password": password,
                                                             "csrf_token": token.group(1)}, allow_redirects=False)
        await resp.read()  # the body stays readable after the connection goes back to the pool
        if resp.status == 302:
            async with self.http.get(self.url("/")) as page:
                m = META_CSRF.search(await page.text())
                assert m, "a page carries the CSRF token"
                self.csrf = m.group(1)
        return resp

    async def api(self, method: str, path: str, json: object = None, *, csrf: bool = True) -> tuple[int, object]:
        headers = {"X-CSRF-Token": self.csrf} if csrf and method != "GET" else {}
        async with self.http.request(method, self.url(path), json=json, headers=headers) as r:
            body = await r.json() if r.content_type == "application/json" else await r.text()
            return r.status, body

    async def ws(self, last_id: int | None = None, origin: str | None = None) -> aiohttp.ClientWebSocketResponse:
        path = "/ws" if last_id is None else f"/ws?last_id={last_id}"
        return await self.http.ws_connect(self.url(path), origin=origin or self.origin, autoping=True)

    async def close(self) -> None:
        await self.http.close()


@pytest.fixture
async def browser_session(server: TestServer) -> AsyncIterator[Callable[[str], Awaitable[Session]]]:
    sessions: list[Session] = []

    async def make(login: str) -> Session:
        s = Session(server)
        sessions.append(s)
        if login:
            r = await s.login(login)
            assert r.status == 302, f"log-in of {login} failed: {r.status}"
        return s

    yield make
    for s in sessions:
        await s.close()


async def make_ticket(journal: Journal, *, executor_id: int | None = None, **kw: object) -> int:
    values: dict[str, object] = {"caller_phone": "+7 916 000-00-01", "auto_assign": False}
    values.update(kw)
    reg = await journal.tickets.register(NewTicket(channel="phone_ivr", category=str(values.pop("category", "water")),
                                                   actor=Actor.system("ivr"), **values))  # type: ignore[arg-type]
    if executor_id is not None:
        await journal.tickets.assign(reg.ticket.id, executor_id, Actor("Петрова", None))
    return reg.ticket.id


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    """A test's own Debian Chromium (each console in a context of its own: its own cookies)."""
    async with chromium() as b:
        yield b
