"""Asterisk nodes owned by one service instance each: two `hotline run` processes on the test
PostgreSQL and two Asterisk stand-ins; the owner of node2 SIGKILLed in the middle of a burst
of calls on both nodes → the other instance takes node2 over, and every call still ends as
exactly one ticket or one missed call; the consoles span the instances: node2's calls show on
the console of the other instance, and a console on the killed instance that reconnects to the
survivor gets exactly what it missed (bench/takeover_bench.py prints the same figures)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.takeover_bench import run_takeover

pytestmark = pytest.mark.parametrize("backend", ["postgres"])


@pytest.mark.slow
async def test_the_owner_of_a_node_killed_mid_burst_another_takes_it_and_no_call_is_lost(
        db_url: str, tmp_path: Path) -> None:
    report = await run_takeover(db_url, tmp_path, calls_per_node=10, claim_interval=0.5, grace=6.0)
    print("\n".join(report.lines()))
    # Each node had exactly one owner, one instance each; after the kill the survivor has both.
    assert report.owners_before == {"node1": ["a"], "node2": ["b"]}
    assert report.owners_after == {"node1": ["a"], "node2": ["a"]}
    assert report.in_progress_at_kill > 0  # the kill did cut calls in progress...
    assert report.adopted > 0  # ...and the survivor took those still up over from the node
    # A killed process's lock session ends with its socket: the next claim round takes the node
    # (0.5 s here). Generous: the machine is shared; bench/takeover_bench.py gives the figure.
    assert 0 < report.takeover_s < 15
    b = report.books
    assert b.ok, (b.not_reached, b.duplicates, b.lost, b.hanging)
    assert b.placed == 20 and b.tickets + b.missed == 20
    assert b.by_node == {"node1": 10, "node2": 10}
    assert b.tickets > 0 and b.missed > 0
    # A call on node2 (run by b) showed on the console attached to a; the console that was on b
    # reconnected to a with its last id and has exactly what the console that stayed has.
    assert report.node2_calls_on_a > 0
    assert report.console_messages > 0
    assert (report.replay_missing, report.replay_extra) == ([], [])
