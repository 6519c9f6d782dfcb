"""The dispatcher console: web pages, the /api routes, the /ws event stream and ConsoleHub,
the object the telephony side pushes screen pops and call states into."""

from __future__ import annotations

from .app import create_app
from .hub import ConsoleHub, Subscriber
from .keys import HUB_KEY, JOURNAL_KEY, NOTIFIER_KEY, SETTINGS_KEY, CallbackOriginator
from .notifier import ConsoleNotifier

__all__ = ["HUB_KEY", "JOURNAL_KEY", "NOTIFIER_KEY", "SETTINGS_KEY", "CallbackOriginator", "ConsoleHub", "ConsoleNotifier",
           "Subscriber", "create_app"]
