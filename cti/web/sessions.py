"""Sessions in signed cookies: ``base64(json).base64(hmac-sha256)``, HttpOnly, SameSite=Lax.

Nothing is stored on the server, so a restart keeps dispatchers logged in (with a configured
key). The payload carries an absolute expiry; a random session id binds the CSRF token.
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
DEFAULT_TTL = 12 * 3600  # one dispatcher shift


@dataclass(frozen=True)
class SessionUser:
    user_id: int
    login: str
    name: str
    role: str
    extension: str | None
    sid: str
    expires: float


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
        # Log-out revokes a session id until its expiry (per process: a restart forgets, the
        # expiry still holds).
        self._revoked: dict[str, float] = {}

    def _mac(self, purpose: str, data: bytes) -> bytes:
        return hmac.new(self._key, purpose.encode() + b"\0" + data, hashlib.sha256).digest()

    def issue(self, *, user_id: int, login: str, name: str, role: str, extension: str | None,
              now: float | None = None) -> tuple[SessionUser, str]:
        now = time.time() if now is None else now
        user = SessionUser(user_id, login, name, role, extension, secrets.token_urlsafe(16), now + self.ttl)
        body = json.dumps({"u": user_id, "l": login, "n": name, "r": role, "x": extension, "s": user.sid,
                           "e": int(user.expires)}, separators=(",", ":")).encode()
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
            user = SessionUser(int(d["u"]), str(d["l"]), str(d["n"]), str(d["r"]), d["x"], str(d["s"]), float(d["e"]))
        except (ValueError, KeyError, TypeError):
            return None
        if user.expires <= (time.time() if now is None else now) or user.sid in self._revoked:
            return None
        return user

    def revoke(self, sid: str, expires: float) -> None:
        now = time.time()
        for old in [s for s, e in self._revoked.items() if e <= now]:
            del self._revoked[old]
        self._revoked[sid] = expires

    def csrf_token(self, sid: str) -> str:
        """The CSRF token of a session: derived from its id, so it needs no storage."""
        return _b64(self._mac("csrf", sid.encode()))

    def csrf_ok(self, sid: str, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf_token(sid), token or "")
