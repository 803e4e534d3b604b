"""Benchmark of the data core at the scale of a full joint project.

Generates 20 business areas x 1,000 functions and 30 towns with a mark on every function
(600,000 marks), then times `fitgap check`, `fitgap load` and `fitgap marks import` of all towns
on a fresh SQLite database, each as the real command in its own process.

    python benchmarks/bench_data_core.py [--out docs/performance.md] [--keep DIR]

Targets (issue #2): check and load under 10 s, marks import under 60 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

AREAS = 20
FUNCTIONS_PER_AREA = 1_000
TOWNS = 30
STATUSES = (
    ("fit", 0.75),
    ("workflow_change", 0.12),
    ("customization", 0.05),
    ("not_applicable", 0.03),
    ("undecided", 0.05),
)
REPO = Path(__file__).resolve().parent.parent


def generate(folder: Path, seed: int = 20261126) -> None:
    """Write the catalog, town and marks files of the synthetic joint project."""
    rng = random.Random(seed)
    (folder / "catalog").mkdir(parents=True)
    (folder / "towns").mkdir()
    (folder / "marks").mkdir()
    function_ids: list[str] = []
    for area in range(AREAS):
        functions = []
        for number in range(FUNCTIONS_PER_AREA):
            function_id = f"{area + 1:02d}{number * 10 + 10:05d}"
            function_ids.append(function_id)
            functions.append(
                {
                    "id": function_id,
                    "path": [f"大項目{number // 100}", f"中項目{number // 10}"],
                    "name": f"業務{area + 1}の機能{number}",
                    "requirement": rng.choices(
                        ("mandatory", "optional", "prohibited"), (0.78, 0.2, 0.02)
                    )[0],
                    "text": f"業務{area + 1}において、機能{number}の処理を行うこと。"
                    "対象者の情報を検索し、結果を一覧で表示できること。",
                }
            )
        document = {
            "format": "fitgap-catalog/1",
            "area": {"id": f"area-{area + 1:02d}", "name": f"業務{area + 1}"},
            "functions": functions,
        }
        with (folder / "catalog" / f"area-{area + 1:02d}.yaml").open("w", encoding="utf-8") as f:
            yaml.dump(document, f, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False)
    statuses = [s for s, _ in STATUSES]
    weights = [w for _, w in STATUSES]
    for town in range(TOWNS):
        town_id = f"town-{town + 1:02d}"
        town_doc = {"format": "fitgap-town/1", "id": town_id, "name": f"町{town + 1}"}
        (folder / "towns" / f"{town_id}.yaml").write_text(
            yaml.safe_dump(town_doc, allow_unicode=True), encoding="utf-8"
        )
        marks = []
        for function_id in function_ids:
            status = rng.choices(statuses, weights)[0]
            mark: dict[str, object] = {"function": function_id, "status": status}
            if status in ("workflow_change", "customization"):
                mark["note"] = "窓口の手順を見直して標準の画面で対応します。"
            if status == "customization":
                mark["cost"] = {"initial_yen": 1_000_000, "annual_yen": 150_000}
            marks.append(mark)
        document = {"format": "fitgap-marks/1", "town": town_id, "marks": marks}
        with (folder / "marks" / f"{town_id}.yaml").open("w", encoding="utf-8") as f:
            yaml.dump(document, f, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False)


def timed(folder: Path, *args: str) -> float:
    """Run `fitgap ARGS` in `folder` and return the wall time in seconds."""
    env = {
        **os.environ,
        "FITGAP_CATALOG_DIR": str(folder / "catalog"),
        "FITGAP_TOWNS_DIR": str(folder / "towns"),
        "FITGAP_DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
        "FITGAP_SECRET_KEY": "benchmark",
    }
    fitgap = Path(sys.executable).parent / "fitgap"
    before = _children_cpu()
    start = time.perf_counter()
    subprocess.run([str(fitgap), *args], cwd=folder, env=env, check=True, capture_output=True)
    wall = time.perf_counter() - start
    CPU.setdefault(" ".join(args[:2]), _children_cpu() - before)  # the first run of each
    return wall


# CPU seconds (user + system) of each command, by its first two words: on a machine shared
# with other work the wall time swings with the load, the CPU time far less.
CPU: dict[str, float] = {}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


FLOOR_READ = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1])
rows = connection.execute(
    "SELECT m.town_id, m.function_id, m.status, m.note, m.cost_initial_yen, m.cost_annual_yen "
    "FROM mark m JOIN catalog_function f ON f.id = m.function_id WHERE f.archived_at IS NULL"
).fetchall()
print(len(rows))
"""

FLOOR_WRITE = """
import sqlite3, sys, time
source = sqlite3.connect(sys.argv[1])
connection = sqlite3.connect(sys.argv[2])
for table in ("mark", "mark_change"):  # the tables and their indexes (not the triggers)
    for (sql,) in source.execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('table', 'index') "
        "AND sql IS NOT NULL ORDER BY type DESC",
        (table,),
    ):
        connection.execute(sql)
rows = source.execute("SELECT * FROM mark").fetchall()
history = source.execute("SELECT * FROM mark_change").fetchall()
start = time.perf_counter()
connection.executemany(f"INSERT INTO mark VALUES ({','.join('?' * len(rows[0]))})", rows)
connection.executemany(
    f"INSERT INTO mark_change VALUES ({','.join('?' * len(history[0]))})", history
)
connection.commit()
print(time.perf_counter() - start)
"""


def floors(folder: Path) -> tuple[float, float, float]:
    """What the commands cannot beat on this machine, in the same run: a Python process that
    starts and reads the same 600,000 marks with the bare sqlite3 module (score); the bare
    executemany of the same 600,000 marks and 600,000 history rows (import, without reading
    the files); and `fitgap --help` (the command's start: Python, Flask, SQLAlchemy)."""
    database = folder / "bench.sqlite3"
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", FLOOR_READ, str(database)], check=True, capture_output=True
    )
    read = time.perf_counter() - start
    copy = folder / "floor.sqlite3"
    copy.unlink(missing_ok=True)
    result = subprocess.run(
        [sys.executable, "-c", FLOOR_WRITE, str(database), str(copy)],
        check=True,
        capture_output=True,
        text=True,
    )
    copy.unlink()
    write = float(result.stdout.strip())
    help_seconds = timed(folder, "--help")
    return read, write, help_seconds


def dashboard(folder: Path) -> None:
    """The whole project's dashboard in the web app (test client: server time only)."""
    from fitgap import create_app
    from fitgap.domain.values import Status
    from fitgap.services.passwords import hash_password
    from fitgap.store import accounts as account_queries
    from fitgap.store import marks as mark_queries

    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
            "SECRET_KEY": "benchmark",
            "WTF_CSRF_ENABLED": False,
        }
    )
    database = app.extensions["fitgap.store.db"]
    password = "Bench-Password-2026"  # noqa: S105 - a throwaway benchmark account
    with database.write() as session:
        account_queries.create_account(
            session=session,
            data=account_queries.AccountInput(login="bench", display_name="bench", role="observer"),
            password_hash=hash_password(password, "pbkdf2:sha256:1"),
            must_change_password=False,
        )
    client = app.test_client()
    client.post("/login", data={"login": "bench", "password": password})
    htmx = {"HX-Request": "true"}

    def seconds(path: str, headers: dict[str, str] | None = None) -> tuple[float, int, str]:
        start = time.perf_counter()
        response = client.get(path, headers=headers or {})
        return time.perf_counter() - start, response.status_code, response.get_data(as_text=True)

    cold, status, page = seconds("/dashboard")
    if status != 200:
        raise SystemExit(f"the dashboard answered {status}")
    warm, _, _ = seconds("/dashboard")
    found = re.search(r'<div id="scores" hx-get="([^"]+)"', page)
    poll = found.group(1).replace("&amp;", "&") if found else "/dashboard"
    unchanged, unchanged_status, _ = seconds(poll, htmx)
    with database.session() as session:
        mark = mark_queries.get_mark(session=session, town_id="town-01", function_id="0100010")
    with database.write() as session:  # another user's change, as another process would write
        mark_queries.save_mark(
            session=session,
            town_id="town-01",
            function_id="0100010",
            status=Status.CUSTOMIZATION,
            note=None,
            cost=None,
            expected_version=mark.version if mark else 0,
            changed_by="bench",
        )
    changed, changed_status, _ = seconds(poll, htmx)
    boards = app.extensions["fitgap.services.boards"]
    print("\nThe whole project's dashboard (`/dashboard`, through the test client):\n")
    print("| request | seconds |")
    print("|---|---:|")
    print(f"| first view in a process (scores 600,000 marks) | {cold:.2f} |")
    print(f"| again (the kept project board) | {warm:.2f} |")
    print(f"| its 30-second poll, nothing changed (HTTP {unchanged_status}) | {unchanged:.3f} |")
    print(f"| its poll after another user changed a mark (HTTP {changed_status}) | {changed:.2f} |")
    print(f"\nBoards scored from scratch in all: {boards.rebuilds}.")


def main() -> None:
    """Generate, run, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="keep the generated files in this folder")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="fitgap-bench-"))
    try:
        start = time.perf_counter()
        generate(folder)
        generation = time.perf_counter() - start
        size = sum(p.stat().st_size for p in (folder / "marks").iterdir()) / 1e6
        marks = sorted(str(p) for p in (folder / "marks").iterdir())
        check = timed(folder, "check")
        load = timed(folder, "load")
        reload = timed(folder, "load")
        imported = timed(folder, "marks", "import", *marks)
        reimport = timed(folder, "marks", "import", *marks)
        print(f"## Data core at full scale ({time.strftime('%Y-%m-%d')})\n")
        print(
            f"{AREAS} areas x {FUNCTIONS_PER_AREA:,} functions, {TOWNS} towns, "
            f"{AREAS * FUNCTIONS_PER_AREA * TOWNS:,} marks ({size:.0f} MB of marks files); "
            f"SQLite; Python {platform.python_version()} on {platform.machine()}, "
            f"{os.cpu_count()} cores. Generated in {generation:.1f} s.\n"
        )
        print(f"Load average at the start: {os.getloadavg()[0]:.1f}.\n")
        print("| command | seconds | target |")
        print("|---|---:|---:|")
        print(f"| `fitgap check` | {check:.1f} | < 10 |")
        print(f"| `fitgap load` (empty database) | {load:.1f} | < 10 |")
        print(f"| `fitgap load` (again, nothing changed) | {reload:.1f} | < 10 |")
        print(f"| `fitgap marks import` (30 files, all new) | {imported:.1f} | < 60 |")
        print(
            f"| `fitgap marks import` (same files again, all unchanged) | {reimport:.1f} | < 60 |"
        )
        score = timed(folder, "score", "--format", "json")
        print(f"| `fitgap score --format json` (whole project) | {score:.1f} | < 1.5 |")
        read, write, start_up = floors(folder)
        print(
            "\nCPU seconds (user + system) of the commands in this run: "
            + ", ".join(f"`fitgap {name}` {seconds:.1f}" for name, seconds in CPU.items())
            + f"; load average at the end {os.getloadavg()[0]:.1f}."
        )
        print(
            f"\nFloors in the same run: `fitgap --help` (the command's start) {start_up:.2f} s; "
            f"a Python process reading the same 600,000 marks with bare sqlite3 {read:.2f} s; "
            f"bare executemany of the same 600,000 marks and 600,000 history rows "
            f"{write:.2f} s.\n"
        )
        print("| command | seconds | floor | command ÷ floor |")
        print("|---|---:|---:|---:|")
        print(
            f"| check + load (empty database) | {check + load:.1f} | {2 * start_up:.1f} "
            f"(2 starts) | {(check + load) / (2 * start_up):.1f} |"
        )
        print(
            f"| marks import (all new) | {imported:.1f} | {write + start_up:.1f} "
            f"(start + inserts) | {imported / (write + start_up):.1f} |"
        )
        print(
            f"| score --format json | {score:.1f} | {read:.1f} (start + read) | "
            f"{score / read:.1f} |"
        )
        dashboard(folder)
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
