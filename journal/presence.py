"""Whether a dispatcher takes calls now: «на линии», «перерыв», «не на смене».

Kept in the journal's settings (``presence:<user id>``), so a restart or another instance
sees the same, and every change is in the audit log (who was on a break when a call waited).
A dispatcher with no state set is on the line: a phone without a console still rings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .admin_settings import AdminSettings
from .clock import utcnow
from .enums import Presence
from .history import Actor

PREFIX = "presence:"


@dataclass(frozen=True)
class PresenceState:
    user_id: int
    state: Presence
    since: datetime | None


async def set_presence(settings: AdminSettings, actor: Actor, user_id: int, state: Presence) -> PresenceState:
    now = utcnow()
    await settings.set(actor, f"{PREFIX}{user_id}", {"state": state.value, "since": now.isoformat()},
                       summary=f"presence {state.value}")
    return PresenceState(user_id, state, now)


async def presence_of_all(settings: AdminSettings) -> dict[int, PresenceState]:
    """Every dispatcher whose state was ever set, by user id."""
    found: dict[int, PresenceState] = {}
    for key, value in (await settings.all(PREFIX)).items():
        try:
            user_id, state = int(key[len(PREFIX):]), Presence(value["state"])
        except (ValueError, KeyError, TypeError):
            continue  # a value this version does not know: the dispatcher counts as on the line
        since = value.get("since")
        found[user_id] = PresenceState(user_id, state, datetime.fromisoformat(since) if since else None)
    return found


def takes_calls(states: dict[int, PresenceState], user_id: int) -> bool:
    st = states.get(user_id)
    return st is None or st.state is Presence.ON_LINE
