"""The console fixtures (a real server, staff, logged-in sessions) for the attacks here."""

from tests.console.conftest import (  # noqa: F401  (fixtures)
    app, browser_session, clock, hub, originator, server, settings, staff, web_journal,
)
