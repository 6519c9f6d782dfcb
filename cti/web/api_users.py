"""Administration of staff accounts over the API: end a user's sessions, switch an account off
or change its role. Every open console of the user sees it at once (sessions are checked
against the journal on every request and the user's websockets are closed here)."""

from __future__ import annotations

import structlog
from aiohttp import web

from cti.console import labels, serialize
from cti.console.messages import PresenceChanged
from cti.web.api_tickets import together
from cti.web.errors import BadRequest
from cti.web.keys import HUB_KEY, JOURNAL_KEY, NOTIFIER_KEY, USER_KEY
from cti.web.params import json_body, opt_str, path_id
from journal import Actor, Role
from journal.enums import Presence
from journal.presence import presence_of_all
from journal.presence import set_presence as set_presence_of

log = structlog.get_logger(__name__)


async def end_sessions(request: web.Request) -> web.Response:
    user_id = path_id(request)
    user = await request.app[JOURNAL_KEY].sessions.end_all(user_id)
    closed = await request.app[HUB_KEY].close_user(user_id)
    log.warning("sessions.ended", user_id=user_id, login=user.login, by=request[USER_KEY].login, consoles=closed)
    return web.json_response({"user": serialize.user(user), "consoles_closed": closed})


async def update_user(request: web.Request) -> web.Response:
    data = await json_body(request)
    user_id = path_id(request)
    active = data.get("active")
    if active is not None and not isinstance(active, bool):
        raise BadRequest("Поле «active» должно быть true или false")
    user = await request.app[JOURNAL_KEY].people.update_user(user_id, role=opt_str(data, "role", max_len=20),
                                                             active=active)
    closed = 0
    if not user.is_active:
        closed = await request.app[HUB_KEY].close_user(user_id)
    log.warning("user.updated", user_id=user_id, login=user.login, role=user.role, active=user.is_active,
                by=request[USER_KEY].login)
    return web.json_response({**serialize.user(user), "consoles_closed": closed})


async def set_presence(request: web.Request) -> web.Response:
    """The dispatcher's own state: «на линии» takes calls, «перерыв» and «не на смене» do not."""
    data = await json_body(request)
    try:
        state = Presence(str(data.get("state")))
    except ValueError:
        raise BadRequest("Состояние: на линии, перерыв или не на смене") from None
    user = request[USER_KEY]
    journal = request.app[JOURNAL_KEY]
    label = labels.PRESENCE[state.value]
    async with together(request):
        await set_presence_of(journal.settings, Actor(user.name, user.user_id), user.user_id, state)
        request.app[NOTIFIER_KEY].presence(PresenceChanged(user.user_id, user.extension, user.name, state.value, label))
    log.info("presence.changed", user_id=user.user_id, extension=user.extension, state=state.value)
    return web.json_response({"state": state.value, "label": label})


async def dispatchers_presence(request: web.Request) -> web.Response:
    """Every active dispatcher with their state, for the console's list of the shift."""
    journal = request.app[JOURNAL_KEY]
    states = await presence_of_all(journal.settings)
    online = request.app[HUB_KEY].online_extensions()
    rows = []
    for u in await journal.people.users(Role.DISPATCHER):
        if not u.is_active:
            continue
        st = states.get(u.id)
        state = st.state.value if st else Presence.ON_LINE.value
        rows.append({"user_id": u.id, "name": u.full_name, "extension": u.extension, "state": state,
                     "label": labels.PRESENCE[state], "console": bool(u.extension and u.extension in online),
                     "since": st.since.isoformat() if st and st.since else None})
    return web.json_response(rows)
