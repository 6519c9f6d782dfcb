"""A dispatcher's state (на линии / перерыв / не на смене): the voice menu rings only
dispatchers on the line, every console hears of the change, and it outlives the session."""

from __future__ import annotations

import asyncio

from cti.app.runtime import Runtime
from pbxsim import CallScript, PbxSim
from tests.service.running import Served, messages
from tests.service.test_screen_pop_calls import console, service, until_played  # noqa: F401  (fixture)

ServiceT = tuple[Runtime, PbxSim, Served]


async def test_a_dispatcher_on_a_break_is_not_rung_and_the_shift_sees_it(service: ServiceT) -> None:  # noqa: F811
    runtime, sim, served = service
    s1, ws1 = await console(served, "dispatcher1")
    s2, ws2 = await console(served, "dispatcher2")
    try:
        status, body = await s1.api("POST", "/api/me/presence", {"state": "break"})
        assert status == 200 and body == {"state": "break", "label": "Перерыв"}
        got = await messages(ws2, 3.0, until=lambda m: m["type"] == "presence")
        [seen] = [m for m in got if m["type"] == "presence"]
        assert (seen["extension"], seen["state"], seen["label"]) == ("101", "break", "Перерыв")
        status, rows = await s2.api("GET", "/api/dispatchers")
        assert status == 200 and isinstance(rows, list)
        states = {d["extension"]: d["label"] for d in rows}
        assert states["101"] == "Перерыв" and states["102"] == "На линии"

        # A resident asks for a dispatcher: 101 (first in turn otherwise) is on a break.
        call = sim.place_call(CallScript("79160000031"))
        await until_played(sim, call.id, "sound:hotline/category-menu")
        sim.press(call.id, "9")
        got = await messages(ws2, 8.0, until=lambda m: m["type"] == "screen_pop")
        [pop] = [m for m in got if m["type"] == "screen_pop"]
        assert pop["extension"] == "102"
        assert not [m for m in await messages(ws1, 0.5) if m["type"] == "screen_pop"]
        sim.hangup(call.id)
        await asyncio.sleep(0.3)

        # Back on the line: 101 is rung again; a state nobody knows is refused in Russian.
        status, error = await s1.api("POST", "/api/me/presence", {"state": "lunch"})
        assert status == 400 and isinstance(error, dict) and "перерыв" in error["error"]
        assert (await s1.api("POST", "/api/me/presence", {"state": "on_line"}))[0] == 200
        call = sim.place_call(CallScript("79160000032"))
        await until_played(sim, call.id, "sound:hotline/category-menu")
        sim.press(call.id, "9")
        got = await messages(ws1, 8.0, until=lambda m: m["type"] == "screen_pop")
        assert [m["extension"] for m in got if m["type"] == "screen_pop"] == ["101"]
        sim.hangup(call.id)
        await asyncio.sleep(0.3)
        # Who changed it and when is in the audit log.
        entries = await runtime.journal.audit.entries(limit=20)
        assert [e.summary for e in entries if (e.summary or "").startswith("presence")][:2] == [
            "presence on_line", "presence break"]
    finally:
        await s1.close()
        await s2.close()
