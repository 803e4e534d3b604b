"""Run every benchmark, the meeting load test and the fault drills, and keep their reports.

    python benchmarks/run_all.py [--postgres URL] [--only NAME ...] [--quick]

Each script runs in its own process, one after the other (they would slow each other down on
a 2-core machine), on SQLite and, with --postgres, again on that server where the script
takes a database. Their Markdown reports are written, with the machine they ran on and the
command of each, to docs/benchmark-results.md; docs/performance.md and docs/reliability.md
explain the figures. --quick shortens the load test (20 users, 20 s) for a first look.
A script that fails is reported as failed, and the run goes on; the exit status is 1 if any
failed.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE.parent / "docs" / "benchmark-results.md"


@dataclass(frozen=True)
class Script:
    name: str
    arguments: tuple[str, ...] = ()
    takes_database: bool = False  # runs again on PostgreSQL with --database-url


SCRIPTS = (
    Script("bench_risk"),
    Script("bench_workspace", takes_database=True),
    Script("bench_data_core"),
    Script("load_meeting", ("--users", "100", "--seconds", "60"), takes_database=True),
    Script("faults", takes_database=True),
)


def machine() -> str:
    cores = os.cpu_count()
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        total_kb = int(meminfo.read_text().split()[1])
        memory = f", {total_kb / 1024 / 1024:.0f} GiB"
    return (
        f"{platform.system()} {platform.machine()}, {cores} cores{memory}, "
        f"Python {platform.python_version()}"
    )


def run(script: Script, database_url: str | None, quick: bool) -> tuple[str, str, bool, float]:
    arguments = list(script.arguments)
    if quick and script.name == "load_meeting":
        arguments = ["--users", "20", "--seconds", "20"]
    if database_url:
        arguments += ["--database-url", database_url]
    command = [sys.executable, str(HERE / f"{script.name}.py"), *arguments]
    shown = " ".join(["python", f"benchmarks/{script.name}.py", *arguments])
    if database_url:
        shown = shown.replace(database_url, "postgresql+psycopg://…")
    print(f"== {shown}", file=sys.stderr, flush=True)
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        print(done.stderr[-2000:], file=sys.stderr)
    print(f"   {'ok' if done.returncode == 0 else 'FAILED'} in {seconds:.0f} s", file=sys.stderr)
    output = done.stdout.strip()
    if done.returncode != 0:
        output += f"\n\n**Failed** (exit status {done.returncode}):\n\n```\n"
        output += done.stderr.strip()[-1500:] + "\n```"
    return shown, output, done.returncode == 0, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="also run on this PostgreSQL URL (a database to use)")
    parser.add_argument("--only", nargs="*", choices=[s.name for s in SCRIPTS], default=None)
    parser.add_argument("--quick", action="store_true", help="a short load test")
    args = parser.parse_args()
    chosen = [s for s in SCRIPTS if args.only is None or s.name in args.only]
    sections = read_sections()
    failed = False
    for script in chosen:
        urls = [None, args.postgres] if script.takes_database and args.postgres else [None]
        for url in urls:
            shown, output, ok, seconds = run(script, url, args.quick)
            failed |= not ok
            key = f"{script.name} {'postgresql' if url else 'sqlite'}"
            day = time.strftime("%Y-%m-%d")
            sections[key] = f"### `{shown}` ({day}, {seconds:.0f} s)\n\n{output}\n"
    order = [f"{s.name} {db}" for s in SCRIPTS for db in ("sqlite", "postgresql")]
    body = "".join(f"{MARK}{key} -->\n{sections[key]}{END}\n\n" for key in order if key in sections)
    RESULTS.write_text(
        "# Benchmark results\n\n"
        "Written by `python benchmarks/run_all.py` (rerun it to refresh; `--only NAME` reruns "
        f"one script and keeps the other sections). Machine: {machine()}. Each section is one "
        "script's own report, as it printed it.\n\n" + body,
        encoding="utf-8",
    )
    print(f"written: {RESULTS.relative_to(HERE.parent)}", file=sys.stderr)
    sys.exit(1 if failed else 0)


MARK = "<!-- result: "
END = "<!-- end of result -->"


def read_sections() -> dict[str, str]:
    """The sections of an earlier run, by 'script database', to keep those not rerun."""
    if not RESULTS.exists():
        return {}
    sections = {}
    for chunk in RESULTS.read_text(encoding="utf-8").split(MARK)[1:]:
        key, _, rest = chunk.partition(" -->\n")
        sections[key] = rest.split(END, 1)[0]
    return sections


if __name__ == "__main__":
    main()
