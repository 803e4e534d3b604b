"""Time and peak memory of reading each hostile file (docs/reliability.md, "Bad input").

Each case runs in a child process under an address-space limit (--limit-mb, default 3,000)
and a time limit (--timeout, default 30 s); a case that hits either is reported as such.

    .venv/bin/python benchmarks/hostile_files.py [--limit-mb 3000] [--timeout 30] [names...]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import hostile  # noqa: E402

GiB = 1024**3

READ_SHEET = """
from pathlib import Path
from fitgap.domain.files.marking_sheet import read_marking_sheet
read_marking_sheet(Path({path!r}), town_id="ishii", area_id="juki",
                   function_ids={{"0010010", "0010020", "0010030"}})
"""
READ_LIST = """
from pathlib import Path
from fitgap.domain.files.xlsx_catalog import read_function_list
read_function_list(Path({path!r}), area_id="juki")
"""
READ_CATALOG = """
from pathlib import Path
from fitgap.domain.files.catalog import read_catalog
read_catalog(Path({path!r}))
"""
READ_TOWNS = """
from pathlib import Path
from fitgap.domain.files.catalog import read_towns
read_towns(Path({path!r}).parent)
"""
READ_MARKS = """
from pathlib import Path
from fitgap.domain.files.catalog import read_marks
read_marks([Path({path!r})], town_ids={{"ishii"}}, function_ids={{"0010010"}})
"""

MARKS = 'format: fitgap-marks/1\ntown: ishii\nmarks:\n  - function: "0010010"\n'
TOWN = "format: fitgap-town/1\nid: ishii\nname: 石井町\n"


def cases() -> dict[str, tuple[str, Callable[[], bytes], str]]:
    """name -> (file name, builder, reading code)."""
    return {
        "meta-row-1e12": (
            "s.xlsx",
            lambda: hostile.with_meta_cell(hostile.META_TABLE_ROW, 1, 10**12),
            READ_SHEET,
        ),
        "shared-string-1GiB": ("s.xlsx", lambda: hostile.huge_shared_string(GiB), READ_SHEET),
        "xfd-20000-rows": ("s.xlsx", lambda: hostile.far_cells(20_000), READ_SHEET),
        "whitespace-2GiB": (
            "s.xlsx",
            lambda: hostile.whitespace_in_sheet_data(2 * GiB),
            READ_SHEET,
        ),
        "xml-entity": ("s.xlsx", hostile.xml_entity, READ_SHEET),
        "malformed-xml": ("s.xlsx", hostile.malformed_xml, READ_SHEET),
        "cost-5000-digits": ("s.xlsx", hostile.raw_number_cell, READ_SHEET),
        "cost-5000-digit-text": ("s.xlsx", lambda: hostile.customization("9" * 5000), READ_SHEET),
        "negative-header-row": ("s.xlsx", lambda: hostile.with_meta_cell(5, 2, -5), READ_SHEET),
        "cost-1e20": ("s.xlsx", lambda: hostile.customization(10**20), READ_SHEET),
        "cost-1e18": ("s.xlsx", lambda: hostile.customization(10**18), READ_SHEET),
        "merge-bomb-list": ("l.xlsx", hostile.merge_bomb_list, READ_LIST),
        "list-1M-rows": ("l.xlsx", lambda: hostile.long_list(1_000_000), READ_LIST),
        "alias-bomb": ("c.yaml", lambda: hostile.alias_bomb().encode(), READ_CATALOG),
        "deep-250": ("c.yaml", lambda: hostile.deep_value(250).encode(), READ_CATALOG),
        "town-1e30": ("t.yaml", lambda: (TOWN + f"population: {10**30}\n").encode(), READ_TOWNS),
        "marks-note-50MB": (
            "m.yaml",
            lambda: (MARKS + "    status: fit\n    note: " + "a" * 50_000_000 + "\n").encode(),
            READ_MARKS,
        ),
    }


def run(code: str, limit_mb: int, timeout: float) -> tuple[float, float, str]:
    """(seconds, peak MB, outcome) of `code` in a child process."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit_mb * 1024 * 1024,) * 2)

    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=limit,  # a plain limit, set before any thread starts
    )
    try:
        _out, err = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        outcome = f"still running after {timeout:.0f} s (killed)"
    else:
        lines = err.decode(errors="replace").strip().splitlines()
        outcome = lines[-1][:150] if lines else f"exit {child.returncode}, no error"
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return elapsed, peak, outcome


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("names", nargs="*")
    parser.add_argument("--limit-mb", type=int, default=3000)
    parser.add_argument("--timeout", type=float, default=30)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for name, (file_name, build, code) in cases().items():
            if arguments.names and name not in arguments.names:
                continue
            path = Path(folder) / name / file_name
            path.parent.mkdir()
            path.write_bytes(build())
            size = os.path.getsize(path)
            # A fresh interpreter per case: RUSAGE_CHILDREN's peak is the largest child so far.
            measure = (
                "import resource, subprocess, sys, json; "
                "from benchmarks.hostile_files import run; "
                f"print(json.dumps(run({code.format(path=str(path))!r}, "
                f"{arguments.limit_mb}, {arguments.timeout})))"
            )
            result = subprocess.run(
                [sys.executable, "-c", measure], cwd=ROOT, capture_output=True, text=True
            )
            print(f"{name:22} {size:>12,} B  {result.stdout.strip() or result.stderr[-300:]}")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
