"""The dispatcher console: web pages, the /api routes, the /ws event stream and ConsoleHub,
the object the telephony side pushes screen pops and call states into."""

from __future__ import annotations

from cti.console.hub import ConsoleHub, Subscriber
from cti.console.notifier import ConsoleNotifier
from cti.web.app import create_app
from cti.web.keys import HUB_KEY, JOURNAL_KEY, NOTIFIER_KEY, SETTINGS_KEY, CallbackOriginator

__all__ = ["HUB_KEY", "JOURNAL_KEY", "NOTIFIER_KEY", "SETTINGS_KEY", "CallbackOriginator", "ConsoleHub", "ConsoleNotifier",
           "Subscriber", "create_app"]
