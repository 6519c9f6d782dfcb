"""Errors of the AMI client."""

from __future__ import annotations


class AmiError(Exception):
    """An AMI action failed."""


class AmiNotConnected(AmiError):
    """No logged-in AMI session at the moment."""


class AmiAuthError(AmiError):
    """Login refused."""


class AmiTimeout(AmiError):
    """No reply within the action timeout."""


class AmiActionError(AmiError):
    """Asterisk answered ``Response: Error``."""

    def __init__(self, action: str, message: str) -> None:
        super().__init__(f"{action}: {message}")
        self.action = action
        self.message = message
