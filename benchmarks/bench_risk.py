"""Benchmark of the Galapagos-risk engine at the real scale: 20 areas × 1,000 functions × 30 towns.

Run with `python benchmarks/bench_risk.py`; prints a markdown section for docs/performance.md.
The data is synthetic and seeded, so two runs score the same board.
"""

from __future__ import annotations

import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fitgap.domain.risk.build import galapagos_risk
from fitgap.domain.risk.cost import cost_lens
from fitgap.domain.risk.report import to_contract_json
from fitgap.domain.risk.scoreboard import Scoreboard
from fitgap.domain.values import Cost, Function, Mark, Requirement, Status, Town

AREAS = 20
FUNCTIONS_PER_AREA = 1_000
TOWNS = 30
SEED = 20210701
FULL_RUNS = 5
UPDATE_RUNS = 200

# Realistic verdict mix from the joint projects: mostly fit, few customizations.
STATUS_MIX: tuple[tuple[Status | None, float], ...] = (
    (Status.FIT, 0.75),
    (Status.WORKFLOW_CHANGE, 0.12),
    (Status.CUSTOMIZATION, 0.05),
    (Status.NOT_APPLICABLE, 0.03),
    (Status.UNDECIDED, 0.02),
    (None, 0.03),  # no mark at all: undecided too
)
REQUIREMENT_MIX: tuple[tuple[Requirement, float], ...] = (
    (Requirement.MANDATORY, 0.80),
    (Requirement.OPTIONAL, 0.17),
    (Requirement.PROHIBITED, 0.03),
)


def synthetic_project(
    rng: random.Random,
) -> tuple[list[Function], list[Town], list[Mark]]:
    """A catalog, towns and their marks at the real scale."""
    requirements = rng.choices(
        [r for r, _ in REQUIREMENT_MIX],
        weights=[w for _, w in REQUIREMENT_MIX],
        k=AREAS * FUNCTIONS_PER_AREA,
    )
    functions = [
        Function(
            id=f"{a:02d}{f:05d}",
            area_id=f"area-{a:02d}",
            name=f"機能{a:02d}-{f:05d}",
            requirement=requirements[a * FUNCTIONS_PER_AREA + f],
            text="",
        )
        for a in range(AREAS)
        for f in range(FUNCTIONS_PER_AREA)
    ]
    towns = [
        Town(id=f"town-{t:02d}", name=f"町{t:02d}", population=rng.randint(2_000, 30_000))
        for t in range(TOWNS)
    ]
    statuses = rng.choices(
        [s for s, _ in STATUS_MIX],
        weights=[w for _, w in STATUS_MIX],
        k=len(functions) * len(towns),
    )
    marks: list[Mark] = []
    k = 0
    for function in functions:
        for town in towns:
            status = statuses[k]
            k += 1
            if status is None:
                continue
            cost = None
            if status is Status.CUSTOMIZATION and rng.random() < 0.5:
                cost = Cost(rng.randint(1, 50) * 100_000, rng.randint(0, 10) * 10_000)
            marks.append(Mark(town.id, function.id, status, cost=cost))
    return functions, towns, marks


def median_seconds(action: Callable[[], object], runs: int) -> float:
    """The median wall time of `runs` calls."""
    times: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Score the synthetic project and print the figures as markdown."""
    rng = random.Random(SEED)
    functions, towns, marks = synthetic_project(rng)

    full = median_seconds(lambda: galapagos_risk(functions, towns, marks), FULL_RUNS)
    board = galapagos_risk(functions, towns, marks)

    # Chained updates, as the web app would apply them one verdict at a time.
    changes = [
        Mark(
            rng.choice(towns).id,
            rng.choice(functions).id,
            rng.choice(list(Status)),
        )
        for _ in range(UPDATE_RUNS)
    ]
    update_times: list[float] = []
    current: Scoreboard = board
    for change in changes:
        start = time.perf_counter()
        current = current.with_mark(change)
        update_times.append(time.perf_counter() - start)
    update = statistics.median(update_times)

    # What a web view does after saving one verdict: update, then read the headline numbers.
    read_times: list[float] = []
    for change in changes:
        start = time.perf_counter()
        current = current.with_mark(change)
        current.group_score(breakdown=False)
        current.town_scores(breakdown=False)
        current.function_score(change.function_id)
        read_times.append(time.perf_counter() - start)
    update_and_read = statistics.median(read_times)

    group = median_seconds(lambda: board.group_score(), 5)
    json_time = median_seconds(lambda: to_contract_json(board), 3)
    asks = median_seconds(lambda: board.best_asks(limit=20), 3)
    lens = median_seconds(lambda: cost_lens(board), 3)
    score = board.group_score(breakdown=False)

    print("## Galapagos risk engine (`benchmarks/bench_risk.py`)")
    print()
    print(
        f"Synthetic, seeded ({SEED}) project: {AREAS} areas × {FUNCTIONS_PER_AREA:,} functions"
        f" × {TOWNS} towns = {len(functions) * len(towns):,} cells, {len(marks):,} marks"
        " (about 75 % fit, 12 % workflow change, 5 % customization, 3 % not applicable,"
        " 5 % undecided; 3 % of the functions prohibited)."
    )
    print(
        f"Python {platform.python_version()} on {platform.machine()},"
        f" {os.cpu_count()} CPUs; pure Python, one thread."
    )
    print()
    print("| operation | time | target |")
    print("|---|---:|---:|")
    print(
        f"| full score `galapagos_risk()` (median of {FULL_RUNS}) | {full * 1000:.0f} ms | < 2 s |"
    )
    print(
        f"| one mark changed `Scoreboard.with_mark()` (median of {UPDATE_RUNS})"
        f" | {update * 1000:.2f} ms | < 50 ms |"
    )
    print(
        "| one mark changed, then group, town and that function's scores read"
        f" (median of {UPDATE_RUNS}) | {update_and_read * 1000:.2f} ms | |"
    )
    print(f"| group score with its breakdown (median of 5) | {group * 1000:.0f} ms | |")
    print(
        f"| `to_contract_json()` for the whole board (median of 3) | {json_time * 1000:.0f} ms | |"
    )
    print(f"| `best_asks(limit=20)` (median of 3) | {asks * 1000:.0f} ms | |")
    print(f"| `cost_lens()` (median of 3) | {lens * 1000:.0f} ms | |")
    print()
    print(
        f"Group risk of the synthetic board: {score.risk:.1f}"
        f" ({score.customizations:,} customizations, {score.violations:,} violations,"
        f" {score.undecided:,} undecided)."
    )


if __name__ == "__main__":
    main()
