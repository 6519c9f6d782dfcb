"""An executor calling a dispatcher from the field: the dispatcher's screen pops the
executor's card, then their open tickets."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import structlog

from cti.console.hub import ConsoleHub
from cti.console.notifier import ConsoleNotifier
from cti.telephony.tickets import ticket_card
from ivr.ami.tracker import ExtensionCall
from journal import Journal, Role, TicketFilter
from journal.clock import utcnow
from journal.models import User

log = structlog.get_logger(__name__)


class ExecutorCalls:
    """An executor dials a dispatcher from the field: the dispatcher's phone rings outside our
    Stasis app, the AMI tracker sees it, and their screen pops the executor's card."""

    def __init__(self, journal: Journal, hub: ConsoleHub, *, staff_ttl: float = 30.0) -> None:
        self.journal = journal
        self.notify = ConsoleNotifier(hub)
        self._tasks: set[Any] = set()
        # Staff by extension, read at most every ``staff_ttl`` seconds (and again on a number it
        # does not know): the card pops without waiting for the database.
        self.staff_ttl = staff_ttl
        self._staff: dict[str, User] = {}
        self._staff_at = -math.inf

    def on_ringing(self, call: ExtensionCall) -> None:
        if call.direction != "in" or not call.peer_number:
            return
        task = asyncio.get_running_loop().create_task(self._pop(call))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _by_extension(self, *extensions: str) -> list[User | None]:
        loop = asyncio.get_running_loop()
        stale = loop.time() - self._staff_at > self.staff_ttl
        if stale or any(e not in self._staff for e in extensions):
            users = await self.journal.people.users()
            self._staff = {u.extension: u for u in users if u.extension and u.is_active}
            self._staff_at = loop.time()
        return [self._staff.get(e) for e in extensions]

    async def _pop(self, call: ExtensionCall) -> None:
        try:
            dispatcher, executor = await self._by_extension(call.extension, call.peer_number)
            if dispatcher is None or dispatcher.role != Role.DISPATCHER or executor is None or executor.role != Role.EXECUTOR:
                return
            # The card pops at once; the executor's open tickets follow as its details.
            self.notify.screen_pop(call.extension, {
                "kind": "executor", "call_id": call.uniqueid, "caller_number": call.peer_number,
                "caller_name": executor.full_name, "executor_id": executor.id, "executor_name": executor.full_name,
            })
            now = utcnow()
            open_tickets = await self.journal.monitor.tickets(TicketFilter(executor_id=executor.id), now, limit=50)
            self.notify.card_details(call.extension, call.uniqueid, {
                "open_tickets": [{**ticket_card(t), "overdue": bool(t.next_due_at and t.next_due_at < now)}
                                 for t in open_tickets]})
            log.info("console.executor_pop", dispatcher=call.extension, executor=executor.login)
        except Exception:
            log.exception("console.executor_pop_failed", extension=call.extension)
