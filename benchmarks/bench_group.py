"""Benchmark of forming the group at the real scale: 30 candidate towns × 20,000 functions.

Run with `python benchmarks/bench_group.py`; prints a markdown section for docs/performance.md.
The data is synthetic and seeded (the verdict mix of bench_risk.py, every customization with a
cost estimate), so two runs compute the same numbers.

Measured:
- building the group basis from 600,000 marks (done once per process and kept while no mark
  changes: `fitgap.services.group.KeptBasis`);
- the page's computation for a chosen subset of 8 towns: costs and merits, risk and
  divergence, the agreement matrix and the suggestions among those 8 (exhaustive, 247 subsets);
- the same for all 30 towns (suggestions by the heuristic beyond 16);
- suggestions for 16 candidates: every one of the 65,519 subsets of two or more towns.
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

from fitgap.domain.group.agreement import agreement
from fitgap.domain.group.basis import GroupBasis
from fitgap.domain.group.costs import GroupTerms, Split
from fitgap.domain.group.suggest import suggest
from fitgap.domain.values import Cost, Function, Mark, Requirement, Status, Town

AREAS = 20
FUNCTIONS_PER_AREA = 1_000
TOWNS = 30
SEED = 20210701
STATUS_MIX: tuple[tuple[Status | None, float], ...] = (
    (Status.FIT, 0.75),
    (Status.WORKFLOW_CHANGE, 0.12),
    (Status.CUSTOMIZATION, 0.05),
    (Status.NOT_APPLICABLE, 0.03),
    (Status.UNDECIDED, 0.02),
    (None, 0.03),
)
REQUIREMENTS = (Requirement.MANDATORY, Requirement.OPTIONAL, Requirement.PROHIBITED)


def synthetic(rng: random.Random) -> tuple[list[Function], list[Town], list[Mark]]:
    """The catalog, 30 candidate towns with their current system's cost, and their marks."""
    functions = [
        Function(
            id=f"{a:02d}{i:05d}",
            area_id=f"area-{a:02d}",
            name="",
            requirement=rng.choices(REQUIREMENTS, (0.80, 0.17, 0.03))[0],
            text="",
        )
        for a in range(AREAS)
        for i in range(FUNCTIONS_PER_AREA)
    ]
    towns = []
    for j in range(TOWNS):
        population = rng.randint(3_000, 40_000)
        towns.append(
            Town(
                id=f"town-{j:02d}",
                name=f"町{j:02d}",
                population=population,
                current_annual_yen=population * rng.randint(2_500, 4_500),
                migration_yen=rng.randint(10, 40) * 1_000_000,
            )
        )
    statuses = [s for s, _w in STATUS_MIX]
    weights = [w for _s, w in STATUS_MIX]
    marks = []
    for town in towns:
        for function, status in zip(
            functions, rng.choices(statuses, weights, k=len(functions)), strict=True
        ):
            if status is None:
                continue
            cost = None
            if status is Status.CUSTOMIZATION:
                cost = Cost(rng.randrange(20_000, 300_000, 10_000), rng.randrange(0, 30_000, 1_000))
            marks.append(Mark(town.id, function.id, status, cost=cost))
    return functions, towns, marks


def timed(runs: int, work: Callable[[], object]) -> float:
    """The median wall time of `runs` runs, in seconds."""
    times = []
    for _run in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    rng = random.Random(SEED)
    functions, towns, marks = synthetic(rng)
    terms = GroupTerms("bench", 10, 600_000_000, 200_000_000, Split(30, 70))
    build = timed(3, lambda: GroupBasis(functions, towns, marks, terms))
    basis = GroupBasis(functions, towns, marks, terms)
    ids = [t.id for t in towns]
    eight = ids[:8]

    def page(chosen: list[str]) -> None:
        basis.evaluate(chosen)
        agreement(basis, chosen)
        suggest(basis, chosen)

    page_eight = timed(5, lambda: page(eight))
    page_all = timed(3, lambda: page(ids))
    evaluate_all = timed(5, lambda: basis.evaluate(ids))
    agreement_all = timed(5, lambda: agreement(basis, ids))
    sixteen = ids[:16]
    suggest_sixteen = timed(3, lambda: suggest(basis, sixteen))
    found = suggest(basis, sixteen)
    result = basis.evaluate(ids)
    print("## Forming the group (`benchmarks/bench_group.py`)\n")
    print(
        f"Synthetic, seeded ({SEED}): {AREAS * FUNCTIONS_PER_AREA:,} functions × {TOWNS} "
        f"candidate towns, {len(marks):,} marks (the verdict mix of bench_risk.py, every "
        f"customization estimated; {result.customizations:,} customizations among all 30).  "
    )
    print(
        f"Python {platform.python_version()} on {platform.machine()}, "
        f"{os.cpu_count()} CPUs; pure Python, one thread.\n"
    )
    rows = [
        ("build the group basis from all marks (median of 3; kept per process)", build, ""),
        (
            "the page for 8 chosen towns: merits, risk, agreement, suggestions among them "
            "(median of 5)",
            page_eight,
            "< 1 s",
        ),
        (
            "the page for all 30 towns, suggestions by the heuristic (median of 3)",
            page_all,
            "< 1 s",
        ),
        ("merits, risk and divergence of 30 towns `evaluate()` (median of 5)", evaluate_all, ""),
        ("agreement matrix of 30 towns, 435 pairs (median of 5)", agreement_all, ""),
        (
            "suggestions for 16 candidates: all 65,519 subsets (median of 3)",
            suggest_sixteen,
            "< 10 s",
        ),
    ]
    print("| operation | time | target |")
    print("|---|---:|---:|")
    for what, seconds, target in rows:
        shown = f"{seconds:,.1f} s" if seconds >= 1 else f"{seconds * 1000:,.0f} ms"
        print(f"| {what} | {shown} | {target} |")
    print(f"\nSuggestions found among the 16: {len(found):,}.\n")
    print("Command: `.venv/bin/python benchmarks/bench_group.py`.")


if __name__ == "__main__":
    main()
