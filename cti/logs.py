"""structlog configured once, by the composition root: console in a terminal, JSON otherwise."""

from __future__ import annotations

import logging
import sys
from collections import deque
from collections.abc import MutableMapping
from typing import Any

import structlog

_configured = False
# The last errors logged by this process, for the administrator's system page.
_RECENT_ERRORS: deque[dict[str, Any]] = deque(maxlen=50)
ERROR_LEVELS = frozenset({"error", "critical", "exception"})


def remember_errors(_logger: Any, method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A processor: keeps error-level events (name, time, a short message) in memory."""
    level = str(event_dict.get("level", method))
    if level in ERROR_LEVELS or method in ERROR_LEVELS:
        message = event_dict.get("error") or event_dict.get("reason") or event_dict.get("exc_info")
        _RECENT_ERRORS.append({"at": str(event_dict.get("timestamp", "")), "event": str(event_dict.get("event", "")),
                               "level": level, "message": str(message)[:300] if message else None})
    return event_dict


def recent_errors() -> list[dict[str, Any]]:
    """Newest first."""
    return list(reversed(_RECENT_ERRORS))


def configure_logging(level: str = "info", fmt: str = "auto") -> None:
    global _configured
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        numeric = logging.INFO
    use_console = fmt == "console" or (fmt == "auto" and sys.stderr.isatty())
    # Plain tracebacks in the console too: the default (rich, with every frame's locals) takes
    # a good part of a second per exception on the event loop, and a burst of PBX errors then
    # stalls the service (bench/faults.py, rest-errors).
    renderer: structlog.types.Processor = (
        structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback) if use_console
        else structlog.processors.JSONRenderer(ensure_ascii=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            remember_errors,
            # The console renderer formats exceptions itself (and warns if they are pre-formatted).
            # Never the frames' local variables: they hold passwords being checked, the
            # database URL and the settings with every key (SECURITY.md, "Credentials in logs").
            *([] if use_console else [structlog.processors.ExceptionRenderer(
                structlog.tracebacks.ExceptionDictTransformer(show_locals=False))]),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=not _configured,
    )
    logging.basicConfig(level=max(numeric, logging.WARNING), stream=sys.stderr)
    _configured = True
