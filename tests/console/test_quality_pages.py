"""Quality pages, monitor, analytics and the ПП 416 report: roles, the review form (CSRF),
the recording access log, CSV/XLSX exports safe from formula injection, and the PDF."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import update

from cti.export import to_csv, to_xlsx
from journal import Journal
from journal.models import Recording
from tests.console.conftest import Session, Staff, make_ticket
from tests.tools import needs_programs

MakeSession = Callable[[str], Awaitable[Session]]
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(28)
PAGES = ("/qa/calls", "/qa/scores", "/monitor", "/analytics", "/reports/compliance")
WORDS = [{"word": "течёт", "start": 0.1, "end": 0.5, "conf": 0.9}, {"word": "кран", "start": 0.6, "end": 1.0, "conf": 0.4}]


async def reviewed_call(journal: Journal, staff: Staff) -> tuple[int, int, int]:
    call = await journal.calls.start(channel_id="qa-1", caller_number="79160000001")
    await journal.calls.update(call.id, dispatcher_id=staff["petrova"], outcome="ticket")
    rec = await journal.calls.add_recording(call_id=call.id, name="call", data=WAV)
    async with journal.db.write() as s:
        await s.execute(update(Recording).where(Recording.id == rec.id).values(
            words_json=json.dumps(WORDS, ensure_ascii=False), transcript="течёт кран"))
    ticket = await make_ticket(journal, call_id=call.id, recording_ids=[rec.id], description="<script>x</script>")
    return call.id, rec.id, ticket


@pytest.mark.parametrize("login", ["petrova", "qa", "admin"])
async def test_readers_see_the_pages(browser_session: MakeSession, web_journal: Journal, staff: Staff,
                                     login: str) -> None:
    call_id, _, _ = await reviewed_call(web_journal, staff)
    s = await browser_session(login)
    for path in (*PAGES, f"/qa/calls/{call_id}"):
        async with s.http.get(s.url(path)) as r:
            assert r.status == 200, path
            assert "<script>x" not in await r.text()


async def test_executors_are_refused(browser_session: MakeSession, web_journal: Journal, staff: Staff) -> None:
    call_id, _, _ = await reviewed_call(web_journal, staff)
    s = await browser_session("sidorov")
    for path in (*PAGES, f"/qa/calls/{call_id}", "/analytics/export.csv", "/reports/compliance.xlsx"):
        async with s.http.get(s.url(path)) as r:
            assert r.status == 403, path


async def test_review_form_needs_a_reviewer_and_the_csrf_token(browser_session: MakeSession, web_journal: Journal,
                                                               staff: Staff) -> None:
    call_id, _, _ = await reviewed_call(web_journal, staff)
    scores = {"score_greeting": "2", "score_recording_notice": "1", "score_problem_address": "2",
              "score_number_deadline": "2", "score_politeness": "2", "score_category": "1", "comment": "Хорошо"}
    dispatcher = await browser_session("petrova")
    async with dispatcher.http.get(dispatcher.url(f"/qa/calls/{call_id}")) as r:
        page = await r.text()
    assert "review-form" not in page
    async with dispatcher.http.post(dispatcher.url(f"/qa/calls/{call_id}/review"),
                                    data={**scores, "csrf_token": dispatcher.csrf}, allow_redirects=False) as r:
        assert r.status == 403

    qa = await browser_session("qa")
    async with qa.http.post(qa.url(f"/qa/calls/{call_id}/review"), data=scores, allow_redirects=False) as r:
        assert r.status == 403  # no CSRF token
    async with qa.http.get(qa.url(f"/qa/calls/{call_id}")) as r:
        token = re.search(r'id="review-form">\s*<input type="hidden" name="csrf_token" value="([^"]+)"', await r.text())
    assert token
    async with qa.http.post(qa.url(f"/qa/calls/{call_id}/review"), data={**scores, "csrf_token": token.group(1)},
                            allow_redirects=False) as r:
        assert r.status == 302 and r.headers["Location"] == f"/qa/calls/{call_id}?saved=1"
    async with qa.http.post(qa.url(f"/qa/calls/{call_id}/review"),
                            data={**scores, "score_greeting": "9", "csrf_token": token.group(1)},
                            allow_redirects=False) as r:
        assert r.status == 422
    async with qa.http.get(qa.url(f"/qa/calls/{call_id}?saved=1")) as r:
        page = await r.text()
    assert "Оценка сохранена" in page and "10.0 из 12.0" in page and "Хорошо" in page
    async with qa.http.get(qa.url("/qa/scores")) as r:
        page = await r.text()
    assert "Петрова О. И." in page and "83.3" in page and "<svg" in page


async def test_every_listening_and_download_is_logged(browser_session: MakeSession, web_journal: Journal,
                                                      staff: Staff) -> None:
    call_id, rec_id, _ = await reviewed_call(web_journal, staff)
    s = await browser_session("qa")
    async with s.http.get(s.url(f"/recordings/{rec_id}")) as r:
        assert r.status == 200
    async with s.http.get(s.url(f"/recordings/{rec_id}"), headers={"Range": "bytes=10-"}) as r:
        assert r.status == 206  # the rest of the same listening: logged too (bytes left the server)
    async with s.http.get(s.url(f"/recordings/{rec_id}?download=1")) as r:
        assert r.status == 200 and "attachment" in r.headers["Content-Disposition"]
    from journal.quality_suite import QualitySuite

    log = await QualitySuite.build(web_journal).quality.access_log(rec_id)
    assert [(a.user_login, a.action) for a in log] == [("qa", "download"), ("qa", "listen"), ("qa", "listen")]
    async with s.http.get(s.url(f"/qa/calls/{call_id}")) as r:
        assert "скачивание" in await r.text()


async def test_filters_and_random_sample(browser_session: MakeSession, web_journal: Journal, staff: Staff) -> None:
    call_id, _, _ = await reviewed_call(web_journal, staff)
    other = await web_journal.calls.start(channel_id="qa-2", caller_number="79160000009")
    await web_journal.calls.update(other.id, outcome="missed")
    s = await browser_session("qa")
    for query, expected in (("outcome=missed", [other.id]), (f"dispatcher_id={staff['petrova']}", [call_id]),
                            ("category=water", [call_id]), ("category=heating", []),
                            ("sample=5", [call_id])):
        async with s.http.get(s.url(f"/qa/calls?{query}")) as r:
            assert r.status == 200
            found = [int(x) for x in re.findall(r'href="/qa/calls/(\d+)"', await r.text())]
        assert found == expected, query


async def test_exports(browser_session: MakeSession, web_journal: Journal, staff: Staff) -> None:
    await reviewed_call(web_journal, staff)
    s = await browser_session("admin")
    async with s.http.get(s.url("/reports/compliance.csv")) as r:
        assert r.status == 200 and r.headers["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO((await r.read()).decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Начало" and rows[1][3] == "79160000001" and rows[1][6].startswith("20")
    async with s.http.get(s.url("/analytics/export.xlsx")) as r:
        data = await r.read()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "Поступило" in sheet


@needs_programs("chromium")  # prints the PDF
async def test_compliance_report_as_pdf(browser_session: MakeSession, web_journal: Journal, staff: Staff) -> None:
    await reviewed_call(web_journal, staff)
    s = await browser_session("admin")
    async with s.http.get(s.url("/reports/compliance.pdf")) as r:
        assert r.status == 200, await r.text()
        assert (await r.read()).startswith(b"%PDF")


def test_csv_and_xlsx_are_safe_from_formula_injection() -> None:
    evil = ["=HYPERLINK(\"http://x\")", "+7 916", "-2", "@SUM(A1)", "обычный"]
    text = to_csv(["a", "b", "c", "d", "e"], [evil]).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text), delimiter=";"))[1] == ["'" + v for v in evil[:4]] + ["обычный"]
    with zipfile.ZipFile(io.BytesIO(to_xlsx(["x"], [evil, [1, 2.5, None]]))) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "'=HYPERLINK" in sheet and "<v>2.5</v>" in sheet and "&lt;" not in sheet


def test_charts_escape_their_labels_and_scale() -> None:
    from cti.web.charts import hbar, lines

    svg = str(hbar([("<script>", 10), ("ок", 5)], title="A & B"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "A &amp; B" in svg
    widths = [float(w) for w in re.findall(r'<rect x="190" y="[\d.]+" width="([\d.]+)"', svg)]
    assert widths[0] == pytest.approx(2 * widths[1])
    assert "Нет данных" in str(lines({}, [], title="t"))
    assert str(lines({"a": [1, 2, 3]}, ["1", "2", "3"], title="t")).count("<polyline") == 1
