"""Sessions in signed cookies: ``base64(json).base64(hmac-sha256)``, HttpOnly, SameSite=Lax.

The cookie says who and until when; the journal says whether that still holds (the user
active, sessions not ended, the session not logged out: journal.sessions), checked on every
request. The payload carries its issue time and an absolute expiry; a random session id binds
the CSRF token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

COOKIE = "hotline_session"
DEFAULT_TTL = 26 * 3600  # a 24-hour shift and time to log in before it (server.session_hours)


@dataclass(frozen=True)
class SessionUser:
    user_id: int
    login: str
    name: str
    role: str
    extension: str | None
    sid: str
    expires: float
    issued: float = 0.0


def derive_key(secret: bytes, *, info: bytes, length: int = 32, salt: bytes = b"hotline-hkdf-salt-v1") -> bytes:
    """HKDF-SHA256 (RFC 5869) of the configured secret: the signing key is never the secret
    itself nor a bare hash of it."""
    prk = hmac.new(salt, secret, hashlib.sha256).digest()
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionCodec:
    def __init__(self, key: bytes, ttl: float = DEFAULT_TTL) -> None:
        if len(key) < 16:
            raise ValueError("session key must be at least 16 bytes")
        self._key = key
        self.ttl = ttl

    def _mac(self, purpose: str, data: bytes) -> bytes:
        return hmac.new(self._key, purpose.encode() + b"\0" + data, hashlib.sha256).digest()

    def issue(self, *, user_id: int, login: str, name: str, role: str, extension: str | None,
              now: float | None = None) -> tuple[SessionUser, str]:
        now = time.time() if now is None else now
        user = SessionUser(user_id, login, name, role, extension, secrets.token_urlsafe(16), now + self.ttl, now)
        body = json.dumps({"u": user_id, "l": login, "n": name, "r": role, "x": extension, "s": user.sid,
                           "e": int(user.expires), "i": now}, separators=(",", ":")).encode()
        return user, f"{_b64(body)}.{_b64(self._mac('session', body))}"

    def read(self, cookie: str | None, now: float | None = None) -> SessionUser | None:
        if not cookie or cookie.count(".") != 1:
            return None
        body_text, mac_text = cookie.split(".")
        try:
            body, mac = _unb64(body_text), _unb64(mac_text)
        except (binascii.Error, ValueError):
            return None
        if not hmac.compare_digest(mac, self._mac("session", body)):
            return None
        try:
            d = json.loads(body)
            user = SessionUser(int(d["u"]), str(d["l"]), str(d["n"]), str(d["r"]), d["x"], str(d["s"]), float(d["e"]),
                               float(d["i"]))
        except (ValueError, KeyError, TypeError):
            return None
        if user.expires <= (time.time() if now is None else now):
            return None
        return user

    def csrf_token(self, sid: str) -> str:
        """The CSRF token of a session: derived from its id, so it needs no storage."""
        return _b64(self._mac("csrf", sid.encode()))

    def csrf_ok(self, sid: str, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf_token(sid), token or "")
