"""Benchmark of the dashboard's progress over time at the real scale: a history of 600,000
mark changes (20 areas × 1,000 functions × 30 towns, every cell marked once) over a year
with 12 meetings, replayed through the scoreboard (fitgap.domain.risk.progress).

Run with `python benchmarks/bench_progress.py`; prints a markdown section for
docs/performance.md. The history is synthetic and seeded.
"""

from __future__ import annotations

import platform
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_risk import SEED, synthetic_project

from fitgap.domain.risk.build import galapagos_risk
from fitgap.domain.risk.progress import checkpoints, replay
from fitgap.domain.values import Mark

RUNS = 3
DAYS = 365
MEETINGS = 12


def main() -> None:
    rng = random.Random(SEED)
    functions, towns, marks = synthetic_project(rng)
    start = date(2025, 4, 1)
    # Each mark arrives on some day of the year, in day order (as the history is written).
    dated = sorted(
        ((start + timedelta(days=rng.randrange(DAYS)), m) for m in marks), key=lambda x: x[0]
    )
    # Pad to 600,000 changes with later corrections of random cells.
    while len(dated) < 600_000:
        m = rng.choice(marks)
        dated.append((start + timedelta(days=DAYS - 1), Mark(m.town_id, m.function_id, m.status)))
    meetings = [(start + timedelta(days=30 * k + 15), f"第{k + 1}回") for k in range(MEETINGS)]
    points = checkpoints([start], meetings, start + timedelta(days=DAYS))
    times = []
    for _run in range(RUNS):
        began = time.perf_counter()
        progress = replay(functions, towns, iter(dated), points)
        times.append(time.perf_counter() - began)
    full = []
    for _run in range(RUNS):
        began = time.perf_counter()
        board = galapagos_risk(functions, towns, [m for _d, m in dated])
        board.group_score(breakdown=False)
        full.append(time.perf_counter() - began)
    last = progress.group[-1]
    if last != type(last).of(board.group_score(breakdown=False)):
        raise SystemExit("the replay's last checkpoint differs from a full score")
    print(f"## Progress over time (`benchmarks/bench_progress.py`, {date.today().isoformat()})\n")
    print(f"Python {platform.python_version()} on {platform.machine()}; {RUNS} runs, median.\n")
    print("| what | median | max |\n|---|---|---|")
    print(
        f"| replay {len(dated):,} changes to {len(points)} checkpoints "
        f"(group + {len(towns)} towns) | {statistics.median(times):.2f} s | {max(times):.2f} s |"
    )
    print(
        f"| for comparison: one full score of the same marks | {statistics.median(full):.2f} s "
        f"| {max(full):.2f} s |"
    )


if __name__ == "__main__":
    main()
