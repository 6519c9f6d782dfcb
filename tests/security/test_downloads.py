"""Every read of a recording that returns any byte leaves a row in the access log (152-ФЗ),
once per request, whatever its Range; recordings and pages are never kept by the browser."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from journal import Journal
from journal.quality_suite import QualitySuite
from tests.console.conftest import Session, Staff
from tests.console.test_downloads import WAV, recorded_ticket

MakeSession = Callable[[str], Awaitable[Session]]


async def access_rows(journal: Journal, rec: int) -> list[tuple[str, str]]:
    return [(a.user_login, a.action) for a in await QualitySuite.build(journal).quality.access_log(rec)]


@pytest.mark.parametrize("byte_range", ["bytes=00-", "bytes=-8", "bytes=4-", "bytes=0-3", "bytes=000-3",
                                        "bytes=4-7, 0-3"])
async def test_a_ranged_read_is_logged(browser_session: MakeSession, web_journal: Journal, staff: Staff,
                                       byte_range: str) -> None:
    _, rec = await recorded_ticket(web_journal, None)
    s = await browser_session("qa")
    async with s.http.get(s.url(f"/recordings/{rec}"), headers={"Range": byte_range}) as r:
        body = await r.read()
    if r.status in (200, 206):
        assert body and body in WAV
        assert await access_rows(web_journal, rec) == [("qa", "listen")], byte_range
    else:
        assert r.status == 416 and await access_rows(web_journal, rec) == []


async def test_each_request_is_one_row(browser_session: MakeSession, web_journal: Journal, staff: Staff) -> None:
    _, rec = await recorded_ticket(web_journal, None)
    s = await browser_session("petrova")
    for byte_range in ("bytes=0-9", "bytes=10-", "bytes=-4"):
        async with s.http.get(s.url(f"/recordings/{rec}"), headers={"Range": byte_range}) as r:
            assert r.status == 206
    async with s.http.get(s.url(f"/recordings/{rec}?download=1")) as r:
        assert r.status == 200 and await r.read() == WAV
    assert await access_rows(web_journal, rec) == [("petrova", "download")] + [("petrova", "listen")] * 3


async def test_no_bytes_no_row(browser_session: MakeSession, web_journal: Journal, staff: Staff) -> None:
    _, rec = await recorded_ticket(web_journal, None)
    s = await browser_session("qa")
    async with s.http.head(s.url(f"/recordings/{rec}")) as r:
        assert r.status == 200
    async with s.http.get(s.url(f"/recordings/{rec}"), headers={"Range": f"bytes={len(WAV) + 10}-"}) as r:
        assert r.status == 416
    assert await access_rows(web_journal, rec) == []


async def test_nothing_personal_is_cached(browser_session: MakeSession, web_journal: Journal, staff: Staff) -> None:
    ticket, rec = await recorded_ticket(web_journal, None)
    s = await browser_session("petrova")
    for path in ("/missed", "/tickets", f"/tickets/{ticket}", "/console", "/api/missed", f"/api/tickets/{ticket}",
                 f"/recordings/{rec}", "/api/me", "/login"):
        async with s.http.get(s.url(path)) as r:
            assert r.status == 200, path
            assert r.headers.get("Cache-Control") == "no-store", path
    async with s.http.get(s.url("/static/style.css")) as r:
        assert r.status == 200 and "no-store" not in r.headers.get("Cache-Control", "")


async def test_the_server_header_names_no_versions(browser_session: MakeSession) -> None:
    s = await browser_session("")
    async with s.http.get(s.url("/login")) as r:
        assert r.headers["Server"] == "hotline"
