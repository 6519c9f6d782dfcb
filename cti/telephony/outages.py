"""Mass outages on the console's side: declaring and changing them voices their prompts (what
callers of the buildings hear) and keeps the banner that every console page shows; the
«Похоже на массовую аварию» suggestions are read with it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import structlog

from cti.telephony.voice import VoiceMenu
from journal import Actor, Journal, OutageDraft
from journal.clock import utcnow
from journal.enums import OUTAGE_STATE_LABELS, UTILITY_CATEGORY, UTILITY_LABELS, OutageState, Utility
from journal.models import Outage, Ticket
from journal.outages import TRANSITIONS, Suggestion

log = structlog.get_logger(__name__)

# «Если вы звоните по поводу отключения горячей воды ...»
UTILITY_GENITIVE: dict[Utility, str] = {
    Utility.COLD_WATER: "холодной воды",
    Utility.HOT_WATER: "горячей воды",
    Utility.HEATING: "отопления",
    Utility.ELECTRICITY: "электроэнергии",
    Utility.SEWER: "канализации",
    Utility.LIFTS: "лифтов",
    Utility.GAS: "газа",
}
# A suggestion's category and the utility its declaration is prefilled with.
CATEGORY_UTILITY: dict[str, Utility] = {
    "water": Utility.COLD_WATER, "heating": Utility.HEATING, "electricity": Utility.ELECTRICITY,
    "sewer": Utility.SEWER, "elevator": Utility.LIFTS, "gas": Utility.GAS,
}
assert set(CATEGORY_UTILITY.values()) | {Utility.HOT_WATER} == set(Utility)
assert set(CATEGORY_UTILITY) == set(UTILITY_CATEGORY.values())


STATE_ACTIONS = {
    OutageState.ACTIVE: "Объявить (включить объявление)",
    OutageState.LOCALISED: "Локализована",
    OutageState.RESTORED: "Восстановлено",
    OutageState.CANCELLED: "Отменить",
}


def _local(value: datetime | None, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%d.%m.%Y %H:%M") if value else "—"


def outage_view(o: Outage, tz: ZoneInfo, now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    state = OutageState(o.state)
    return {
        "id": o.id, "utility": o.utility, "utility_label": UTILITY_LABELS[Utility(o.utility)], "state": o.state,
        "state_label": OUTAGE_STATE_LABELS[state], "cause": o.cause, "announcement": o.announcement,
        "streets": o.streets, "parent_ticket_id": o.parent_ticket_id, "declared_by": o.declared_by,
        "started_at": _local(o.started_at, tz), "expected_restoration": _local(o.expected_restoration, tz),
        "expires_at": _local(o.expires_at, tz), "restored_at": _local(o.restored_at, tz),
        "resolution": o.resolution,
        "expired": o.expires_at <= now and state in (OutageState.ACTIVE, OutageState.LOCALISED),
        "planned": o.started_at > now,
        "next": [{"value": s.value, "label": STATE_ACTIONS[s]} for s in sorted(TRANSITIONS[state], key=list(OutageState).index)],
        "restoration_input": o.expected_restoration.astimezone(tz).strftime("%Y-%m-%dT%H:%M")
        if o.expected_restoration else "",
        "expires_input": o.expires_at.astimezone(tz).strftime("%Y-%m-%dT%H:%M"),
    }


def offer_text(outage: Outage) -> str:
    return f"Если вы звоните по поводу отключения {UTILITY_GENITIVE[Utility(outage.utility)]}: {outage.streets},"


@dataclass
class OutageBoard:
    """What the banner of every page shows, kept current by the desk (pages render it
    without a query of their own)."""

    outages: Sequence[Outage] = ()
    suggestions: Sequence[Suggestion] = ()
    refreshed_at: datetime | None = None
    voice_errors: dict[int, str] = field(default_factory=dict)


class OutageDesk:
    def __init__(self, journal: Journal, voice: VoiceMenu, *, suggest_calls: int, suggest_minutes: int) -> None:
        self.journal = journal
        self.voice = voice
        self.suggest_calls = suggest_calls
        self.suggest_window = timedelta(minutes=suggest_minutes)
        self.board = OutageBoard()

    def banner(self, tz: ZoneInfo) -> dict[str, Any]:
        now = utcnow()
        return {"outages": [outage_view(o, tz, now) for o in self.board.outages],
                "suggestions": [{"category": self.category_title(s.category), "street": s.street, "count": s.calls}
                                for s in self.board.suggestions]}

    def category_title(self, code: str) -> str:
        info = self.journal.sla.categories.get(code)
        return info.title if info is not None else code

    async def start(self) -> None:
        """At start: voice what an earlier run declared (a fresh prompts directory), then read."""
        for outage in await self.journal.outages.current():
            if not (self.voice.installed(f"outage-{outage.id}-text") and self.voice.installed(f"outage-{outage.id}-offer")):
                await self._speak(outage)
        await self.refresh()

    async def refresh(self) -> None:
        self.board.outages = await self.journal.outages.current()
        self.board.suggestions = await self.journal.outages.suggestions(
            calls=self.suggest_calls, window=self.suggest_window)
        self.board.refreshed_at = utcnow()

    async def _speak(self, outage: Outage) -> None:
        """The outage's own prompts. A failure is shown on its page; callers then get the usual
        menu (ivr.hotline.outage announces only what is installed)."""
        try:
            await self.voice.speak(f"outage-{outage.id}-text", outage.announcement)
            await self.voice.speak(f"outage-{outage.id}-offer", offer_text(outage))
            self.board.voice_errors.pop(outage.id, None)
        except Exception as exc:
            log.exception("outage.voice_failed", outage_id=outage.id)
            self.board.voice_errors[outage.id] = str(exc)

    async def declare(self, draft: OutageDraft, actor: Actor, attach: Sequence[int] = ()) -> Outage:
        outage = await self.journal.outages.declare(draft, actor)
        await self._speak(outage)
        for ticket_id in attach:
            await self.journal.outages.attach(outage.id, ticket_id, actor)
        await self.refresh()
        return outage

    async def change(self, outage_id: int, actor: Actor, **changes: object) -> Outage:
        outage = await self.journal.outages.change(outage_id, actor, **changes)  # type: ignore[arg-type]
        if "announcement" in changes or "building_ids" in changes:
            await self._speak(outage)
        await self.refresh()
        return outage

    async def set_state(self, outage_id: int, state: str, actor: Actor, *, resolution: str | None = None,
                        comment: str | None = None) -> Outage:
        outage = await self.journal.outages.set_state(outage_id, state, actor, resolution=resolution, comment=comment)
        await self.refresh()
        return outage

    async def attach(self, outage_id: int, ticket_id: int, actor: Actor) -> Ticket:
        ticket = await self.journal.outages.attach(outage_id, ticket_id, actor)
        await self.refresh()
        return ticket

    async def detach(self, ticket_id: int, actor: Actor) -> Ticket:
        ticket = await self.journal.outages.detach(ticket_id, actor)
        await self.refresh()
        return ticket


__all__ = ["CATEGORY_UTILITY", "UTILITY_GENITIVE", "OutageBoard", "OutageDesk", "offer_text", "outage_view"]
