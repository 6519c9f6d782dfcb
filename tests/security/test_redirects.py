"""The log-in page's ``next`` never sends a browser to another site, whatever the URL library
later strips or normalises (TAB, CR, LF, backslashes, schemes)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from yarl import URL

from tests.console.conftest import FORM_CSRF, PASSWORD, Session

MakeSession = Callable[[str], Awaitable[Session]]

ATTACKS = ["/%09/evil.example/", "/%0d/evil.example/", "/%0a/evil.example/", "/%09%09/evil.example",
           "//evil.example/", "/\\evil.example/", "/%5Cevil.example/", "https://evil.example/",
           "/%20/evil.example/".replace("%20", "%09"), "%09//evil.example", "/%7f/evil.example"]


def leaves_the_site(location: str) -> bool:
    url = URL(location)
    return location.startswith("//") or url.absolute or "\\" in location or url.host is not None


@pytest.mark.parametrize("attack", ATTACKS)
async def test_next_of_the_login_page_stays_on_the_site(browser_session: MakeSession, attack: str) -> None:
    s = await browser_session("petrova")  # logged in: /login redirects at once to ``next``
    url = URL(s.url("/login") + "?next=" + attack, encoded=True)
    async with s.http.get(url, allow_redirects=False) as r:
        assert r.status == 302
        assert not leaves_the_site(r.headers["Location"]), r.headers["Location"]


@pytest.mark.parametrize("attack", ATTACKS[:4])
async def test_next_of_the_login_form_stays_on_the_site(browser_session: MakeSession, attack: str) -> None:
    s = await browser_session("")
    async with s.http.get(s.url("/login")) as r:
        token = FORM_CSRF.search(await r.text())
    assert token
    body = f"login=petrova&password={PASSWORD}&csrf_token={token.group(1)}&next={attack}"
    async with s.http.post(s.url("/login"), data=body.encode(), allow_redirects=False,
                           headers={"Content-Type": "application/x-www-form-urlencoded"}) as r:
        assert r.status == 302
        assert not leaves_the_site(r.headers["Location"]), r.headers["Location"]


async def test_a_path_on_the_site_is_kept(browser_session: MakeSession) -> None:
    s = await browser_session("petrova")
    url = URL(s.url("/login") + "?next=%2Ftickets%3Fstatus%3Dnew", encoded=True)
    async with s.http.get(url, allow_redirects=False) as r:
        assert r.headers["Location"] == "/tickets?status=new"
