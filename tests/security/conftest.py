"""The console fixtures (a real server, staff, logged-in sessions) for the attacks here."""

from tests.console.conftest import app, browser_session, clock, hub, originator, server, settings, staff, web_journal  # noqa: F401  (fixtures)
