"""Fault drills: kill fitgap in the middle of writing, fill the disk, and check what survives.

    python benchmarks/faults.py [--database-url URL]

Each drill prints what it did and what it found, and the whole run prints a Markdown report
(for docs/reliability.md). Everything runs on this machine only: subprocesses of the `fitgap`
command on a temporary folder, SQLite by default (or the PostgreSQL URL given). The disk drill
mounts a tiny tmpfs and needs root; it is skipped with a note otherwise.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import yaml
from sqlalchemy import create_engine, text

FITGAP = str(Path(sys.executable).parent / "fitgap")
TOWNS = 6
FUNCTIONS = 3_000


def write_project(folder: Path, *, edition: int = 1, functions: int = FUNCTIONS) -> None:
    """A catalog of one area, TOWNS towns and a marks file per town."""
    for name in ("catalog", "towns", "marks"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    items = [
        {
            "id": f"05{n:05d}",
            "path": ["大項目", f"中項目{n // 100}"],
            "name": f"機能{n}",
            "requirement": "mandatory",
            "text": f"第{edition}版: 機能{n}の要件。",
        }
        for n in range(functions)
    ]
    document = {
        "format": "fitgap-catalog/1",
        "area": {"id": "drill", "name": "訓練"},
        "functions": items,
    }
    (folder / "catalog" / "drill.yaml").write_text(
        yaml.dump(document, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )
    rng = random.Random(7)
    for t in range(TOWNS):
        town = f"town-{t}"
        (folder / "towns" / f"{town}.yaml").write_text(
            yaml.safe_dump(
                {"format": "fitgap-town/1", "id": town, "name": f"町{t}"}, allow_unicode=True
            ),
            encoding="utf-8",
        )
        marks = [
            {
                "function": item["id"],
                "status": rng.choice(["fit", "workflow_change", "customization"]),
            }
            for item in items
        ]
        (folder / "marks" / f"{town}.yaml").write_text(
            yaml.dump(
                {"format": "fitgap-marks/1", "town": town, "marks": marks},
                Dumper=yaml.CSafeDumper,
                allow_unicode=True,
            ),
            encoding="utf-8",
        )


class Project:
    """A temporary project folder with its own database."""

    def __init__(self, folder: Path, url: str) -> None:
        self.folder = folder
        self.url = url
        self.env = {
            **os.environ,
            "FITGAP_CATALOG_DIR": str(folder / "catalog"),
            "FITGAP_TOWNS_DIR": str(folder / "towns"),
            "FITGAP_DATABASE_URL": url,
            "FITGAP_SECRET_KEY": "drill",
        }

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [FITGAP, *args],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )

    def killed_after(self, delay: float, *args: str) -> int:
        """Start `fitgap ARGS`, SIGKILL it after `delay` seconds; its return code."""
        process = subprocess.Popen(
            [FITGAP, *args],
            cwd=self.folder,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        return process.wait()

    def scalar(self, sql: str) -> object:
        engine = create_engine(self.url)
        try:
            with engine.connect() as connection:
                return connection.execute(text(sql)).scalar()
        finally:
            engine.dispose()


def integrity(project: Project) -> str:
    if not project.url.startswith("sqlite"):
        return "ok"
    path = project.url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as connection:
        return str(connection.execute("PRAGMA integrity_check").fetchone()[0])


def kill_moments(project: Project, files: list[str]) -> list[float]:
    """When to kill an import: spread over a measured full run on a scratch copy, so some kills
    land while it parses and some while it writes (fixed moments on PostgreSQL)."""
    if not project.url.startswith("sqlite"):
        return [0.5, 1.0, 1.5, 2.0, 2.5, 3.0]
    scratch = Project(project.folder, f"sqlite:///{project.folder / 'scratch.sqlite3'}")
    scratch.run("load")
    start = time.perf_counter()
    scratch.run("marks", "import", *files)
    full = time.perf_counter() - start
    return [round(full * share, 2) for share in (0.3, 0.55, 0.7, 0.8, 0.9, 0.97)]


def drill_kill_marks_import(project: Project, report: list[str]) -> bool:
    """SIGKILL `fitgap marks import` at several moments: all marks or none, never some."""
    if project.run("load").returncode != 0:
        raise SystemExit("fitgap load failed")
    files = sorted(str(p) for p in (project.folder / "marks").iterdir())
    total = TOWNS * FUNCTIONS
    ok = True
    for delay in kill_moments(project, files):
        code = project.killed_after(delay, "marks", "import", *files)
        marks = int(project.scalar("SELECT count(*) FROM mark"))  # type: ignore[call-overload]
        history = int(project.scalar("SELECT count(*) FROM mark_change"))  # type: ignore[call-overload]
        check = integrity(project)
        good = marks in (0, total) and history == marks and check == "ok"
        ok &= good
        report.append(
            f"| kill `marks import` after {delay} s | exit {code} | marks {marks:,} / history "
            f"{history:,} | integrity {check} | {'✓' if good else '✗'} |"
        )
        if marks == total:
            break
    final = project.run("marks", "import", *files)
    marks = int(project.scalar("SELECT count(*) FROM mark"))  # type: ignore[call-overload]
    good = final.returncode == 0 and marks == total
    ok &= good
    verify = project.run("audit", "verify")
    chain_ok = verify.returncode == 0
    ok &= chain_ok
    report.append(
        f"| `audit verify` after the kills | exit {verify.returncode} | "
        f"{(verify.stdout.strip().splitlines() or [''])[0][:70]} | | {'✓' if chain_ok else '✗'} |"
    )
    mark = "✓" if good else "✗"
    report.append(f"| import again | exit {final.returncode} | marks {marks:,} | | {mark} |")
    return ok


def drill_kill_catalog_load(project: Project, report: list[str]) -> bool:
    """SIGKILL `fitgap load` of a new edition: the old edition or the new one, never a mix."""
    write_project(project.folder, edition=2)
    ok = True
    for delay in (0.4, 0.9, 1.6):
        code = project.killed_after(delay, "load")
        editions = project.scalar("SELECT count(DISTINCT substr(text, 1, 4)) FROM catalog_function")
        check = integrity(project)
        good = editions == 1 and check == "ok"
        ok &= good
        report.append(
            f"| kill `load` of edition 2 after {delay} s | exit {code} | editions in the table: "
            f"{editions} | integrity {check} | {'✓' if good else '✗'} |"
        )
    final = project.run("load")
    second = project.scalar("SELECT count(*) FROM catalog_function WHERE text LIKE '第2版%'")
    good = final.returncode == 0 and second == FUNCTIONS
    ok &= good
    mark = "✓" if good else "✗"
    report.append(f"| load again | exit {final.returncode} | edition 2 rows {second} | | {mark} |")
    return ok


def drill_full_disk(report: list[str]) -> bool:
    """A database on a full disk: a clear message and exit status 1, and the data still there."""
    if os.geteuid() != 0:
        report.append("| full disk | skipped: needs root to mount a tmpfs | | | |")
        return True
    mount = Path(tempfile.mkdtemp(prefix="fitgap-tinyfs-"))
    if subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], check=False
    ).returncode:
        report.append("| full disk | skipped: tmpfs could not be mounted | | | |")
        return True
    try:
        folder = Path(tempfile.mkdtemp(prefix="fitgap-disk-"))
        write_project(folder, functions=200)
        project = Project(folder, f"sqlite:///{mount / 'fitgap.sqlite3'}")
        first = project.run("load")
        write_project(folder, functions=20_000)  # far more than 2 MB of database
        second = project.run("load")
        message = (second.stderr.strip().splitlines() or [""])[-1]
        kept = project.scalar("SELECT count(*) FROM catalog_function")
        traceback_shown = "Traceback" in second.stderr
        good = (
            first.returncode == 0 and second.returncode == 1 and not traceback_shown and kept == 200
        )
        report.append(
            f"| `load` onto a full disk | exit {second.returncode} | {message[:80]} | "
            f"rows kept {kept} | {'✓' if good else '✗'} |"
        )
        return good
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def main() -> None:
    """Run the drills and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL URL (default: SQLite in a temp folder)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="fitgap-faults-"))
    schema = None
    url = f"sqlite:///{folder / 'fitgap.sqlite3'}"
    if args.database_url:
        schema = f"drill_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.database_url)
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        url = f"{args.database_url}?options=-csearch_path%3D{schema}"
    report = [
        f"## Fault drills ({time.strftime('%Y-%m-%d')}, {'PostgreSQL' if schema else 'SQLite'}, "
        f"Python {platform.python_version()}, {os.cpu_count()} cores)",
        "",
        f"{TOWNS} towns × {FUNCTIONS:,} functions = {TOWNS * FUNCTIONS:,} marks per import.",
        "",
        "| drill | process | found | check | ok |",
        "|---|---|---|---|---|",
    ]
    drills: list[Callable[[], bool]] = []
    write_project(folder)
    project = Project(folder, url)
    drills.append(lambda: drill_kill_marks_import(project, report))
    drills.append(lambda: drill_kill_catalog_load(project, report))
    if schema is None:
        drills.append(lambda: drill_full_disk(report))
    try:
        results = [drill() for drill in drills]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if schema is not None:
            with create_engine(args.database_url).begin() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    print("\n".join(report))
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
