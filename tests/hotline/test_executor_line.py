"""The executors' service line (113) through the stand-in: recognised by extension, a ticket
number keyed in, its status set by keypress and confirmed by voice."""

from __future__ import annotations

from journal import Actor, NewTicket, Shift
from pbxsim import CallScript
from tests.hotline.conftest import Hotline


async def _setup(h: Hotline) -> tuple[int, str, int]:
    plumber = await h.journal.people.create_user("plumber", "Кузнецов", "executor", "password1", extension="201")
    await h.journal.people.set_executor_profile(plumber.id, categories=["water"], shifts=[Shift(d, 0, 1440) for d in range(7)])
    t = (await h.journal.tickets.register(NewTicket(channel="phone_ivr", category="water", actor=Actor.system("t")))).ticket
    assert t.executor_id == plumber.id
    return t.id, t.number.split("-")[1].lstrip("0"), plumber.id


def executor_call(ext: str = "201") -> CallScript:
    return CallScript(ext, exten="113", context="executors", args=("executor",))


async def _type(h: Hotline, channel: str, keys: str) -> None:
    for k in keys:
        h.sim.press(channel, k)


async def test_executor_marks_a_ticket_done_by_keypress(hotline: Hotline) -> None:
    ticket_id, seq, _ = await _setup(hotline)
    call = hotline.sim.place_call(executor_call())
    await hotline.wait_played(call.id, lambda p: "sound:hotline/exec-welcome" in p)
    await _type(hotline, call.id, seq + "#")
    await hotline.wait_played(call.id, lambda p: "sound:hotline/exec-status-menu" in p)
    hotline.sim.press(call.id, "2")
    await hotline.wait_played(call.id, lambda p: "sound:hotline/exec-goodbye" in p)
    await hotline.settle()
    t = await hotline.journal.tickets.get(ticket_id)
    assert t.status == "done"
    played = hotline.sim.played(call.id)
    assert f"digits:{seq}" in played
    assert played[played.index("sound:hotline/exec-status-set") + 1] == "sound:hotline/status-done"
    last = (await hotline.journal.tickets.history(ticket_id))[-1]
    assert last.actor == "Кузнецов" and "служебная линия" in (last.text or "")


async def test_unknown_extension_is_refused(hotline: Hotline) -> None:
    ticket_id, _, _ = await _setup(hotline)
    call = hotline.sim.place_call(executor_call("299"))
    await call.done.wait()
    await hotline.settle()
    assert "sound:hotline/exec-unknown" in hotline.sim.played(call.id)
    assert (await hotline.journal.tickets.get(ticket_id)).status == "assigned"


async def test_another_executors_ticket_and_illegal_status(hotline: Hotline) -> None:
    ticket_id, seq, _ = await _setup(hotline)
    await hotline.journal.people.create_user("other", "Волков", "executor", "password1", extension="202")
    call = hotline.sim.place_call(executor_call("202"))
    await hotline.wait_played(call.id, lambda p: "sound:hotline/exec-welcome" in p)
    await _type(hotline, call.id, seq + "#")
    await hotline.wait_played(call.id, lambda p: "sound:hotline/exec-not-yours" in p)
    hotline.sim.hangup(call.id)
    await hotline.settle()
    assert (await hotline.journal.tickets.get(ticket_id)).status == "assigned"
    # The right executor, but "done" twice: the second is refused and the status is said.
    await hotline.journal.tickets.change_status(ticket_id, "done", Actor("x"))
    call = hotline.sim.place_call(executor_call("201"))
    await hotline.wait_played(call.id, lambda p: "sound:hotline/exec-welcome" in p)
    await _type(hotline, call.id, seq + "#")
    await hotline.wait_played(call.id, lambda p: "sound:hotline/exec-status-menu" in p)
    hotline.sim.press(call.id, "1")
    await hotline.wait_played(call.id, lambda p: "sound:hotline/exec-status-refused" in p)
    hotline.sim.hangup(call.id)
    await hotline.settle()
    assert (await hotline.journal.tickets.get(ticket_id)).status == "done"


async def test_unknown_ticket_number(hotline: Hotline) -> None:
    await _setup(hotline)
    call = hotline.sim.place_call(executor_call())
    await hotline.wait_played(call.id, lambda p: "sound:hotline/exec-welcome" in p)
    await _type(hotline, call.id, "99999#")
    await hotline.wait_played(call.id, lambda p: "sound:hotline/exec-not-found" in p)
    hotline.sim.hangup(call.id)
    await hotline.settle()
