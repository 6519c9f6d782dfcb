"""Named ways to bring a call to each step, shared by the test modules."""

from __future__ import annotations

from collections.abc import Callable

from ivr.flow import Category, DeadlineWithin, Dtmf, NoDispatcher, OpenTicket, Step, TicketRegistered, TicketStatus
from tests.flow.driver import Call

OPEN = OpenTicket("000123", TicketStatus.IN_PROGRESS, Category.HEATING)


def greeting(call: Call) -> None:
    call.start()


def open_ticket_menu(call: Call) -> None:
    call.start(OPEN)
    call.played()


def category_menu(call: Call) -> None:
    call.start()
    call.played()


def category_menu_retry(call: Call) -> None:
    category_menu(call)
    call.send(Dtmf("7"))


def record_prompt(call: Call) -> None:
    category_menu(call)
    call.played()
    call.send(Dtmf("2"))


def recording(call: Call) -> None:
    record_prompt(call)
    call.played()


def registering(call: Call) -> None:
    recording(call)
    call.recorded(8.0)


def announcing(call: Call) -> None:
    registering(call)
    call.send(TicketRegistered("000124", Category.HEATING, DeadlineWithin(2)))


def waiting_dispatcher(call: Call) -> None:
    category_menu(call)
    call.send(Dtmf("0"))


def on_hold(call: Call) -> None:
    waiting_dispatcher(call)
    call.played()


def message_prompt(call: Call) -> None:
    on_hold(call)
    call.send(NoDispatcher())


def message_recording(call: Call) -> None:
    message_prompt(call)
    call.played()


# Steps before a ticket exists: hanging up there is a missed call, reported with this step.
BEFORE_TICKET: dict[str, tuple[Callable[[Call], None], Step, str]] = {
    "greeting": (greeting, Step.GREETING, "greeting"),
    "open ticket menu": (open_ticket_menu, Step.OPEN_TICKET_MENU, "open_ticket_menu"),
    "category menu": (category_menu, Step.CATEGORY_MENU, "category_menu"),
    "category menu, retry": (category_menu_retry, Step.CATEGORY_MENU, "category_menu"),
    "record prompt": (record_prompt, Step.RECORD_PROMPT, "record_prompt"),
    "waiting for dispatcher": (waiting_dispatcher, Step.WAITING_DISPATCHER, "waiting_dispatcher"),
    "on hold": (on_hold, Step.WAITING_DISPATCHER, "waiting_dispatcher"),
    "message prompt": (message_prompt, Step.RECORD_PROMPT, "no_dispatcher/record_prompt"),
}
