"""Production is the default and stays production: no demo accounts (nor their published
password) with a real PBX or outside demo mode, the first administrator never has a known
password, weak passwords and weak session keys are refused, no credentials in the start-up log,
secure cookies behind a TLS proxy."""

from __future__ import annotations

import asyncio
import io
import socket
import sys
from pathlib import Path

import pytest
import structlog

from cti import logs
from cti.app import cli
from cti.app.demo import DEMO_PASSWORD, seed
from cti.app.runtime import build_runtime
from cti.app.service import run_service
from cti.settings import DEFAULT_CONFIG, Settings, SettingsError, load_settings
from cti.web.app import session_key
from cti.web.sessions import derive_key
from journal import Journal
from journal.passwords import password_problem
from tests.conftest import TEST_SECRET_KEY
from tests.console.conftest import PASSWORD, Session
from tests.service.running import service_settings

STRONG = "Смена-сорок-два-42!"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---- item 3: demo accounts never reach production ------------------------------------------

def test_production_is_the_default_in_code_and_in_the_shipped_config() -> None:
    assert Settings().server.demo is False
    with pytest.raises(SettingsError, match="secret_key"):
        load_settings(DEFAULT_CONFIG, environ={})  # production: a key is needed
    settings = load_settings(DEFAULT_CONFIG, environ={"HOTLINE_SERVER_SECRET_KEY": TEST_SECRET_KEY})
    assert settings.server.demo is False
    makefile = (DEFAULT_CONFIG.parent.parent / "Makefile").read_text(encoding="utf-8")
    assert "HOTLINE_SERVER_DEMO=true $(BIN)/hotline run" in makefile  # `make run` asks for the demo


async def test_no_demo_accounts_with_a_real_pbx(tmp_path: Path) -> None:
    def configure(s: Settings) -> None:
        s.server.demo = True
        s.ari.url, s.ari.password = f"http://127.0.0.1:{_closed_port()}/ari", "ari-secret"

    settings = service_settings(tmp_path, configure)
    runtime = await build_runtime(settings)
    try:
        assert await runtime.journal.people.users() == []
    finally:
        await runtime.stop()


async def test_production_refuses_a_journal_with_demo_accounts(tmp_path: Path) -> None:
    settings = service_settings(tmp_path)  # a demo journal...
    runtime = await build_runtime(settings)
    await runtime.stop()
    settings.server.demo = False  # ...switched to production, with a PBX configured
    settings.ari.url, settings.ari.password = f"http://127.0.0.1:{_closed_port()}/ari", "ari-secret"
    with pytest.raises(SettingsError, match=r"demo accounts .*admin.*dispatcher1.*set-password"):
        await build_runtime(settings)


async def test_production_starts_once_demo_accounts_have_passwords_of_their_own(tmp_path: Path,
                                                                                 journal: Journal) -> None:
    settings = service_settings(tmp_path)
    settings.database.url = str(journal.db.engine.url.render_as_string(hide_password=False))
    await seed(journal)
    for user in await journal.people.users():
        if user.login != "admin":
            await journal.people.update_user(user.id, active=False)
    admin = next(u for u in await journal.people.users() if u.login == "admin")
    await journal.people.set_password(admin.id, STRONG)
    settings.server.demo = False
    settings.ari.url, settings.ari.password = f"http://127.0.0.1:{_closed_port()}/ari", "ari-secret"
    runtime = await build_runtime(settings)
    await runtime.stop()


def test_init_creates_the_first_admin_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/j.sqlite3")
    monkeypatch.setenv("HOTLINE_SERVER_SECRET_KEY", TEST_SECRET_KEY)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # not a terminal: no prompt
    assert cli.main(["init"]) == 1  # nothing to make the admin from
    assert "HOTLINE_ADMIN_LOGIN" in capsys.readouterr().err
    monkeypatch.setenv("HOTLINE_ADMIN_LOGIN", "chief")
    monkeypatch.setenv("HOTLINE_ADMIN_PASSWORD", DEMO_PASSWORD)
    assert cli.main(["init"]) == 1  # a known password is refused
    assert "пароль отклонён" in capsys.readouterr().err
    monkeypatch.setenv("HOTLINE_ADMIN_PASSWORD", STRONG)
    assert cli.main(["init"]) == 0
    assert "administrator chief created" in capsys.readouterr().out
    assert cli.main(["init"]) == 0 and "nothing to do" in capsys.readouterr().out


# ---- item 10: weak passwords ---------------------------------------------------------------

@pytest.mark.parametrize("weak", ["12345678", "password", "aaaaaaaa", DEMO_PASSWORD, "password123", "qwerty12345",
                                  "1q2w3e4r5t", "aaaaaaaaaaaa", "petrova2026!", "abcdefghijk", "Hotline2026!"])
def test_weak_passwords_are_refused(weak: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert password_problem(weak, "petrova") is not None
    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/j.sqlite3")
    monkeypatch.setenv("HOTLINE_SERVER_SECRET_KEY", TEST_SECRET_KEY)
    monkeypatch.setenv("HOTLINE_NEW_PASSWORD", weak)
    assert cli.main(["create-user", "petrova", "--role", "dispatcher"]) == 1
    assert "пароль отклонён" in capsys.readouterr().err


def test_password_changes_follow_the_policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/j.sqlite3")
    monkeypatch.setenv("HOTLINE_SERVER_SECRET_KEY", TEST_SECRET_KEY)
    monkeypatch.setenv("HOTLINE_NEW_PASSWORD", STRONG)
    assert cli.main(["create-user", "petrova", "--role", "dispatcher"]) == 0
    monkeypatch.setenv("HOTLINE_NEW_PASSWORD", "password1")
    assert cli.main(["set-password", "petrova"]) == 1
    monkeypatch.setenv("HOTLINE_NEW_PASSWORD", STRONG + "-новый")
    assert cli.main(["set-password", "petrova"]) == 0


# ---- item 7: the session key ---------------------------------------------------------------

@pytest.mark.parametrize("key", ["x", "test-secret", "a" * 40, "abababababababababababababababab", "0123456789" * 3])
def test_weak_session_keys_are_refused(key: str) -> None:
    with pytest.raises(SettingsError, match=r"secrets\.token_urlsafe"):
        load_settings(DEFAULT_CONFIG, environ={"HOTLINE_SERVER_SECRET_KEY": key})
    settings = Settings()
    settings.server.secret_key = key
    with pytest.raises(SettingsError):
        session_key(settings)


def test_the_signing_key_is_derived_with_hkdf() -> None:
    # RFC 5869, test case 1 (our salt is fixed: checked through the same expand step).
    import hashlib
    import hmac
    ikm, salt, info = bytes.fromhex("0b" * 22), bytes.fromhex("000102030405060708090a0b0c"), bytes.fromhex(
        "f0f1f2f3f4f5f6f7f8f9")
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    assert prk.hex() == "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5"
    from cti.web import sessions
    okm = sessions.derive_key(ikm, info=info, length=42, salt=salt)
    assert okm.hex() == ("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")
    settings = Settings()
    settings.server.secret_key = TEST_SECRET_KEY
    assert session_key(settings) == derive_key(TEST_SECRET_KEY.encode(), info=b"hotline session signing v1")
    assert session_key(settings) != hashlib.sha256(TEST_SECRET_KEY.encode()).digest()


def test_demo_mode_makes_and_keeps_a_random_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings()
    settings.server.demo = True
    monkeypatch.setattr(settings, "path", lambda value: tmp_path / value)
    first = session_key(settings)
    key_file = tmp_path / "var/secret_key"
    assert key_file.stat().st_mode & 0o777 == 0o600 and len(key_file.read_text().strip()) >= 48
    assert session_key(settings) == first  # a restart keeps demo users logged in


# ---- item 9: credentials in ari.url --------------------------------------------------------

async def test_credentials_in_the_ari_url_are_not_logged_at_start(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr(sys, "stderr", out)
    monkeypatch.setattr(logs, "_configured", True)
    logs.configure_logging("info", "json")
    try:
        def configure(s: Settings) -> None:
            s.server.demo = False
            s.server.port = _closed_port()
            s.ari.url = f"http://hotline:Url-Pa55-in-log@127.0.0.1:{_closed_port()}/ari?api_key=hotline:Key-in-url"
            s.ari.password = "ari-password-in-log"

        settings = service_settings(tmp_path, configure)
        stop = asyncio.Event()
        task = asyncio.create_task(run_service(settings, stop))
        for _ in range(100):
            if "service.started" in out.getvalue():
                break
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(task, 10)
    finally:
        structlog.reset_defaults()
    text = out.getvalue()
    assert "service.started" in text and "hotline:***@127.0.0.1" in text
    for secret in ("Url-Pa55-in-log", "Key-in-url", "ari-password-in-log"):
        assert secret not in text


# ---- item 16: secure cookies behind a TLS proxy --------------------------------------------

@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.server.trusted_proxies = "127.0.0.1/32"
    return settings


async def test_cookies_are_secure_behind_a_tls_proxy(server: object, staff: object) -> None:
    s = Session(server)  # type: ignore[arg-type]
    try:
        tls = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"}
        async with s.http.get(s.url("/login"), headers=tls) as r:
            assert "secure" in r.headers["Set-Cookie"].lower()
            from tests.console.conftest import FORM_CSRF
            token = FORM_CSRF.search(await r.text())
        assert token
        # The client keeps Secure cookies for https only: the proxy's side sends it back here.
        async with s.http.post(s.url("/login"), data={"login": "petrova", "password": PASSWORD,
                                                     "csrf_token": token.group(1)},
                               headers={**tls, "Cookie": f"hotline_login={token.group(1)}"},
                               allow_redirects=False) as r:
            assert r.status == 302
            session_cookie = next(v for v in r.headers.getall("Set-Cookie") if v.startswith("hotline_session="))
            assert "; secure" in session_cookie.lower()
        async with s.http.get(s.url("/login")) as r:  # plain HTTP straight to the service
            assert "secure" not in r.headers["Set-Cookie"].lower()
    finally:
        await s.close()




async def test_run_on_an_empty_production_journal_makes_the_admin_from_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = service_settings(tmp_path, lambda s: setattr(s.server, "demo", False))
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    await cli._first_admin_at_start(settings)  # nothing in the environment: starts, with a warning
    monkeypatch.setenv("HOTLINE_ADMIN_LOGIN", "chief")
    monkeypatch.setenv("HOTLINE_ADMIN_PASSWORD", STRONG)
    await cli._first_admin_at_start(settings)
    journal = cli.build_journal(settings)
    try:
        [admin] = await journal.people.users()
        assert admin.login == "chief" and admin.role == "admin"
        assert await journal.people.authenticate("chief", STRONG) is not None
        assert await journal.people.authenticate("chief", DEMO_PASSWORD) is None
    finally:
        await journal.close()
