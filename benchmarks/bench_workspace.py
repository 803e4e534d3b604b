"""Benchmark of the marking workspace at the real scale: one area of 1,000 functions x 30 towns.

Loads a synthetic, seeded area (every town has marked every function) into a fresh database,
then times through the Flask test client (the whole server side of a request, without the
network): opening the grid cold and warm, a filtered grid, a Japanese search, the function page,
and 200 status changes from the grid, each answered with the row and the area totals.

    python benchmarks/bench_workspace.py [--database-url URL]

Target (issue #4): the grid opens quickly; a status change takes a few dozen milliseconds.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fitgap import create_app
from fitgap.domain.files.catalog import Catalog, MarksFile
from fitgap.domain.values import Area, Function, Mark, Requirement, Status, Town
from fitgap.store import catalog as catalog_queries
from fitgap.store import marks as mark_queries
from fitgap.store.db import Database

FUNCTIONS = 1_000
TOWNS = 30
SAVES = 200
SEED = 20261126
STATUS_MIX = ((Status.FIT, 75), (Status.WORKFLOW_CHANGE, 12), (Status.CUSTOMIZATION, 5))
STATUS_MIX += ((Status.NOT_APPLICABLE, 3), (Status.UNDECIDED, 5))


def load(database: Database, rng: random.Random) -> None:
    """Write the synthetic area, its towns and a mark of every town on every function."""
    functions = tuple(
        Function(
            id=f"09{n:05d}",
            area_id="bench",
            name=f"機能{n}の処理",
            requirement=rng.choices(list(Requirement), (78, 20, 2))[0],
            text=f"業務において、機能{n}の処理を行うこと。対象者の情報を検索し、一覧で表示できること。",
            path=(f"大項目{n // 100}", f"中項目{n // 10}"),
        )
        for n in range(FUNCTIONS)
    )
    towns = [Town(id=f"town-{t:02d}", name=f"町{t:02d}") for t in range(TOWNS)]
    statuses = [s for s, _ in STATUS_MIX]
    weights = [w for _, w in STATUS_MIX]
    files = [
        MarksFile(
            town_id=town.id,
            marks=tuple(
                Mark(town.id, f.id, rng.choices(statuses, weights)[0], note="窓口の手順を見直す。")
                for f in functions
            ),
            source="bench",
        )
        for town in towns
    ]
    catalog = Catalog(areas=(Area(id="bench", name="ベンチマーク業務", functions=functions),))
    with database.write() as session:
        catalog_queries.load_catalog(session=session, catalog=catalog, towns=towns)
        mark_queries.import_marks(session=session, files=files, changed_by="bench")


def check(condition: object, message: str) -> None:
    """Stop the benchmark when the app does not answer as expected (timings would be void)."""
    if not condition:
        raise SystemExit(f"benchmark check failed: {message}")


def timed(action: Callable[[], object], runs: int) -> list[float]:
    """Wall times of `runs` calls, in milliseconds."""
    times: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return times


def sign_in_as_staff(database: Database, client: Any, town_id: str) -> None:
    """An account of the town's staff for every area, signed in (a cheap hash: not timed)."""
    from fitgap.services.passwords import hash_password
    from fitgap.store import accounts as account_queries

    password = "Bench-Password-2026"  # noqa: S105 - a throwaway benchmark account
    with database.write() as session:
        account_queries.create_account(
            session=session,
            data=account_queries.AccountInput(
                login="bench", display_name="bench", role="staff", town_id=town_id, all_areas=True
            ),
            password_hash=hash_password(password, "pbkdf2:sha256:1"),
            must_change_password=False,
        )
    response = client.post("/login", data={"login": "bench", "password": password})
    check(response.status_code == 303, "signing in failed")


def main() -> None:
    """Generate, time, print a markdown section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL server's database (default: SQLite)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="fitgap-bench-ws-"))
    url = f"sqlite:///{folder / 'bench.sqlite3'}"
    schema = None
    if args.database_url:  # a schema of its own on that server, dropped at the end
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        with create_engine(args.database_url).begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        separator = "&" if "?" in args.database_url else "?"
        url = f"{args.database_url}{separator}options=-csearch_path%3D{schema}"
    try:
        run(url)
    finally:
        if schema is not None:
            with create_engine(args.database_url).begin() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        shutil.rmtree(folder, ignore_errors=True)


def run(url: str) -> None:
    """Load, time, print."""
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "benchmark", "WTF_CSRF_ENABLED": False})
    database: Database = app.extensions["fitgap.store.db"]
    database.upgrade()
    rng = random.Random(SEED)
    load(database, rng)
    client = app.test_client()
    sign_in_as_staff(database, client, "town-00")
    htmx = {"HX-Request": "true"}

    cold = timed(lambda: client.get("/areas/bench"), 1)[0]
    page = client.get("/areas/bench").get_data(as_text=True)
    check(page.count('class="mark-form"') == 100, "expected a page of 100 editable rows")
    warm = timed(lambda: client.get("/areas/bench"), 20)
    more = timed(lambda: client.get("/areas/bench?page=5", headers=htmx), 20)
    divergent = timed(lambda: client.get("/areas/bench?divergent=1&class=mandatory"), 10)
    search = timed(lambda: client.get("/areas/bench?q=" + quote("機能１２")), 10)
    found = client.get("/areas/bench?q=" + quote("機能１２")).get_data(as_text=True)
    check(found.count('class="mark-form"') == 11, "the search should find 機能12, 機能120-129")
    function_page = timed(lambda: client.get("/functions/0900500"), 20)

    ids = [f"09{n:05d}" for n in range(FUNCTIONS)]
    with database.session() as session:
        versions = mark_queries.mark_versions(session=session, town_id="town-00", function_ids=ids)
    statuses = [s.value for s in Status]
    saves: list[float] = []
    for _ in range(SAVES):
        function_id = rng.choice(ids)
        data = {"status": rng.choice(statuses), "version": str(versions[function_id])}
        start = time.perf_counter()
        response = client.post(f"/functions/{function_id}/marks/town-00", data=data, headers=htmx)
        saves.append((time.perf_counter() - start) * 1000)
        body = response.get_data(as_text=True)
        check(response.status_code == 200, f"a save answered {response.status_code}")
        check(re.search(r'id="area-totals"[^>]*hx-swap-oob="true"', body), "no totals")
        version = re.search(r'name="version" value="(\d+)"', body)
        check(version, "no version in the row")
        versions[function_id] = int(version.group(1)) if version else 0
    rebuilds = app.extensions["fitgap.services.boards"].rebuilds

    def row(label: str, values: list[float]) -> str:
        median = statistics.median(values)
        worst = max(values)
        return f"| {label} | {median:.0f} ms | {worst:.0f} ms |"

    kind = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"## Marking workspace (`benchmarks/bench_workspace.py`, {time.strftime('%Y-%m-%d')})\n")
    print(
        f"One area of {FUNCTIONS:,} functions × {TOWNS} towns ({FUNCTIONS * TOWNS:,} marks), "
        f"{kind}; Python {platform.python_version()} on {platform.machine()}, "
        f"{os.cpu_count()} CPUs. Times are the whole server side of a request through the "
        "Flask test client (no network); the grid shows 100 rows × 30 towns per page.\n"
    )
    print("| request | median | slowest |")
    print("|---|---:|---:|")
    print(f"| open the grid, first time in the process (scores the area) | {cold:.0f} ms | |")
    print(row("open the grid (20 runs)", warm))
    print(row("next 100 rows, htmx (20 runs)", more))
    print(row("grid filtered: divergent, mandatory (10 runs)", divergent))
    print(row("grid searched: 機能１２ (full-width digits; 11 found; 10 runs)", search))
    print(row("function page (20 runs)", function_page))
    print(row(f"status change from the grid, row + totals out of band ({SAVES} runs)", saves))
    print(f"\nThe area was scored from the database {rebuilds} time(s) in all; every status")
    print("change after that updated the kept scoreboard with its one mark.")
    database.dispose()


if __name__ == "__main__":
    main()
