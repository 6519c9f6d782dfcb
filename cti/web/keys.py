"""Typed keys for application and request state."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import jinja2
from aiohttp import web

from cti.console.hub import ConsoleHub
from cti.console.notifier import ConsoleNotifier
from cti.settings import Settings
from cti.telephony.outages import OutageDesk
from cti.training.service import TrainingService
from cti.web.clients import Network
from cti.web.sessions import SessionCodec, SessionUser
from cti.web.throttle import LoginThrottle
from ivr.looplag import LoopLagMonitor
from journal import Journal
from journal.attachments import Attachments

# (dispatcher_extension, resident_number) -> None: the telephony side rings the dispatcher's
# phone and then the resident. None: no PBX link in this process.
CallbackOriginator = Callable[[str, str], Awaitable[None]]

JOURNAL_KEY = web.AppKey("journal", Journal)
SETTINGS_KEY = web.AppKey("settings", Settings)
HUB_KEY = web.AppKey("hub", ConsoleHub)
NOTIFIER_KEY = web.AppKey("notifier", ConsoleNotifier)
SESSIONS_KEY = web.AppKey("sessions", SessionCodec)
THROTTLE_KEY = web.AppKey("throttle", LoginThrottle)
TEMPLATES_KEY = web.AppKey("templates", jinja2.Environment)
ATTACHMENTS_KEY = web.AppKey("attachments", Attachments)
ORIGINATOR_KEY = web.AppKey("callback_originator", object)  # CallbackOriginator | None
SECURE_COOKIES_KEY = web.AppKey("secure_cookies", bool)
TRUSTED_PROXIES_KEY: web.AppKey[tuple[Network, ...]] = web.AppKey("trusted_proxies")
CALLBACK_LIMITS_KEY = web.AppKey("callback_limits", object)  # callback.CallbackLimits

USER_KEY = web.RequestKey("user", SessionUser)
REQUEST_ID_KEY = web.RequestKey("request_id", str)
TRAINING_KEY = web.AppKey("training", TrainingService)
OUTAGES_KEY = web.AppKey("outages", OutageDesk)
LOOP_LAG_KEY = web.AppKey("loop_lag", LoopLagMonitor)  # absent: no monitor (tests building the app alone)
