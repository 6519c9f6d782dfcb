"""Every route and every websocket message, walked by a user of every role over a real socket.

The policy below is this test's own statement of who may use what, written from the handlers'
intent: a route added to the console without an entry here fails the walk. Allowed roles get
through (a made-up id may answer 404 and an empty body 400/422, never 401/403 or 500); the others
get a 403 with a Russian message, as JSON under /api, /recordings and /attachments and as the
error page elsewhere. Changes are sent with made-up ids or empty bodies, so the walk leaves the
journal as it found it, and the end of each walk checks that it did."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp import web

from cti.console.notifier import ConsoleNotifier
from cti.web import ConsoleHub
from cti.web.keys import ATTACHMENTS_KEY
from journal import Actor, Journal, TicketFilter
from journal.clock import utcnow
from journal.enums import Role
from tests.console.conftest import Originator, Session, Staff
from tests.console.test_downloads import JPEG, recorded_ticket
from tests.console.test_ws import connected, next_message, nothing_arrives

MakeSession = Callable[[str], Awaitable[Session]]

ALL = frozenset(r.value for r in Role)
READERS = frozenset({"dispatcher", "qa", "admin"})
EDITORS = frozenset({"dispatcher", "admin"})
REVIEWERS = frozenset({"qa", "admin"})
EXECUTOR = frozenset({"executor"})
ADMIN = frozenset({"admin"})
NOBODY = 999999  # an id no fixture creates: changes sent to it cannot touch anything
DENIED = "Недостаточно прав для этого действия"
FOREIGN = {"Это заявка другого исполнителя", "Нет доступа к этому файлу"}
JSON_PREFIXES = ("/api/", "/recordings/", "/attachments/")

# Who walks: a user of every role, and a second executor who does not own the fixture ticket.
WALKERS = {"petrova": "dispatcher", "sidorov": "executor", "kozlov": "executor", "qa": "qa",
           "admin": "admin"}
OWNER = "sidorov"


@dataclass(frozen=True)
class Rule:
    roles: frozenset[str]
    path: str = ""  # what to request; {ticket} {recording} {attachment} {call} {nobody} are filled in
    ok: frozenset[int] = frozenset()  # statuses an allowed role may get (default: 200 for reads, 400/404 else)
    own_ticket: bool = False  # an executor may use it on their own tickets only
    skip: str = ""  # walked elsewhere (the reason says where)


def r(roles: frozenset[str], path: str = "", *ok: int, own_ticket: bool = False) -> Rule:
    return Rule(roles, path, frozenset(ok), own_ticket)


POLICY: dict[tuple[str, str], Rule] = {
    ("GET", "/health"): Rule(ALL, skip="public: test_access.py"),
    ("GET", "/favicon.ico"): Rule(ALL, skip="public: test_access.py"),
    ("GET", "/login"): Rule(ALL, skip="public: test_auth.py"),
    ("POST", "/login"): Rule(ALL, skip="public: test_auth.py"),
    ("GET", "/static"): Rule(ALL, skip="public: test_access.py"),
    ("POST", "/login/password"): Rule(ALL, skip="public: tests/console/test_admin_staff.py"),
    ("POST", "/logout"): Rule(ALL, skip="ends the session: the last step of every walk"),
    ("GET", "/ws"): Rule(ALL, skip="websocket: test_websocket_* below"),
    ("GET", "/"): r(ALL, "/", 302),
    ("GET", "/console"): r(EDITORS),
    ("GET", "/tickets"): r(READERS),
    ("GET", "/tickets/new"): r(EDITORS),
    ("GET", "/tickets/{id}"): r(ALL, "/tickets/{ticket}", own_ticket=True),
    ("GET", "/missed"): r(READERS),
    ("GET", "/tickets/{id}/order"): r(ALL, "/tickets/{ticket}/order", own_ticket=True),
    ("GET", "/shift"): r(READERS),
    ("POST", "/api/me/presence"): r(EDITORS, "/api/me/presence", 400),
    ("GET", "/api/dispatchers"): r(READERS),
    ("POST", "/api/shift/notes"): r(EDITORS, "/api/shift/notes", 400),
    ("GET", "/api/shift/notes/latest"): r(READERS),
    ("GET", "/api/residents/lookup"): r(READERS, "/api/residents/lookup?phone=79160000001"),
    ("GET", "/my"): r(EXECUTOR),
    ("GET", "/test-call"): r(EDITORS),
    ("GET", "/training"): r(EDITORS),
    ("GET", "/recordings/{id}"): r(ALL, "/recordings/{recording}", own_ticket=True),
    ("GET", "/attachments/{id}"): r(ALL, "/attachments/{attachment}", own_ticket=True),
    ("GET", "/qa/calls"): r(READERS),
    ("GET", "/qa/calls/{id}"): r(READERS, "/qa/calls/{call}"),
    ("POST", "/qa/calls/{id}/review"): r(REVIEWERS, "/qa/calls/{nobody}/review", 422),
    ("GET", "/qa/scores"): r(READERS),
    ("GET", "/monitor"): r(READERS),
    ("GET", "/analytics"): r(READERS),
    ("GET", "/analytics/export.{fmt}"): r(READERS, "/analytics/export.csv"),
    ("GET", "/reports/compliance"): r(READERS),
    ("GET", "/reports/compliance.{fmt}"): r(READERS, "/reports/compliance.xlsx"),
    ("GET", "/api/openapi.json"): r(ALL),
    ("GET", "/api/me"): r(ALL),
    ("GET", "/api/tickets"): r(ALL),
    ("POST", "/api/tickets"): r(EDITORS, "/api/tickets", 400),
    ("GET", "/api/tickets/{id}"): r(ALL, "/api/tickets/{ticket}", own_ticket=True),
    ("PATCH", "/api/tickets/{id}"): r(EDITORS, "/api/tickets/{nobody}", 400),
    ("POST", "/api/tickets/{id}/assign"): r(EDITORS, "/api/tickets/{nobody}/assign", 404),
    ("POST", "/api/tickets/{id}/status"): r(EDITORS | EXECUTOR, "/api/tickets/{nobody}/status", 400, 404,
                                            own_ticket=True),
    ("POST", "/api/tickets/{id}/comments"): r(EDITORS | EXECUTOR, "/api/tickets/{nobody}/comments", 404,
                                              own_ticket=True),
    ("GET", "/api/tickets/{id}/history"): r(ALL, "/api/tickets/{ticket}/history", own_ticket=True),
    ("POST", "/api/tickets/{id}/attachments"): r(EDITORS | EXECUTOR, "/api/tickets/{nobody}/attachments", 404,
                                                 own_ticket=True),
    ("GET", "/api/console/card"): r(READERS, "/api/console/card?ticket_id={ticket}"),
    ("GET", "/api/console/queue"): r(READERS, "/api/console/queue"),
    ("GET", "/api/caller-history"): r(READERS, "/api/caller-history?phone=79160000001"),
    ("GET", "/api/missed"): r(READERS),
    ("GET", "/outages"): r(READERS),
    ("GET", "/outages/new"): r(EDITORS),
    ("GET", "/outages/{id}"): r(READERS, "/outages/{nobody}", 404),
    ("GET", "/outages/{id}/{kind}"): r(READERS, "/outages/{nobody}/door", 404),
    ("GET", "/api/outages"): r(READERS),
    ("POST", "/api/outages"): r(EDITORS, "/api/outages", 400),
    ("PATCH", "/api/outages/{id}"): r(EDITORS, "/api/outages/{nobody}", 400),
    ("POST", "/api/outages/{id}/state"): r(EDITORS, "/api/outages/{nobody}/state", 400),
    ("POST", "/api/outages/{id}/attach"): r(EDITORS, "/api/outages/{nobody}/attach", 400),
    ("POST", "/api/outages/{id}/detach"): r(EDITORS, "/api/outages/{nobody}/detach", 400),
    ("POST", "/api/missed/{id}/callback-result"): r(EDITORS, "/api/missed/{nobody}/callback-result", 400),
    ("POST", "/api/callback"): r(EDITORS, "/api/callback", 400),
    ("GET", "/api/executors"): r(READERS),
    ("GET", "/api/buildings"): r(READERS),
    ("GET", "/api/dictionaries"): r(ALL),
    ("POST", "/api/users/{id}/end-sessions"): r(frozenset({"admin"}), "/api/users/{nobody}/end-sessions", 404),
    ("PATCH", "/api/users/{id}"): r(frozenset({"admin"}), "/api/users/{nobody}", 404),
    # Without the stand-in the console answers 503 "test calls need the stand-in", to allowed roles only.
    ("POST", "/api/test-calls"): r(EDITORS, "/api/test-calls", 503),
    ("GET", "/api/training/scenarios"): r(EDITORS),
    ("GET", "/api/training/runs"): r(EDITORS),
    ("POST", "/api/training/runs"): r(EDITORS, "/api/training/runs", 400),
    ("POST", "/api/training/runs/{id}/finish"): r(EDITORS, "/api/training/runs/{nobody}/finish", 404),
    # The administrator's section: nothing of it for any other role.
    ("GET", "/admin"): r(ADMIN, "/admin", 302),
    ("GET", "/admin/staff"): r(ADMIN),
    ("GET", "/admin/staff/{id}"): r(ADMIN, "/admin/staff/{nobody}", 404),
    ("GET", "/admin/buildings"): r(ADMIN),
    ("GET", "/admin/residents"): r(ADMIN),
    ("GET", "/admin/audit"): r(ADMIN),
    ("GET", "/admin/system"): r(ADMIN),
    ("GET", "/api/admin/users"): r(ADMIN),
    ("POST", "/api/admin/users"): r(ADMIN, "/api/admin/users", 400),
    ("PATCH", "/api/admin/users/{id}"): r(ADMIN, "/api/admin/users/{nobody}", 404),
    ("POST", "/api/admin/users/{id}/reset-password"): r(ADMIN, "/api/admin/users/{nobody}/reset-password", 404),
    ("GET", "/api/admin/users/{id}/profile"): r(ADMIN, "/api/admin/users/{nobody}/profile", 404),
    ("PUT", "/api/admin/users/{id}/profile"): r(ADMIN, "/api/admin/users/{nobody}/profile", 404),
    ("POST", "/api/admin/users/{id}/day-changes"): r(ADMIN, "/api/admin/users/{nobody}/day-changes", 400),
    ("DELETE", "/api/admin/users/{id}/day-changes/{change_id}"):
        r(ADMIN, "/api/admin/users/{nobody}/day-changes/{nobody}", 404),
    ("POST", "/api/admin/users/{id}/leave"): r(ADMIN, "/api/admin/users/{nobody}/leave", 400),
    ("DELETE", "/api/admin/users/{id}/leave/{leave_id}"): r(ADMIN, "/api/admin/users/{nobody}/leave/{nobody}", 404),
    ("GET", "/api/admin/users/{id}/calendar"): r(ADMIN, "/api/admin/users/{nobody}/calendar", 404),
    ("GET", "/api/admin/duty"): r(ADMIN),
    ("GET", "/api/admin/audit"): r(ADMIN),
    ("GET", "/api/admin/buildings"): r(ADMIN),
    ("POST", "/api/admin/buildings"): r(ADMIN, "/api/admin/buildings", 422),
    ("PATCH", "/api/admin/buildings/{id}"): r(ADMIN, "/api/admin/buildings/{nobody}", 404),
    ("GET", "/api/admin/residents"): r(ADMIN),
    ("POST", "/api/admin/residents"): r(ADMIN, "/api/admin/residents", 422),
    ("PATCH", "/api/admin/residents/{id}"): r(ADMIN, "/api/admin/residents/{nobody}", 404),
    ("POST", "/api/admin/import/{kind}"): r(ADMIN, "/api/admin/import/buildings", 400),
    ("GET", "/api/admin/export/{kind}.{fmt}"): r(ADMIN, "/api/admin/export/residents.xlsx"),
    ("GET", "/api/admin/system"): r(ADMIN),
    ("GET", "/admin/sla"): r(ADMIN),
    ("GET", "/api/admin/sla"): r(ADMIN),
    ("POST", "/api/admin/sla"): r(ADMIN, "/api/admin/sla", 400),
    ("POST", "/api/admin/sla/check"): r(ADMIN, "/api/admin/sla/check", 400),
    ("POST", "/api/admin/sla/preview"): r(ADMIN, "/api/admin/sla/preview", 400),
    ("GET", "/admin/voice"): r(ADMIN),
    ("GET", "/admin/notify"): r(ADMIN),
    ("GET", "/api/admin/voice"): r(ADMIN),
    ("PUT", "/api/admin/voice/prompts/{name}"): r(ADMIN, "/api/admin/voice/prompts/welcome", 400),
    ("POST", "/api/admin/voice/prompts/{name}/recording"): r(ADMIN, "/api/admin/voice/prompts/welcome/recording",
                                                             400),
    ("GET", "/api/admin/voice/prompts/{name}.wav"): r(ADMIN, "/api/admin/voice/prompts/welcome.wav"),
    ("PUT", "/api/admin/voice/greeting"): r(ADMIN, "/api/admin/voice/greeting", 400),
    ("GET", "/api/admin/webhook"): r(ADMIN),
    ("PUT", "/api/admin/webhook"): r(ADMIN, "/api/admin/webhook", 400),
    ("POST", "/api/admin/webhook/test"): r(ADMIN, "/api/admin/webhook/test", 400),
}


def route_keys(app: web.Application) -> list[tuple[str, str]]:
    """(method, path) of every route; aiohttp's automatic HEAD of a GET shares the GET's entry."""
    keys = []
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("formatter") or info.get("path") or info.get("prefix")
        assert path, info
        keys.append((route.method, path.rstrip("/") or "/"))
    return keys


def policy_for(method: str, path: str) -> Rule:
    rule = POLICY.get(("GET" if method == "HEAD" else method, path))
    assert rule is not None, f"route {method} {path} has no access policy in this test"
    return rule


def test_every_route_has_a_policy_and_every_policy_a_route(app: web.Application) -> None:
    keys = route_keys(app)
    for method, path in keys:
        policy_for(method, path)
    stale = set(POLICY) - set(keys)
    assert not stale, f"policy entries for routes that no longer exist: {sorted(stale)}"
    assert set(WALKERS.values()) == ALL, "a role without a walker"


async def test_the_openapi_document_states_the_same_roles(browser_session: MakeSession) -> None:
    s = await browser_session("admin")
    status, doc = await s.api("GET", "/api/openapi.json")
    assert status == 200 and isinstance(doc, dict)
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            rule = policy_for(method.upper(), path)
            assert frozenset(op["x-roles"]) == rule.roles, (method, path)


@dataclass
class Samples:
    ticket: int  # owned by OWNER, with a recording and a photo
    recording: int
    attachment: int
    call: int

    def fill(self, path: str) -> str:
        return path.format(ticket=self.ticket, recording=self.recording, attachment=self.attachment,
                           call=self.call, nobody=NOBODY)


@pytest.fixture
async def samples(app: web.Application, web_journal: Journal, staff: Staff) -> Samples:
    ticket, recording = await recorded_ticket(web_journal, staff[OWNER])
    photo = await app[ATTACHMENTS_KEY].add(ticket, Actor("Петрова", None), data=JPEG, filename="кран.jpg",
                                           content_type="image/jpeg", suffix=".jpg")
    t = await web_journal.tickets.get(ticket)
    assert t.call_id is not None
    return Samples(ticket, recording, photo.id, t.call_id)


async def request(s: Session, method: str, path: str) -> tuple[int, str, str, str]:
    """(status, content type, body, Location) of one request with the session's CSRF token."""
    headers = {"X-CSRF-Token": s.csrf} if method not in ("GET", "HEAD") else {}
    body = {} if method not in ("GET", "HEAD") else None
    async with s.http.request(method, s.url(path), json=body, headers=headers, allow_redirects=False) as resp:
        return resp.status, resp.content_type, await resp.text(errors="replace"), resp.headers.get("Location", "")


def check_allowed(rule: Rule, method: str, status: int, location: str) -> str | None:
    ok = rule.ok or (frozenset({200}) if method in ("GET", "HEAD") else frozenset({400, 404}))
    if status not in ok or status in (401, 403):
        return f"expected one of {sorted(ok)}, got {status}"
    if status == 302 and location.startswith("/login"):
        return "sent to the log-in page"
    return None


def check_refused(path: str, method: str, status: int, ctype: str, body: str, messages: set[str]) -> str | None:
    if status != 403:
        return f"expected 403, got {status}"
    if method == "HEAD":
        return None
    if path.startswith(JSON_PREFIXES):
        if ctype != "application/json":
            return f"a refusal as {ctype}, not JSON"
        error = json.loads(body).get("error", "")
        return None if error in messages else f"refused with {error!r}"
    if ctype != "text/html":
        return f"a refused page as {ctype}, not the error page"
    return None if any(m in body for m in messages) else "the error page does not say why"


async def journal_state(journal: Journal, ticket_id: int) -> tuple[object, ...]:
    t = await journal.tickets.get(ticket_id)
    history = await journal.tickets.history(ticket_id)
    every = await journal.monitor.count(TicketFilter(open_only=False), utcnow())
    return t.status, t.executor_id, t.category, t.priority, len(history), every


@pytest.mark.parametrize("login", list(WALKERS))
async def test_every_route_as_every_role(login: str, app: web.Application, browser_session: MakeSession,
                                         web_journal: Journal, samples: Samples) -> None:
    role = WALKERS[login]
    before = await journal_state(web_journal, samples.ticket)
    s = await browser_session(login)
    problems: list[str] = []
    walked = 0
    for method, route in route_keys(app):
        rule = policy_for(method, route)
        if rule.skip:
            continue
        path = samples.fill(rule.path or route)
        foreign = rule.own_ticket and role == "executor" and login != OWNER
        if foreign:
            # Refused for a ticket that is not theirs, whatever the method: ask about the real one.
            path = samples.fill((rule.path or route).replace("{nobody}", "{ticket}"))
        status, ctype, body, location = await request(s, method, path)
        walked += 1
        if role not in rule.roles:
            problem = check_refused(path, method, status, ctype, body, {DENIED})
        elif foreign:
            problem = check_refused(path, method, status, ctype, body, FOREIGN)
        else:
            problem = check_allowed(rule, method, status, location)
        if problem:
            problems.append(f"{method} {path} as {login} ({role}): {problem}")
    assert not problems, "\n".join(problems)
    assert walked > 60
    assert await journal_state(web_journal, samples.ticket) == before, "the walk changed the journal"
    # And the log-out ends the session.
    status, _, _, location = await request(s, "POST", "/logout")
    assert status == 302 and location == "/login"
    assert (await s.api("GET", "/api/me"))[0] == 401


# -- the websocket ---------------------------------------------------------------------------

async def test_websocket_events_reach_only_their_roles(browser_session: MakeSession, hub: ConsoleHub,
                                                       samples: Samples) -> None:
    ringing = ConsoleNotifier(hub).call_state("c1", "ringing", caller_number="79160000009", extension="101")
    sockets: dict[str, aiohttp.ClientWebSocketResponse] = {}
    for login in ("petrova", "admin", "qa", "sidorov"):
        s = await browser_session(login)
        ws = sockets[login] = await s.ws()
        hello = await next_message(ws)
        assert hello["type"] == "hello"
        # Calls in progress (caller numbers) are for those who get call_state: dispatchers and admins.
        calls = [c["call_id"] for c in hello["calls"]]
        assert calls == (["c1"] if login in ("petrova", "admin") else []), login
    to_101 = ConsoleNotifier(hub).screen_pop("101", {"caller_number": "79160000009"})
    # A card addressed to an executor's extension (201) is not for a console: nobody gets it.
    to_201 = ConsoleNotifier(hub).screen_pop("201", {"caller_number": "79160000008", "ticket_id": samples.ticket})
    shift = ConsoleNotifier(hub).screen_pop(None, {"caller_number": "79160000007", "ticket_id": samples.ticket})
    ticket = ConsoleNotifier(hub).ticket_updated(samples.ticket, status="accepted")
    call = ConsoleNotifier(hub).call_state("c1", "answered", extension="101")
    pbx = ConsoleNotifier(hub).pbx_state(False)
    expected = {"petrova": [to_101, shift, ticket, call, pbx], "admin": [shift, ticket, call, pbx],
                "qa": [ticket, pbx], "sidorov": [pbx]}
    assert to_201 not in {i for ids in expected.values() for i in ids}
    for login, ws in sockets.items():
        got = [(await next_message(ws))["id"] for _ in expected[login]]
        assert got == expected[login], login
        await nothing_arrives(ws, within=0.1)
        await ws.close()
    # A reconnect replays by the same rules, from the call that rang before anyone connected.
    for login, ids in expected.items():
        ids = [ringing, *ids] if login in ("petrova", "admin") else ids
        s = await browser_session(login)
        ws = await connected(s, last_id=0)
        got = [(await next_message(ws))["id"] for _ in ids]
        assert got == ids, login
        await nothing_arrives(ws, within=0.1)
        await ws.close()


async def test_websocket_messages_from_a_console_change_nothing(
    browser_session: MakeSession, hub: ConsoleHub, web_journal: Journal, staff: Staff, samples: Samples,
    originator: Originator,
) -> None:
    """The stream is server-to-client: whatever a console sends, in any role, is no command."""
    before = await journal_state(web_journal, samples.ticket)
    t = samples.ticket
    attempts: list[str | bytes] = [
        json.dumps({"type": "subscribe", "mailboxes": ["all", "role:dispatcher", "role:admin", "ext:101"]}),
        json.dumps({"type": "ticket_status", "ticket_id": t, "status": "closed"}),
        json.dumps({"type": "assign", "ticket_id": t, "executor_id": staff["kozlov"]}),
        json.dumps({"type": "screen_pop", "extension": "101", "caller_number": "79160000001"}),
        json.dumps({"type": "callback", "number": "79160000001"}),
        json.dumps({"id": 0, "type": "resync"}),
        "не JSON",
        b"\x00\xff\xfe binary",
    ]
    for login in WALKERS:
        s = await browser_session(login)
        ws = await connected(s)
        last = hub.last_id
        for message in attempts:
            if isinstance(message, bytes):
                await ws.send_bytes(message)
            else:
                await ws.send_str(message)
        await nothing_arrives(ws, within=0.1)
        assert hub.last_id == last, f"a message from {login} was published"
        # Still connected, and still subscribed to its own mailboxes only.
        shift = ConsoleNotifier(hub).screen_pop(None, {"caller_number": "79160000007"})
        pbx = ConsoleNotifier(hub).pbx_state(True)
        wanted = [shift, pbx] if WALKERS[login] in EDITORS else [pbx]
        assert [(await next_message(ws))["id"] for _ in wanted] == wanted, login
        await ws.close()
    assert await journal_state(web_journal, samples.ticket) == before
    assert originator.calls == []
    # Over the size limit the server closes the socket (1009) instead of buffering it.
    s = await browser_session("sidorov")
    ws = await connected(s)
    await ws.send_str("x" * (65 * 1024))
    msg = await ws.receive(timeout=2)
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED) and ws.close_code == 1009
    await asyncio.sleep(0.05)
    assert hub.client_count == 0
