"""Secrets never reach the production log: real failures (the database down during a log-in,
ARI answering 500 at start-up) logged through the production JSON renderer, and the output
searched for every password and key."""

from __future__ import annotations

import asyncio
import io
import json
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
import structlog
from aiohttp.test_utils import TestServer

from cti import logs
from cti.app.runtime import build_runtime
from cti.settings import Settings
from cti.web import create_app
from journal import Database, Journal, JournalConfig, SlaPolicy
from journal.redacted import Secret, SecretUrl, redact_url
from pbxsim import PbxSim
from tests.console.conftest import FORM_CSRF
from tests.service.running import fast_sim_config, service_settings

USER_PASSWORD = "Dispatcher-Pa55-in-log"
DB_PASSWORD = "Db-Pa55-in-log"
ARI_PASSWORD = "Ari-Pa55-in-log"
AMI_PASSWORD = "Ami-Pa55-in-log"
SECRET_KEY = "Session-key-in-log-0123456789abcdefghijklmnopqrstuvwxyz"


@pytest.fixture
def production_log(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """The production configuration (JSON, as under systemd or Docker) writing to a buffer."""
    out = io.StringIO()
    monkeypatch.setattr(sys, "stderr", out)
    monkeypatch.setattr(logs, "_configured", True)  # no logger caching across tests
    logs.configure_logging("info", "json")
    yield out
    structlog.reset_defaults()


def _events(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_database_outage_during_login_logs_no_password(production_log: io.StringIO, tmp_path: Path,
                                                             sla: SlaPolicy) -> None:
    url = f"postgresql+asyncpg://hotline:{DB_PASSWORD}@127.0.0.1:{_closed_port()}/hotline"
    settings = Settings()
    settings.server.secret_key = SECRET_KEY
    settings.database.url = url
    journal = Journal.build(Database.from_url(url), sla, JournalConfig(), tmp_path / "files")
    server = TestServer(create_app(settings, journal))
    await server.start_server()
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.get(server.make_url("/login")) as r:
                token = FORM_CSRF.search(await r.text())
            assert token
            async with http.post(server.make_url("/login"), data={
                    "login": "petrova", "password": USER_PASSWORD, "csrf_token": token.group(1)}) as r:
                assert r.status == 500
    finally:
        await server.close()
        await journal.close()
    text = production_log.getvalue()
    failures = [e for e in _events(text) if e.get("event") == "web.unhandled"]
    assert failures and failures[0].get("exception"), "the failure is logged with its traceback"
    for secret in (USER_PASSWORD, DB_PASSWORD, SECRET_KEY):
        assert secret not in text


async def test_ari_error_at_start_logs_no_secret(production_log: io.StringIO, tmp_path: Path) -> None:
    config = fast_sim_config(tmp_path)
    config.ari_password, config.ami_password = ARI_PASSWORD, AMI_PASSWORD

    def configure(s: Settings) -> None:
        s.server.secret_key = SECRET_KEY
        s.ari.password, s.ami.password = ARI_PASSWORD, AMI_PASSWORD

    settings = service_settings(tmp_path, configure)
    async with PbxSim(config) as sim:
        sim.fail_rest(50)  # every REST call of the start-up answers 500
        runtime = await build_runtime(settings, standin=sim)
        await runtime.start()
        try:
            for _ in range(100):
                if "calls.orphans_check_failed" in production_log.getvalue():
                    break
                await asyncio.sleep(0.05)
        finally:
            await runtime.stop()
    text = production_log.getvalue()
    failed = [e for e in _events(text) if e.get("event") == "calls.orphans_check_failed"]
    assert failed and failed[0].get("exception"), "the failure is logged with its traceback"
    for secret in (ARI_PASSWORD, AMI_PASSWORD, SECRET_KEY):
        assert secret not in text


def test_secret_settings_are_redacted_in_any_repr() -> None:
    settings = Settings()
    settings.server.secret_key = Secret(SECRET_KEY)
    settings.ari.password = Secret(ARI_PASSWORD)
    settings.ami.password = Secret(AMI_PASSWORD)
    settings.database.url = SecretUrl(f"postgresql+asyncpg://hotline:{DB_PASSWORD}@db/hotline")
    text = repr(settings)
    for secret in (SECRET_KEY, ARI_PASSWORD, AMI_PASSWORD, DB_PASSWORD):
        assert secret not in text
    assert "hotline:***@db/hotline" in text
    assert redact_url("http://hotline:pw@pbx:8088/ari?api_key=a:b") == "http://hotline:***@pbx:8088/ari?api_key=***"
