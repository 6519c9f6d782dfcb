"""Understanding benchmark: accuracy on every labelled set, time per transcript, memory.

    .venv/bin/python bench/nlu_bench.py            # the table for BENCHMARKS.md ("Understanding")
    .venv/bin/python bench/nlu_bench.py --misses blind

Sets (tests/fixtures/nlu): the shared sample, the development set (what the models are
trained on: in-sample; ``scripts/nlu_model.py`` prints its cross-validated figures), the
blind split (never used for training or tuning), each also with ASR-like damage. "rules" is
the keyword rules alone, as before the learned models.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ivr.nlu import load, understand  # noqa: E402
from ivr.nlu.evaluation import Metrics, evaluate, load_cases, rules_only  # noqa: E402

DATA = REPO / "tests" / "fixtures" / "nlu"
SETS = {
    "shared sample": "shared_sample.jsonl",
    "development (in-sample)": "dev.jsonl",
    "development, ASR damage (in-sample)": "dev_asr.jsonl",
    "blind": "blind.jsonl",
    "blind, ASR damage": "blind_asr.jsonl",
}


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def row(name: str, how: str, m: Metrics) -> str:
    positives = m.true_pos + m.false_neg
    flagged = m.true_pos + m.false_pos
    return (f"| {name} | {how} | {m.total} | {pct(m.category_accuracy)} | {pct(m.emergency_recall)} ({m.true_pos}/{positives}) "
            f"| {pct(m.emergency_precision)} ({m.true_pos}/{flagged}) | {pct(m.address_accuracy)} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--misses", choices=[Path(f).stem for f in SETS.values()], help="print the misses of one set")
    parser.add_argument("--without-blind", action="store_true", help="leave the blind split out (while developing)")
    args = parser.parse_args()

    before = rss_mb()
    t0 = time.perf_counter()
    load()
    load_s = time.perf_counter() - t0
    loaded = rss_mb()

    if args.misses:
        m = evaluate(load_cases(DATA / f"{args.misses}.jsonl"))
        print("\n".join(m.misses))
        return

    print("| set | understanding | sentences | category | emergency recall | emergency precision | address exact |")
    print("|---|---|---:|---:|---:|---:|---:|")
    texts: list[str] = []
    for name, file in SETS.items():
        if args.without_blind and file.startswith("blind"):
            continue
        cases = load_cases(DATA / file)
        texts += [c.text for c in cases]
        print(row(name, "rules + model", evaluate(cases)))
        print(row(name, "rules alone", evaluate(cases, rules_only)))

    times = []
    for text in texts:
        t = time.perf_counter()
        understand(text)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    p99 = times[int(0.99 * (len(times) - 1))]
    words = statistics.mean(len(t.split()) for t in texts)
    print()
    print(f"time per transcript ({len(times)} transcripts, {words:.0f} words on average, warm caches): "
          f"p50 {statistics.median(times):.2f} ms, p99 {p99:.2f} ms, max {times[-1]:.2f} ms")
    print(f"load (morphology, navec vectors, weights): {load_s:.2f} s, resident memory +{loaded - before:.0f} MB "
          f"({rss_mb():.0f} MB for the whole process after the run)")


if __name__ == "__main__":
    main()
