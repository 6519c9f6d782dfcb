"""Who is asking: the session middleware, role checks, log-in and log-out."""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Callable

import structlog
from aiohttp import web


from journal import InvalidValue
from journal.models import User

from .errors import Forbidden, Handler, Unauthorized
from .keys import JOURNAL_KEY, SECURE_COOKIES_KEY, SESSIONS_KEY, THROTTLE_KEY, USER_KEY
from .params import form_body
from .render import render
from .sessions import COOKIE, SessionUser

log = structlog.get_logger(__name__)

LOGIN_CSRF_COOKIE = "hotline_login"
# Paths served without a session. Everything else needs one (deny by default).
PUBLIC_PATHS = frozenset({"/login", "/login/password", "/health", "/favicon.ico"})
PUBLIC_PREFIXES = ("/static/",)


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def current_user(request: web.Request) -> SessionUser:
    return request[USER_KEY]


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    user = request.app[SESSIONS_KEY].read(request.cookies.get(COOKIE))
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
    # Only paths on this site: "//evil.example" and "https://..." would be open redirects.
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def _set_cookie(response: web.StreamResponse, request: web.Request, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="Lax",
                        secure=request.app[SECURE_COOKIES_KEY])


async def login_page(request: web.Request) -> web.StreamResponse:
    if request.app[SESSIONS_KEY].read(request.cookies.get(COOKIE)) is not None:
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


async def login_submit(request: web.Request) -> web.StreamResponse:
    form = await form_body(request)
    login = str(form.get("login", "")).strip()[:64]
    password = str(form.get("password", ""))
    token = str(form.get("csrf_token", ""))
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not token or not cookie or not hmac.compare_digest(token, cookie):
        raise Forbidden("Форма входа устарела. Обновите страницу и попробуйте снова.")
    throttle = request.app[THROTTLE_KEY]
    ip = request.remote or "?"
    wait = throttle.retry_after(login, ip)
    if wait > 0:
        log.warning("login.locked", login=login, ip=ip)
        seconds = int(wait) + 1
        locked = _login_form(request, error=f"Слишком много неудачных попыток входа. Повторите через {seconds} с.",
                             status=429, login=login)
        locked.headers["Retry-After"] = str(seconds)
        return locked
    # Not journal.people.authenticate: that runs argon2 (~140 ms) on the event loop.
    people = request.app[JOURNAL_KEY].people
    user = await people.authenticate(login, password) if login and password else None
    if user is None:
        throttle.failed(login, ip)
        log.info("login.failed", login=login, ip=ip)
        return _login_form(request, error="Неверный логин или пароль", status=401, login=login)
    throttle.succeeded(login)
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
    """The new password after an administrator's reset: the temporary one again, the new one twice."""
    form = await form_body(request)
    login = str(form.get("login", "")).strip()[:64]
    current = str(form.get("current", ""))
    new, repeat = str(form.get("new", "")), str(form.get("repeat", ""))
    token = str(form.get("csrf_token", ""))
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not token or not cookie or not hmac.compare_digest(token, cookie):
        raise Forbidden("Форма входа устарела. Обновите страницу и попробуйте снова.")
    throttle = request.app[THROTTLE_KEY]
    ip = request.remote or "?"
    if throttle.retry_after(login, ip) > 0:
        return _password_form(request, login=login, error="Слишком много неудачных попыток. Повторите позже.",
                              status=429)
    people = request.app[JOURNAL_KEY].people
    user = await people.authenticate(login, current) if login and current else None
    if user is None:
        throttle.failed(login, ip)
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
                                                            ": не короче 8 знаков"))
    throttle.succeeded(login)
    log.info("login.password_changed", user_id=user.id)
    return _start_session(request, user, None)


async def logout(request: web.Request) -> web.StreamResponse:
    user = request[USER_KEY]
    request.app[SESSIONS_KEY].revoke(user.sid, user.expires)
    log.info("logout", user_id=user.user_id)
    response = web.HTTPFound("/login")
    response.del_cookie(COOKIE, path="/")
    raise response
