"""Benchmark of the fit-gap matrix export at the scale of a full joint project.

Generates the data core's synthetic project (20 areas x 1,000 functions x 30 towns, 600,000
marks; see bench_data_core.py), loads and imports it into a fresh SQLite database, then times
`fitgap export matrix` as the real command in its own process and reports the peak memory
(maximum resident set size) of that process: for one area and for all 20, so that whether
memory stays flat as the project grows shows in the figures.

    python benchmarks/bench_matrix.py [--keep DIR]

Target (issue 16): the whole project's matrix in under 30 s, with flat memory.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_data_core import AREAS, FUNCTIONS_PER_AREA, TOWNS, generate, timed

# Runs `fitgap ARGS` in this process and prints its peak resident set size (KiB) on stderr.
_CHILD = """
import resource, sys
from fitgap.cli.main import main
try:
    main(sys.argv[1:], prog_name="fitgap", standalone_mode=False)
finally:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print("maxrss", usage.ru_maxrss, usage.ru_utime + usage.ru_stime, file=sys.stderr)
"""


def measured(folder: Path, *args: str) -> tuple[float, float, float]:
    """Run `fitgap ARGS` in `folder`: (wall seconds, CPU seconds, peak memory in MB)."""
    env = {
        **os.environ,
        "FITGAP_CATALOG_DIR": str(folder / "catalog"),
        "FITGAP_TOWNS_DIR": str(folder / "towns"),
        "FITGAP_DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
        "FITGAP_SECRET_KEY": "benchmark",
    }
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, *args],
        cwd=folder,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    line = next(line for line in done.stderr.splitlines() if line.startswith("maxrss"))
    _label, maxrss, cpu = line.split()
    return seconds, float(cpu), int(maxrss) / 1024


def main() -> None:
    """Generate, load, export, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="keep the generated files in this folder")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="fitgap-bench-matrix-"))
    try:
        if not (folder / "bench.sqlite3").exists():
            generate(folder)
            timed(folder, "load")
            timed(folder, "marks", "import", *sorted(str(p) for p in (folder / "marks").iterdir()))
        runs = [
            ("XLSX, one area (1,000 functions)", ("--area", "area-01", "--out", "one.xlsx")),
            ("XLSX, the whole project (20 sheets and the summary)", ("--out", "all.xlsx")),
            ("CSV, the whole project (20 files in a zip)", ("--format", "csv", "--out", "all.zip")),
        ]
        rows = []
        for label, options in runs:
            seconds, cpu, memory = measured(folder, "export", "matrix", *options, "--force")
            size = (folder / options[-1]).stat().st_size / 1e6
            rows.append((label, seconds, cpu, memory, size))
        print(f"## Fit-gap matrix export ({time.strftime('%Y-%m-%d')})\n")
        print(
            f"{AREAS} areas x {FUNCTIONS_PER_AREA:,} functions, {TOWNS} towns, "
            f"{AREAS * FUNCTIONS_PER_AREA * TOWNS:,} marks; SQLite; "
            f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores. "
            "Each run is `fitgap export matrix` in its own process (start-up included); CPU "
            "is that process's user + system time, which a busy machine does not inflate as "
            "it does the wall time; peak memory is its maximum resident set size. "
            f"Load average when done: {os.getloadavg()[0]:.1f}.\n"
        )
        print("| export | wall seconds | CPU seconds | peak memory (MB) | file (MB) | target |")
        print("|---|---:|---:|---:|---:|---:|")
        for label, seconds, cpu, memory, size in rows:
            target = "< 30 s" if "whole" in label else ""
            print(f"| {label} | {seconds:.1f} | {cpu:.1f} | {memory:.0f} | {size:.1f} | {target} |")
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
