"""Secrets as types: a password or key is a ``str`` whose ``repr`` hides it.

Anything that renders an object with ``repr`` (a dataclass of settings, a traceback with its
frame's variables, an f-string with ``!r``) then shows ``Secret('***')`` instead of the value;
the code that needs the value uses the string as usual."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

# Query parameters that carry credentials (?api_key=..., ?token=..., ?password=...).
_SECRET_QUERY = re.compile(r"((?:^|&)[^=&]*(?:pass|key|token|secret|auth)[^=&]*=)[^&]*", re.IGNORECASE)


class Secret(str):
    __slots__ = ()

    def __repr__(self) -> str:
        return "Secret('***')" if self else "Secret('')"


class SecretUrl(str):
    """A URL that may carry a password (``postgresql+asyncpg://user:pass@host/db``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return repr(redact_url(self))


def redact_url(url: str) -> str:
    """The URL with its password and credential-like query values replaced by ``***``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "***"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:***@{host}" if ":" in userinfo else f"{user}@{host}"
    query = _SECRET_QUERY.sub(r"\1***", parts.query)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
