"""The dispatcher console: web pages, the /api routes, the /ws event stream and ConsoleHub,
the object the telephony side pushes screen pops and call states into."""

from __future__ import annotations

from .app import create_app
from .hub import ConsoleHub, Subscriber
from .keys import HUB_KEY, JOURNAL_KEY, SETTINGS_KEY, CallbackOriginator

__all__ = ["HUB_KEY", "JOURNAL_KEY", "SETTINGS_KEY", "CallbackOriginator", "ConsoleHub", "Subscriber", "create_app"]
