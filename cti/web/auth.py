"""Who is asking: the session middleware, role checks, log-in and log-out."""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import structlog
from aiohttp import web
from yarl import URL

from cti.web.clients import came_over_tls, client_address
from cti.web.errors import Forbidden, Handler, Unauthorized
from cti.web.keys import (
    JOURNAL_KEY,
    NOTIFIER_KEY,
    SECURE_COOKIES_KEY,
    SESSIONS_KEY,
    THROTTLE_KEY,
    TRUSTED_PROXIES_KEY,
    USER_KEY,
)
from cti.web.params import form_body
from cti.web.render import render
from cti.web.sessions import COOKIE, SessionUser
from journal import InvalidValue
from journal.models import User
from journal.passwords import MIN_LENGTH

log = structlog.get_logger(__name__)

LOGIN_CSRF_COOKIE = "hotline_login"
# Paths served without a session. Everything else needs one (deny by default).
PUBLIC_PATHS = frozenset({"/login", "/login/password", "/health", "/favicon.ico"})
PUBLIC_PREFIXES = ("/static/",)


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def current_user(request: web.Request) -> SessionUser:
    return request[USER_KEY]


def remote_address(request: web.Request) -> str:
    return client_address(request, request.app[TRUSTED_PROXIES_KEY])


async def session_user(request: web.Request) -> SessionUser | None:
    """The session of the request if its cookie is good AND the journal still agrees: the user
    exists and is active, their sessions were not ended (nor the password changed) since it was
    issued, and it was not logged out. Role, name and extension are today's, not the cookie's."""
    cookie = request.app[SESSIONS_KEY].read(request.cookies.get(COOKIE))
    if cookie is None:
        return None
    issued = datetime.fromtimestamp(cookie.issued, UTC)
    user = await request.app[JOURNAL_KEY].sessions.current_user(cookie.user_id, cookie.sid, issued)
    if user is None:
        return None
    return SessionUser(user.id, user.login, user.full_name, user.role, user.extension, cookie.sid, cookie.expires,
                       cookie.issued)


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    user = await session_user(request) if request.cookies.get(COOKIE) else None
    if user is not None:
        request[USER_KEY] = user
        structlog.contextvars.bind_contextvars(user_id=user.user_id)
    elif not is_public(request.path):
        raise Unauthorized("Требуется вход в систему")
    try:
        return await handler(request)
    finally:
        structlog.contextvars.unbind_contextvars("user_id")


def require(*roles: str) -> Callable[[Handler], Handler]:
    """Allow a handler to the given roles only (the session itself is checked by the middleware)."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def checked(request: web.Request) -> web.StreamResponse:
            if request[USER_KEY].role not in roles:
                raise Forbidden("Недостаточно прав для этого действия")
            return await handler(request)

        return checked

    return decorate


def _safe_next(value: str | None) -> str:
    """Only a path on this site. Checked on the URL as it will be sent: "//evil.example",
    "https://...", a backslash, or control characters that the URL library strips later
    (a TAB in "/%09/evil.example" becomes "//evil.example") are refused."""
    if not value or not value.startswith("/") or any(c < " " or c in "\\\x7f" for c in value):
        return "/"
    try:
        url = URL(value)
    except ValueError:
        return "/"
    text = str(url)
    if url.absolute or url.scheme or url.raw_authority or not text.startswith("/") or text.startswith("//"):
        return "/"
    return text


def _set_cookie(response: web.StreamResponse, request: web.Request, name: str, value: str, max_age: int | None) -> None:
    secure = request.app[SECURE_COOKIES_KEY] or came_over_tls(request, request.app[TRUSTED_PROXIES_KEY])
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="Lax", secure=secure)


async def login_page(request: web.Request) -> web.StreamResponse:
    if request.cookies.get(COOKIE) and await session_user(request) is not None:
        raise web.HTTPFound(_safe_next(request.query.get("next")))
    return _login_form(request, error=None, status=200)


def _login_form(request: web.Request, *, error: str | None, status: int, login: str = "") -> web.StreamResponse:
    # Log-in CSRF: the form carries a random token that must match a cookie set with it. An
    # existing token is reused, so a second log-in page (another tab, the favicon's redirect)
    # does not invalidate the form already shown.
    existing = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    token = existing if 16 <= len(existing) <= 64 and existing.replace("-", "").replace("_", "").isalnum() \
        else secrets.token_urlsafe(16)
    response = render(request, "login.html", status=status, error=error, login=login, login_csrf=token,
                      next=_safe_next(request.query.get("next")))
    _set_cookie(response, request, LOGIN_CSRF_COOKIE, token, max_age=3600)
    return response


async def _failed(request: web.Request, login: str, ip: str) -> None:
    alert = await request.app[THROTTLE_KEY].failed(login, ip)
    log.info("login.failed", login=login, ip=ip)
    if alert is not None:
        # Somebody is guessing: nobody is locked out, the administrator is told.
        log.warning("login.guessing", pattern=alert, login=login, ip=ip)
        request.app[NOTIFIER_KEY].security_alert(
            "login_guessing", f"Подбор паролей: много неудачных попыток входа ({login}, адрес {ip})",
            login=login, address=ip)


def _check_form_token(request: web.Request, form: Mapping[str, object]) -> None:
    """The log-in forms' CSRF token (a cookie set with the form) must come back with the form."""
    token = str(form.get("csrf_token", ""))
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not token or not cookie or not hmac.compare_digest(token, cookie):
        raise Forbidden("Форма входа устарела. Обновите страницу и попробуйте снова.")


async def _delayed(request: web.Request, login: str, ip: str,
                   form: Callable[[str], web.StreamResponse]) -> web.StreamResponse | None:
    """The form again with 429 and Retry-After while this (login, address) must wait; else None."""
    wait = await request.app[THROTTLE_KEY].retry_after(login, ip)
    if wait <= 0:
        return None
    log.warning("login.delayed", login=login, ip=ip, retry_after=round(wait, 1))
    seconds = int(wait) + 1
    locked = form(f"Слишком много неудачных попыток входа. Повторите через {seconds} с.")
    locked.headers["Retry-After"] = str(seconds)
    return locked


async def login_submit(request: web.Request) -> web.StreamResponse:
    form = await form_body(request)
    login = str(form.get("login", "")).strip()[:64]
    password = str(form.get("password", ""))
    _check_form_token(request, form)
    throttle = request.app[THROTTLE_KEY]
    ip = remote_address(request)
    locked = await _delayed(request, login, ip, lambda error: _login_form(request, error=error, status=429, login=login))
    if locked is not None:
        return locked
    # Not journal.people.authenticate: that runs argon2 (~140 ms) on the event loop.
    people = request.app[JOURNAL_KEY].people
    user = await people.authenticate(login, password) if login and password else None
    if user is None:
        await _failed(request, login, ip)
        return _login_form(request, error="Неверный логин или пароль", status=401, login=login)
    await throttle.succeeded(login, ip)
    if user.must_change_password:
        # An administrator's reset: no session until the user has chosen a password of their own.
        log.info("login.must_change_password", user_id=user.id)
        return _password_form(request, login=login, error=None, status=200)
    return _start_session(request, user, str(form.get("next", "")) or None)


def _start_session(request: web.Request, user: User, next_path: str | None) -> web.StreamResponse:
    codec = request.app[SESSIONS_KEY]
    _, cookie_value = codec.issue(user_id=user.id, login=user.login, name=user.full_name, role=user.role,
                                  extension=user.extension)
    log.info("login.ok", login=user.login, user_id=user.id, role=user.role)
    response = web.HTTPFound(_safe_next(next_path))
    _set_cookie(response, request, COOKIE, cookie_value, max_age=int(codec.ttl))
    response.del_cookie(LOGIN_CSRF_COOKIE, path="/")
    raise response


def _password_form(request: web.Request, *, login: str, error: str | None, status: int) -> web.StreamResponse:
    token = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    return render(request, "password_change.html", status=status, error=error, login=login, login_csrf=token)


async def password_submit(request: web.Request) -> web.StreamResponse:
    """The new password after an administrator's reset: the temporary one again, the new one twice.
    The same log-in CSRF token, throttle and guessing alert as the log-in form; the new password
    must pass the password policy (journal/passwords.py)."""
    form = await form_body(request)
    login = str(form.get("login", "")).strip()[:64]
    current = str(form.get("current", ""))
    new, repeat = str(form.get("new", "")), str(form.get("repeat", ""))
    _check_form_token(request, form)
    throttle = request.app[THROTTLE_KEY]
    ip = remote_address(request)
    locked = await _delayed(request, login, ip, lambda error: _password_form(request, login=login, status=429, error=error))
    if locked is not None:
        return locked
    people = request.app[JOURNAL_KEY].people
    user = await people.authenticate(login, current) if login and current else None
    if user is None:
        await _failed(request, login, ip)
        return _password_form(request, login=login, error="Неверный временный пароль", status=401)
    if new != repeat:
        return _password_form(request, login=login, error="Новые пароли не совпадают", status=422)
    if new == current:
        return _password_form(request, login=login, error="Новый пароль должен отличаться от временного", status=422)
    try:
        await people.change_password(user.id, new)
    except InvalidValue as exc:
        detail = str(exc).split(": ", 1)[-1]
        return _password_form(request, login=login, status=422,
                              error="Пароль не подходит" + (f": {detail}" if not detail.isascii() else
                                                            f": не короче {MIN_LENGTH} знаков"))
    await throttle.succeeded(login, ip)
    log.info("login.password_changed", user_id=user.id)
    return _start_session(request, user, None)


async def logout(request: web.Request) -> web.StreamResponse:
    user = request[USER_KEY]
    # Kept in the journal: the cookie stays void after a restart too.
    await request.app[JOURNAL_KEY].sessions.revoke(user.sid, user.user_id, datetime.fromtimestamp(user.expires, UTC))
    log.info("login.logout", user_id=user.user_id)
    response = web.HTTPFound("/login")
    response.del_cookie(COOKIE, path="/")
    raise response
