"""The call side of mass outages: what a call starts with, and counting a caller in an outage.

At call start one read of the journal (``OutageService.caller_outlook``) gives the caller's
open ticket, their building's announced outage and, when the building is unknown, the few
outages announced anywhere: the flow's CallStarted carries all three. An outage whose own
prompts (``outage-<id>-text`` / ``-offer``, synthesised by the console when it is declared)
are not installed is not announced: the caller would hear nothing, so they get the menu.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import structlog

from journal import Actor, Journal, Registration
from journal.clock import utcnow
from journal.enums import Channel
from journal.models import Outage, Ticket

from ..flow import CountOutageCaller, Error, OpenTicket, OutageNotice, Restoration, TicketRegistered
from .mapping import JOURNAL_TO_FLOW, STATUS_TO_FLOW, spoken_number

log = structlog.get_logger(__name__)
T = TypeVar("T")
Retry = Callable[[Callable[[], Awaitable[T]]], Awaitable[T]]
IVR = Actor.system("ivr")


def restoration(at: datetime | None, now: datetime, tz: ZoneInfo) -> Restoration | None:
    """The expected restoration as the announcement says it: today or tomorrow, local time;
    none when it is unknown, already past, or further away (the text says it then)."""
    if at is None or at <= now:
        return None
    local = at.astimezone(tz)
    days = (local.date() - now.astimezone(tz).date()).days
    if days > 1:
        return None
    return Restoration(local.hour, local.minute, tomorrow=days == 1)


@dataclass(frozen=True)
class CallOpening:
    open_ticket: OpenTicket | None
    outage: OutageNotice | None
    offered: tuple[OutageNotice, ...]
    open_ticket_id: int | None = None  # the journal's id of ``open_ticket``


# A call taken over already decided: nothing is looked up.
NOTHING_OPEN = CallOpening(None, None, ())


class OutageLine:
    def __init__(self, journal: Journal, prompts_dir: Path | None = None) -> None:
        self.journal = journal
        # Where the outages' own prompts are installed; None: do not check (the stand-in
        # plays any sound name).
        self.prompts_dir = prompts_dir

    def _voiced(self, outage: Outage, part: str) -> bool:
        if self.prompts_dir is None:
            return True
        return (self.prompts_dir / f"outage-{outage.id}-{part}.wav").exists()

    def _notice(self, outage: Outage, now: datetime) -> OutageNotice:
        return OutageNotice(outage.id, restoration(outage.expected_restoration, now, self.journal.config.tz))

    async def opening(self, number: str, *, training: bool) -> CallOpening:
        now = utcnow()
        outlook = await self.journal.outages.caller_outlook(number or None, now, training=training)
        outage = None
        if outlook.outage is not None and self._voiced(outlook.outage, "text"):
            outage = self._notice(outlook.outage, now)
        offered = tuple(self._notice(o, now) for o in outlook.offered
                        if self._voiced(o, "text") and self._voiced(o, "offer"))
        if outage is not None or offered:
            log.info("ivr.outage_announced", outage_id=outage.outage_id if outage else None,
                     offered=[n.outage_id for n in offered])
        found = _open_ticket(outlook.history)
        return CallOpening(found[0] if found else None, outage, offered, found[1] if found else None)

    async def count(
        self, cmd: CountOutageCaller, call_row_id: int, retry: Retry[Registration],
    ) -> tuple[TicketRegistered | Error, Ticket | None]:
        """The caller's child ticket in the outage, and what to tell the flow."""
        try:
            reg = await retry(lambda: self.journal.outages.add_caller(
                cmd.outage_id, actor=IVR, channel=Channel.PHONE_IVR.value, caller_phone=cmd.caller_number or None,
                caller_name=cmd.caller_name or None, call_id=call_row_id,
            ))
        except Exception as exc:
            log.exception("ivr.outage_count_failed", outage_id=cmd.outage_id)
            return Error(f"outage count failed: {exc}"), None
        log.info("ivr.outage_counted", outage_id=cmd.outage_id, ticket=reg.ticket.number, repeat=not reg.created)
        return TicketRegistered(spoken_number(reg.ticket.number), None), reg.ticket


def _open_ticket(history: Sequence[Ticket]) -> tuple[OpenTicket, int] | None:
    """The caller's open ticket the menu reads to them, and its id."""
    for t in history:
        if t.is_open and t.status in STATUS_TO_FLOW:
            return OpenTicket(spoken_number(t.number), STATUS_TO_FLOW[t.status], JOURNAL_TO_FLOW.get(t.category)), t.id
    return None


__all__ = ["NOTHING_OPEN", "CallOpening", "OutageLine", "restoration"]
