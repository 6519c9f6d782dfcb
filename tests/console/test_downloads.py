"""Recordings and photos: only through the file store, only to those allowed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aiohttp

from journal import Journal
from journal.models import Recording
from tests.console.conftest import Session, Staff, make_ticket

MakeSession = Callable[[str], Awaitable[Session]]
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(28)
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200


async def recorded_ticket(journal: Journal, executor_id: int | None) -> tuple[int, int]:
    call = await journal.calls.start(channel_id=f"ch-{executor_id}", caller_number="79160000001")
    rec = await journal.calls.add_recording(call_id=call.id, name="call", data=WAV)
    t = await make_ticket(journal, executor_id=executor_id, call_id=call.id, recording_ids=[rec.id],
                          caller_phone=f"7916000{executor_id or 0:04d}")
    return t, rec.id


async def test_a_dispatcher_plays_a_recording(browser_session: MakeSession, web_journal: Journal) -> None:
    _, rec = await recorded_ticket(web_journal, None)
    s = await browser_session("petrova")
    async with s.http.get(s.url(f"/recordings/{rec}")) as r:
        assert r.status == 200 and r.content_type == "audio/wav" and await r.read() == WAV
    async with s.http.get(s.url(f"/recordings/{rec}"), headers={"Range": "bytes=0-3"}) as r:
        assert r.status == 206 and await r.read() == b"RIFF"


async def test_an_executor_hears_only_their_own_tickets(
    browser_session: MakeSession, web_journal: Journal, staff: Staff
) -> None:
    _, mine = await recorded_ticket(web_journal, staff["sidorov"])
    _, theirs = await recorded_ticket(web_journal, staff["kozlov"])
    s = await browser_session("sidorov")
    async with s.http.get(s.url(f"/recordings/{mine}")) as r:
        assert r.status == 200
    async with s.http.get(s.url(f"/recordings/{theirs}")) as r:
        assert r.status == 403


async def test_a_crafted_path_is_refused(browser_session: MakeSession, web_journal: Journal) -> None:
    async with web_journal.db.write() as session:
        row = Recording(name="evil", sha256="0" * 64, path="../../../../../../etc/passwd", size_bytes=1)
        session.add(row)
        await session.flush()
        evil = row.id
    s = await browser_session("admin")
    async with s.http.get(s.url(f"/recordings/{evil}")) as r:
        body = await r.text()
        assert r.status == 403 and "root:" not in body
    for path in ("/recordings/..%2F..%2Fetc%2Fpasswd", "/recordings/../../etc/passwd", "/recordings/1%00"):
        async with s.http.get(s.url(path), allow_redirects=False) as r:
            assert r.status in (403, 404) and "root:" not in await r.text(), path
    async with s.http.get(s.url("/static/../../../etc/passwd")) as r:
        assert r.status in (403, 404)


async def test_an_executor_uploads_a_photo(browser_session: MakeSession, web_journal: Journal, staff: Staff) -> None:
    t = await make_ticket(web_journal, executor_id=staff["sidorov"])
    s = await browser_session("sidorov")
    form = aiohttp.FormData()
    form.add_field("photo", JPEG, filename="кран.jpg", content_type="image/jpeg")
    async with s.http.post(s.url(f"/api/tickets/{t}/attachments"), data=form, headers={"X-CSRF-Token": s.csrf}) as r:
        assert r.status == 201
        photo = await r.json()
    assert photo["content_type"] == "image/jpeg" and photo["filename"] == "кран.jpg"
    async with s.http.get(s.url(photo["url"])) as r:
        assert r.status == 200 and await r.read() == JPEG
    form = aiohttp.FormData()
    form.add_field("photo", b"<html><script>", filename="x.jpg", content_type="image/jpeg")
    async with s.http.post(s.url(f"/api/tickets/{t}/attachments"), data=form, headers={"X-CSRF-Token": s.csrf}) as r:
        assert r.status == 400 and "JPEG" in (await r.json())["error"]
    other = await browser_session("kozlov")
    async with other.http.get(other.url(photo["url"])) as r:
        assert r.status == 403
    kinds = [h.kind for h in await web_journal.tickets.history(t)]
    assert "attachment" in kinds
