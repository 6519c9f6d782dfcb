"""Errors of the ARI client. A channel that is gone is a normal event for a call flow."""

from __future__ import annotations


class AriError(Exception):
    """An ARI request failed; ``status`` is the HTTP status (None when no answer came)."""

    def __init__(self, status: int | None, message: str, *, path: str = "") -> None:
        super().__init__(f"ARI {status} on {path}: {message}" if path else f"ARI {status}: {message}")
        self.status = status
        self.message = message
        self.path = path


class ChannelGone(AriError):
    """The channel hung up (404 Channel not found, or 409 no longer in our Stasis app)."""


class AriNotFound(AriError):
    """Some other resource (recording, bridge, playback) does not exist."""


class AriAuthError(AriError):
    """401: wrong ARI user or password."""


class AriServerError(AriError):
    """5xx from Asterisk."""


class AriTimeout(AriError):
    """No answer within the request timeout."""


class AriConnectionError(AriError):
    """Asterisk could not be reached."""
