"""Load test: a joint meeting with 100 signed-in users of 30 towns, against the real server.

    python benchmarks/load_meeting.py [--users 100] [--seconds 60] [--database-url URL]

Builds a project in a temporary folder (one area of 1,000 functions, 30 towns with a mark on
every function, one meeting, an account per user), starts `fitgap serve` on 127.0.0.1 the way
the README tells IT staff, and replays the meeting: every user polls the meeting's live
endpoint every 2 seconds (as the browser does) and changes one of their town's marks every
~10 seconds; one moderator steps to the next agenda item every 15 seconds. A bare endpoint of
the same server (/health: no database, no session) is measured in the same run as the floor.
Only the loopback address is used; the number of users and the duration are bounded.
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import yaml
from sqlalchemy import create_engine, text

FITGAP = str(Path(sys.executable).parent / "fitgap")
HOST = "127.0.0.1"
TOWNS = 30
FUNCTIONS = 1_000
PASSWORD = "Load-test-2026!"  # noqa: S105 - a throwaway account on a throwaway database


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def write_project(folder: Path) -> None:
    for name in ("catalog", "towns", "marks"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    rng = random.Random(2026)
    functions = [
        {
            "id": f"09{n:05d}",
            "path": [f"大項目{n // 250}", f"中項目{n // 25}"],
            "name": f"機能{n}",
            "requirement": "optional" if n % 5 == 0 else "mandatory",
            "text": f"機能{n}の要件。",
        }
        for n in range(FUNCTIONS)
    ]
    catalog = {
        "format": "fitgap-catalog/1",
        "area": {"id": "load", "name": "負荷試験"},
        "functions": functions,
    }
    (folder / "catalog" / "load.yaml").write_text(
        yaml.dump(catalog, Dumper=yaml.CSafeDumper, allow_unicode=True), encoding="utf-8"
    )
    statuses = ["fit", "workflow_change", "customization"]
    common = {f["id"]: rng.choices(statuses, [0.85, 0.1, 0.05])[0] for f in functions}
    for t in range(TOWNS):
        town = f"town-{t:02d}"
        document = {"format": "fitgap-town/1", "id": town, "name": f"町{t:02d}"}
        (folder / "towns" / f"{town}.yaml").write_text(
            yaml.safe_dump(document, allow_unicode=True), encoding="utf-8"
        )
        # Towns mostly agree (as after pre-marking): each function has a common verdict and a
        # town departs from it rarely, so about one function in seven is divergent and the
        # proposed agenda has ~150 items, like a real meeting's backlog.
        marks = [
            {
                "function": f["id"],
                "status": rng.choice(statuses) if rng.random() < 0.005 else common[f["id"]],
            }
            for f in functions
        ]
        (folder / "marks" / f"{town}.yaml").write_text(
            yaml.dump(
                {"format": "fitgap-marks/1", "town": town, "marks": marks},
                Dumper=yaml.CSafeDumper,
                allow_unicode=True,
            ),
            encoding="utf-8",
        )


@dataclass
class Stats:
    """Latencies (seconds) and errors per kind of request, shared by all users."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float, ok: bool) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            if not ok:
                self.errors[kind] += 1


class Browser:
    """One user's keep-alive connection with its session cookie and CSRF token."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection(HOST, port, timeout=30)
        self.cookie = ""
        self.token = ""

    def request(
        self, method: str, path: str, body: dict[str, str] | None = None, htmx: bool = False
    ) -> tuple[int, str, float]:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if htmx:
            headers["HX-Request"] = "true"
            headers["X-CSRFToken"] = self.token
        start = time.perf_counter()
        self.connection.request(method, path, body=data, headers=headers)
        response = self.connection.getresponse()
        payload = response.read().decode("utf-8", "replace")
        elapsed = time.perf_counter() - start
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                self.cookie = value.split(";", 1)[0]
        found = re.search(r'name="csrf_token" value="([^"]+)"', payload)
        if found:
            self.token = found.group(1)
        return response.status, payload, elapsed

    def login(self, login: str) -> None:
        status, page, _ = self.request("GET", "/login")
        fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page))
        names = re.findall(r'<input[^>]*name="([^"]+)"', page)
        text_name = next(n for n in names if "login" in n or n in ("username", "user"))
        password_name = next(n for n in names if "password" in n)
        fields.update({text_name: login, password_name: PASSWORD})
        status, _, _ = self.request("POST", "/login", fields)
        if status not in (302, 303):
            raise RuntimeError(f"login of {login} failed: HTTP {status}")
        self.request("GET", "/")  # a page with the CSRF token for htmx requests


def user_loop(
    browser: Browser,
    town: str,
    functions: list[str],
    meeting: int,
    stop: float,
    stats: Stats,
) -> None:
    rng = random.Random(town + functions[0])
    versions = dict.fromkeys(functions, 1)
    statuses = ["fit", "workflow_change", "customization", "not_applicable"]
    next_change = time.monotonic() + rng.uniform(0, 10)
    seen = 0
    while time.monotonic() < stop:
        status, page, elapsed = browser.request(
            "GET", f"/meetings/{meeting}/live?v={seen}", htmx=True
        )
        stats.add("poll live item", elapsed, status in (200, 204))
        if status == 200:
            found = re.search(r"live\?v=(\d+)", page)
            seen = int(found.group(1)) if found else seen + 1
        if time.monotonic() >= next_change:
            function_id = rng.choice(functions)
            body = {
                "status": rng.choice(statuses),
                "version": str(versions[function_id]),
                "csrf_token": browser.token,
            }
            status, _, elapsed = browser.request(
                "POST", f"/functions/{function_id}/marks/{town}", body, htmx=True
            )
            stats.add("change a mark", elapsed, status == 200)
            if status == 200:
                versions[function_id] += 1
            next_change = time.monotonic() + rng.uniform(8, 12)
        time.sleep(max(0.0, 2.0 - elapsed))


def floor_loop(port: int, stop: float, stats: Stats) -> None:
    browser = Browser(port)
    while time.monotonic() < stop:
        status, _, elapsed = browser.request("GET", "/health")
        stats.add("bare endpoint /health", elapsed, status == 200)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--threads", type=int, default=16, help="waitress threads")
    parser.add_argument("--database-url", help="PostgreSQL URL (default: SQLite)")
    args = parser.parse_args()
    users = max(1, min(args.users, 300))
    seconds = max(5, min(args.seconds, 600))
    folder = Path(tempfile.mkdtemp(prefix="fitgap-load-"))
    schema = None
    url = f"sqlite:///{folder / 'fitgap.sqlite3'}"
    if args.database_url:
        schema = f"load_{uuid.uuid4().hex[:8]}"
        with create_engine(args.database_url).begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        url = f"{args.database_url}?options=-csearch_path%3D{schema}"
    env = {
        **os.environ,
        "FITGAP_CATALOG_DIR": str(folder / "catalog"),
        "FITGAP_TOWNS_DIR": str(folder / "towns"),
        "FITGAP_DATABASE_URL": url,
        "FITGAP_SECRET_KEY": "load-test",
        "FITGAP_PASSWORD_FORCE_INITIAL_CHANGE": "0",  # throwaway accounts of a test run
    }

    def fitgap(*command: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [FITGAP, *command], cwd=folder, env=env, input=stdin, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise RuntimeError(f"fitgap {' '.join(command)}: {done.stderr}")
        return done.stdout

    server = None
    try:
        write_project(folder)
        fitgap("load")
        fitgap("marks", "import", *sorted(str(p) for p in (folder / "marks").iterdir()))
        town_ids = [f"town-{t:02d}" for t in range(TOWNS)]
        logins = []
        for k in range(users):
            town = town_ids[k % TOWNS]
            login = f"user{k:03d}"
            fitgap(
                "user", "add", login, "--name", f"職員{k}", "--role", "staff", "--town", town,
                "--all-areas", "--password-stdin", stdin=PASSWORD + "\n",
            )  # fmt: skip
            logins.append((login, town, k // TOWNS))
        fitgap(
            "user", "add", "moderator", "--name", "進行役", "--role", "moderator",
            "--password-stdin", stdin=PASSWORD + "\n",
        )  # fmt: skip
        port = free_port()
        server = subprocess.Popen(
            [FITGAP, "serve", "--host", HOST, "--port", str(port), "--threads", str(args.threads)],
            cwd=folder,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                with socket.create_connection((HOST, port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        moderator = Browser(port)
        moderator.login("moderator")
        meeting = create_meeting(moderator)
        stats = Stats()
        browsers = []
        for login, town, slot in logins:
            browser = Browser(port)
            browser.login(login)
            per_town = max(1, -(-users // TOWNS))
            owned = [f"09{n:05d}" for n in range(FUNCTIONS) if n % per_town == slot]
            browsers.append((browser, town, owned))
        stop = time.monotonic() + seconds
        threads = [
            threading.Thread(target=user_loop, args=(b, town, owned, meeting, stop, stats))
            for b, town, owned in browsers
        ]
        threads.append(threading.Thread(target=floor_loop, args=(port, stop, stats)))
        threads.append(threading.Thread(target=moderate, args=(moderator, meeting, stop, stats)))
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        report(stats, users, seconds, elapsed, "PostgreSQL" if schema else "SQLite", args.threads)
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)
        if schema is not None and args.database_url:
            with create_engine(args.database_url).begin() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))


def create_meeting(moderator: Browser) -> int:
    status, page, _ = moderator.request("GET", "/meetings/new")
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page))
    fields.update(
        {"area": "load", "held_on": "2026-12-01", "moderator": "進行役", "place": "会議室"}
    )
    status, page, _ = moderator.request("POST", "/meetings/new", fields)
    found = re.search(r"/meetings/(\d+)", page) or re.search(
        r"/meetings/(\d+)", moderator.request("GET", "/meetings")[1]
    )
    if found is None:
        raise RuntimeError(f"could not create the meeting: HTTP {status}")
    return int(found.group(1))


def moderate(moderator: Browser, meeting: int, stop: float, stats: Stats) -> None:
    while time.monotonic() < stop:
        body = {"csrf_token": moderator.token, "go": "next"}
        status, _, elapsed = moderator.request("POST", f"/meetings/{meeting}/current", body)
        stats.add("moderator: next item", elapsed, status in (200, 302, 303))
        time.sleep(15)


def report(stats: Stats, users: int, seconds: int, elapsed: float, db: str, threads: int) -> None:
    print(f"## Meeting load test ({time.strftime('%Y-%m-%d')}, {db})\n")
    print(
        f"{users} signed-in users of {TOWNS} towns for {seconds} s against `fitgap serve "
        f"--threads {threads}` (waitress) on 127.0.0.1; one area of {FUNCTIONS:,} functions; "
        f"Python {platform.python_version()}, {os.cpu_count()} cores shared by server and client.\n"
    )
    print("| request | count | per second | p50 ms | p95 ms | p99 ms | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    throughput = {}
    for kind, values in sorted(stats.latencies.items()):
        rate = len(values) / elapsed
        throughput[kind] = rate
        print(
            f"| {kind} | {len(values):,} | {rate:.1f} | {statistics.median(values) * 1000:.0f} | "
            f"{percentile(values, 0.95) * 1000:.0f} | {percentile(values, 0.99) * 1000:.0f} | "
            f"{stats.errors.get(kind, 0)} |"
        )
    floor = stats.latencies.get("bare endpoint /health", [])
    changes = stats.latencies.get("change a mark", [])
    if floor and changes:
        ratio = statistics.median(floor) / statistics.median(changes)
        print(
            f"\nA mark change takes {statistics.median(changes) * 1000:.0f} ms at the median, the "
            f"bare endpoint {statistics.median(floor) * 1000:.1f} ms: one mark change costs "
            f"what {1 / ratio:.0f} bare requests cost (throughput ratio {ratio:.3f})."
        )


if __name__ == "__main__":
    main()
