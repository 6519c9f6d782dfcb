"""Calls per second through the shipped Kamailio (config/kamailio) to two Asterisk nodes.

    .venv/bin/python bench/kamailio_bench.py [--calls 1000] [--rates 50,100,200]

Kamailio rendered and started on loopback as tests/scaleout does, two SIPp servers standing for
the Asterisk nodes, one SIPp caller placing --calls short calls (INVITE, 200, ACK, BYE) at each
rate. Reports completed and failed calls, the split between the nodes and Kamailio's CPU time.
Measures the proxy alone: a real node's own limit is in "Real Asterisk" of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.scaleout.kamailio import Kamailio, Node, call, free_udp_port, render  # noqa: E402


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children that have ended (Kamailio's workers live on)."""
    total = 0.0
    for task in Path(f"/proc/{pid}/task").iterdir():
        fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def kamailio_cpu(root_pid: int) -> float:
    pids = [root_pid] + [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()
                         and _parent(int(p.name)) == root_pid]
    return sum(cpu_seconds(p) for p in pids)


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return -1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--rates", default="50,100,200")
    args = parser.parse_args()
    for tool in ("kamailio", "sipp", "envsubst"):
        if shutil.which(tool) is None:
            raise SystemExit(f"needs {tool} (apt-get install kamailio sip-tester gettext-base)")
    work = Path(tempfile.mkdtemp(prefix="kamailio-bench-"))
    node1, node2 = Node("node1", free_udp_port(), work), Node("node2", free_udp_port(), work)
    port = free_udp_port()
    kamailio = Kamailio(render(work, port=port, nodes=[node1.port, node2.port]), port, work / "kamailio.log")
    try:
        node1.start()
        node2.start()
        kamailio.start()
        assert kamailio.proc is not None
        print(f"cores: {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}")
        for rate in (float(r) for r in args.rates.split(",")):
            before = (len(node1.calls()), len(node2.calls()), kamailio_cpu(kamailio.proc.pid))
            result = call(work, port, calls=args.calls, rate=rate, timeout=args.calls / rate + 60)
            split = (len(node1.calls()) - before[0], len(node2.calls()) - before[1])
            cpu = kamailio_cpu(kamailio.proc.pid) - before[2]
            print(f"{rate:g} calls/s: {result.successful} completed, {result.failed} failed of {args.calls}; "
                  f"nodes {split[0]} / {split[1]}; Kamailio CPU {cpu:.2f} s "
                  f"({cpu / (args.calls / rate) * 100:.1f} % of a core)")
    finally:
        kamailio.stop()
        node1.kill()
        node2.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
