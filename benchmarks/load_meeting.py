"""Load test: a joint meeting with 100 signed-in users of 30 towns, against the real server.

    python benchmarks/load_meeting.py [--users 100] [--seconds 60] [--processes 1]
                                      [--database-url URL] [--nginx]

Builds a project in a temporary folder (one area of 1,000 functions, 30 towns with a mark on
every function, one meeting, an account per user), starts `fitgap serve` on 127.0.0.1 the way
the README tells IT staff (with --processes N: N servers on N ports, the users spread over them
as the town's reverse proxy would), and replays the meeting: every user polls the meeting's
live endpoint every 2 seconds (as the browser does) and changes one of their town's marks every
~10 seconds; one moderator steps to the next agenda item every 15 seconds. A bare endpoint of
the same server (/health: no database, no session) is probed 5 times a second meanwhile.
Then, in the same run, a capacity phase finds the framework's floor: 8 connections ask for the
bare endpoint as fast as the server answers, then 8 town users change marks as fast as it
answers; their throughputs give the ratio. Only the loopback address is used; the number of
users and the duration are bounded.

With --nginx the --processes servers sit behind nginx (Debian's package, started from a
configuration written into the temporary folder, the one docs/deployment.md shows) and every
request goes through it, spread over the servers request by request: the multi-server setup
of a group bigger than one machine, e.g. `--nginx --processes 3 --users 300 --database-url
postgresql+psycopg://...`.
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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import yaml
from sqlalchemy import create_engine, text

FITGAP = str(Path(sys.executable).parent / "fitgap")
HOST = "127.0.0.1"
TOWNS = 30
FUNCTIONS = 1_000
CAPACITY_CONNECTIONS = 8
CAPACITY_SECONDS = 10.0
PASSWORD = "Load-test-2026!"  # noqa: S105 - a throwaway account on a throwaway database


NGINX_CONFIG = """
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {folder}/nginx-body;
    proxy_temp_path {folder}/nginx-proxy;
    fastcgi_temp_path {folder}/nginx-fastcgi;
    uwsgi_temp_path {folder}/nginx-uwsgi;
    scgi_temp_path {folder}/nginx-scgi;
{site}
}}
"""

# The part docs/deployment.md shows (there on port 80/443 with the town's certificate).
NGINX_SITE = """
    upstream fitgap {{
{servers}
        keepalive 64;
    }}
    server {{
        listen {host}:{port};
        client_max_body_size 16m;
        location / {{
            proxy_pass http://fitgap;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $host;
            proxy_read_timeout 60s;
            proxy_next_upstream error timeout;
        }}
    }}
"""


def start_nginx(folder: Path, ports: list[int]) -> tuple[subprocess.Popen[bytes], int]:
    """nginx in the foreground in front of the servers on `ports`; the process and its port."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise SystemExit("--nginx needs nginx: apt-get install -y nginx-light")
    port = free_port()
    servers = "\n".join(f"        server {HOST}:{p};" for p in ports)
    site = NGINX_SITE.format(servers=servers, host=HOST, port=port)
    config = folder / "nginx.conf"
    config.write_text(NGINX_CONFIG.format(folder=folder, site=site), encoding="utf-8")
    process = subprocess.Popen(
        [nginx, "-p", str(folder), "-c", str(config), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(port)
    return process, port


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
    # When each request ended (monotonic seconds), to see what the slowest coincide with.
    ended: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    # The app's own time of each request (its Server-Timing header): what the server spent,
    # against what the client saw (which adds queueing and the client's own work).
    app: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    def add(self, kind: str, seconds: float, ok: bool, app: float | None = None) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            self.ended[kind].append(time.monotonic())
            if app is not None:
                self.app[kind].append(app)
            if not ok:
                self.errors[kind] += 1


class Browser:
    """One user's keep-alive connection with its session cookie and CSRF token."""

    reconnects = 0  # connections the server had closed, opened again (all browsers)

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection(HOST, port, timeout=30)
        self.cookie = ""
        self.token = ""
        self.app_seconds: float | None = None  # the app's time of the last request

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
        try:
            self.connection.request(method, path, body=data, headers=headers)
            response = self.connection.getresponse()
        except TimeoutError:
            # Counted by the caller as an error; the connection is in the middle of a request,
            # so start the next one on a fresh connection (as a browser does).
            self.connection.close()
            raise
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            # The server closed a keep-alive connection that sat idle (waitress does after
            # its channel timeout, e.g. while the other users signed in): open a new one and
            # send again, as a browser does. Counted, to show it in the report.
            Browser.reconnects += 1
            self.connection.close()
            self.connection.request(method, path, body=data, headers=headers)
            response = self.connection.getresponse()
        payload = response.read().decode("utf-8", "replace")
        elapsed = time.perf_counter() - start
        timing = re.search(r"app;dur=([0-9.]+)", response.getheader("Server-Timing") or "")
        self.app_seconds = float(timing.group(1)) / 1000 if timing else None
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


def change_body(status: str, version: int, token: str) -> dict[str, str]:
    """A grid click's form. A customization needs its reason (issue 14): without one the
    server answers 422 and the row asks for it, which is not a save."""
    body = {"status": status, "version": str(version), "csrf_token": token}
    if status == "customization":
        body["note"] = "標準の帳票では様式が足りないため（負荷試験）"
    return body


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
        stats.add("poll live item", elapsed, status in (200, 204), browser.app_seconds)
        if status == 200:
            found = re.search(r"live\?v=(\d+)", page)
            seen = int(found.group(1)) if found else seen + 1
        if time.monotonic() >= next_change:
            function_id = rng.choice(functions)
            body = change_body(rng.choice(statuses), versions[function_id], browser.token)
            status, _, elapsed = browser.request(
                "POST", f"/functions/{function_id}/marks/{town}", body, htmx=True
            )
            stats.add("change a mark", elapsed, status == 200, browser.app_seconds)
            if status != 200:
                stats.add(f"change a mark answered {status}", elapsed, False)
            if status == 200:
                versions[function_id] += 1
            next_change = time.monotonic() + rng.uniform(8, 12)
        time.sleep(max(0.0, 2.0 - elapsed))


def guarded(stats: Stats, target: Callable[..., None], *args: object) -> threading.Thread:
    """A user's thread; should it fail, the failure is counted as an error, not lost."""

    def run() -> None:
        try:
            target(*args)
        except Exception as error:  # any failure of a simulated user counts
            stats.add(f"user stopped by an error ({type(error).__name__})", 0.0, ok=False)

    return threading.Thread(target=run)


def floor_probe(port: int, stop: float, stats: Stats) -> None:
    """The bare endpoint, 5 times a second: what the server's queue adds to any request."""
    browser = Browser(port)
    while time.monotonic() < stop:
        status, _, elapsed = browser.request("GET", "/health")
        stats.add("bare endpoint /health (probe)", elapsed, status == 200, browser.app_seconds)
        time.sleep(max(0.0, 0.2 - elapsed))


def saturate(
    browsers: list[tuple[Browser, str, list[str]]], seconds: float, kind: str, stats: Stats
) -> float:
    """Requests of one kind from these connections as fast as the server answers them, for
    `seconds`; returns the requests answered per second."""
    stop = time.monotonic() + seconds

    def bare(browser: Browser) -> None:
        while time.monotonic() < stop:
            status, _, elapsed = browser.request("GET", "/health")
            stats.add(kind, elapsed, status == 200, browser.app_seconds)

    def changes(browser: Browser, town: str, owned: list[str]) -> None:
        versions = current_versions(browser, town, owned[:1])
        function_id = owned[0]
        statuses = ["fit", "workflow_change", "customization", "not_applicable"]
        step = 0
        while time.monotonic() < stop:
            step += 1
            body = change_body(statuses[step % len(statuses)], versions[function_id], browser.token)
            status, _, elapsed = browser.request(
                "POST", f"/functions/{function_id}/marks/{town}", body, htmx=True
            )
            stats.add(kind, elapsed, status == 200, browser.app_seconds)
            if status == 200:
                versions[function_id] += 1

    if kind.startswith("bare"):
        targets = [threading.Thread(target=bare, args=(b,)) for b, _, _ in browsers]
    else:
        targets = [threading.Thread(target=changes, args=(b, t, o)) for b, t, o in browsers]
    started = time.monotonic()
    for thread in targets:
        thread.start()
    for thread in targets:
        thread.join()
    return len(stats.latencies[kind]) / (time.monotonic() - started)


def current_versions(browser: Browser, town: str, function_ids: list[str]) -> dict[str, int]:
    """The versions of the town's marks, as the function page shows them to the browser."""
    versions = {}
    for function_id in function_ids:
        _, page, _ = browser.request("GET", f"/functions/{function_id}")
        found = re.search(r'name="version" value="(\d+)"', page)
        versions[function_id] = int(found.group(1)) if found else 0
    return versions


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--threads", type=int, default=16, help="waitress threads")
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="server processes on several ports",
    )
    parser.add_argument("--database-url", help="PostgreSQL URL (default: SQLite)")
    parser.add_argument(
        "--nginx", action="store_true", help="all requests through nginx in front of the servers"
    )
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
        # A cheap hash for throwaway accounts: sign-in is not what this run measures.
        "FITGAP_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }
    if args.nginx:
        env["FITGAP_TRUST_PROXY"] = "1"  # as deployed behind the proxy (docs/deployment.md)

    def fitgap(*command: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [FITGAP, *command], cwd=folder, env=env, input=stdin, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise RuntimeError(f"fitgap {' '.join(command)}: {done.stderr}")
        return done.stdout

    servers: list[subprocess.Popen[bytes]] = []
    proxy: subprocess.Popen[bytes] | None = None
    try:
        write_project(folder)
        fitgap("load")
        fitgap("marks", "import", *sorted(str(p) for p in (folder / "marks").iterdir()))
        town_ids = [f"town-{t:02d}" for t in range(TOWNS)]
        logins = [(f"user{k:03d}", town_ids[k % TOWNS], k // TOWNS) for k in range(users)]
        add_accounts(folder, env, logins)
        ports = [free_port() for _ in range(max(1, min(args.processes, 8)))]
        for port in ports:
            command = ["serve", "--host", HOST, "--port", str(port), "--threads", str(args.threads)]
            servers.append(
                subprocess.Popen(
                    [FITGAP, *command],
                    cwd=folder,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        for port in ports:
            wait_for(port)
        if args.nginx:
            proxy, proxy_port = start_nginx(folder, ports)
            ports = [proxy_port]  # every browser goes through the proxy
        moderator = Browser(ports[0])
        moderator.login("moderator")
        meeting = create_meeting(moderator)
        stats = Stats()
        browsers = []
        for k, (login, town, slot) in enumerate(logins):
            browser = Browser(ports[k % len(ports)])  # as the proxy spreads the browsers
            browser.login(login)
            per_town = max(1, -(-users // TOWNS))
            owned = [f"09{n:05d}" for n in range(FUNCTIONS) if n % per_town == slot]
            browsers.append((browser, town, owned))
        stop = time.monotonic() + seconds
        threads = [
            guarded(stats, user_loop, b, town, owned, meeting, stop, stats)
            for b, town, owned in browsers
        ]
        threads.append(guarded(stats, floor_probe, ports[0], stop, stats))
        threads.append(guarded(stats, moderate, moderator, meeting, stop, stats))
        cpu_before = sum(cpu_seconds(server.pid) for server in servers)
        client_before = sum(os.times()[:2])
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        server_cpu = sum(cpu_seconds(server.pid) for server in servers) - cpu_before
        client_cpu = sum(os.times()[:2]) - client_before
        # The capacity phase: the bare endpoint, then mark changes, each as fast as it goes.
        capacity = Stats()
        bare: list[tuple[Browser, str, list[str]]] = [
            (Browser(ports[k % len(ports)]), "", []) for k in range(CAPACITY_CONNECTIONS)
        ]
        floor_rate = saturate(bare, CAPACITY_SECONDS, "bare endpoint /health", capacity)
        writers = browsers[:CAPACITY_CONNECTIONS]  # different towns, each its own function
        change_rate = saturate(writers, CAPACITY_SECONDS, "change a mark", capacity)
        database = "PostgreSQL" if schema else "SQLite"
        report(stats, users, seconds, elapsed, database, args.threads, len(servers), args.nginx)
        if server_cpu >= 0:
            print(
                f"\nThe server used {server_cpu:.1f} s of CPU in these {elapsed:.0f} s "
                f"({server_cpu / elapsed:.0%} of one core), the load client ({users} browsers "
                f"in one process) {client_cpu:.1f} s ({client_cpu / elapsed:.0%}); load average "
                f"at the end {os.getloadavg()[0]:.1f} of {os.cpu_count()} cores (PostgreSQL's "
                "own processes, when used, are among them)."
            )
        report_capacity(capacity, floor_rate, change_rate)
    finally:
        if proxy is not None:
            proxy.send_signal(signal.SIGQUIT)  # nginx's graceful stop
            proxy.wait(timeout=10)
        for server in servers:
            server.send_signal(signal.SIGTERM)
        for server in servers:
            server.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)
        if schema is not None and args.database_url:
            with create_engine(args.database_url).begin() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far; -1e9 where /proc is missing."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return -1e9
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_for(port: int) -> None:
    for _ in range(100):
        try:
            with socket.create_connection((HOST, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the server on port {port} did not start")


def add_accounts(folder: Path, env: dict[str, str], logins: list[tuple[str, str, int]]) -> None:
    """The accounts, through `fitgap user add` run in this one process (not 100 processes)."""
    from click.testing import CliRunner

    from fitgap.cli.main import main as fitgap_main

    runner = CliRunner(env=env)
    commands = [
        ["user", "add", login, "--name", f"職員{login[4:]}", "--role", "staff", "--town", town,
         "--all-areas", "--password-stdin"]
        for login, town, _slot in logins
    ]  # fmt: skip
    commands.append(
        ["user", "add", "moderator", "--name", "進行役", "--role", "moderator", "--password-stdin"]
    )
    here = Path.cwd()
    os.chdir(folder)
    try:
        for command in commands:
            done = runner.invoke(fitgap_main, command, input=PASSWORD + "\n")
            if done.exit_code != 0:
                raise RuntimeError(f"fitgap {' '.join(command)}: {done.output}")
    finally:
        os.chdir(here)


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
        stats.add("moderator: next item", elapsed, status in (200, 302, 303), moderator.app_seconds)
        time.sleep(15)


def report(
    stats: Stats,
    users: int,
    seconds: int,
    elapsed: float,
    db: str,
    threads: int,
    processes: int,
    nginx: bool = False,
) -> None:
    print(f"## Meeting load test ({time.strftime('%Y-%m-%d')}, {db})\n")
    servers = "one process" if processes == 1 else f"{processes} processes on {processes} ports"
    if nginx:
        servers += ", every request through nginx"
    print(
        f"{users} signed-in users of {TOWNS} towns for {seconds} s against `fitgap serve "
        f"--threads {threads}` (waitress, {servers}) on 127.0.0.1; one area of {FUNCTIONS:,} "
        f"functions; Python {platform.python_version()}, {os.cpu_count()} cores shared by "
        "server and client.\n"
    )
    table(stats, elapsed)
    slowest(stats, "change a mark", "moderator: next item")
    if Browser.reconnects:
        print(
            "\nIdle keep-alive connections closed by the server and reopened: "
            f"{Browser.reconnects}."
        )


def slowest(stats: Stats, kind: str, event: str, count: int = 8) -> None:
    """When the slowest requests of a kind started, next to the moments of another kind."""
    if not stats.ended[kind] or not stats.ended[event]:
        return
    origin = min(min(v) for v in stats.ended.values() if v)
    requests = sorted(zip(stats.latencies[kind], stats.ended[kind], strict=True), reverse=True)[
        :count
    ]
    started = ", ".join(
        f"{end - latency - origin:.1f} s ({latency * 1000:.0f} ms)" for latency, end in requests
    )
    events = ", ".join(
        f"{end - latency - origin:.1f} s"
        for latency, end in zip(stats.latencies[event], stats.ended[event], strict=True)
    )
    print(f"\nSlowest '{kind}', started at: {started}. '{event}' at: {events}.")


def table(stats: Stats, elapsed: float) -> None:
    print(
        "| request | count | per second | p50 ms | p95 ms | p99 ms | errors "
        "| app p50 ms | app p95 ms |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for kind, values in sorted(stats.latencies.items()):
        app = stats.app.get(kind) or [float("nan")]
        print(
            f"| {kind} | {len(values):,} | {len(values) / elapsed:.1f} | "
            f"{statistics.median(values) * 1000:.0f} | {percentile(values, 0.95) * 1000:.0f} | "
            f"{percentile(values, 0.99) * 1000:.0f} | {stats.errors.get(kind, 0)} | "
            f"{statistics.median(app) * 1000:.0f} | {percentile(app, 0.95) * 1000:.0f} |"
        )


def report_capacity(capacity: Stats, floor_rate: float, change_rate: float) -> None:
    print(
        f"\nCapacity, same servers right after: {CAPACITY_CONNECTIONS} connections, "
        f"{CAPACITY_SECONDS:.0f} s each, as fast as answered.\n"
    )
    table(capacity, CAPACITY_SECONDS)
    print(
        f"\nMark changes: {change_rate:.0f}/s; bare endpoint: {floor_rate:.0f}/s; ratio "
        f"{change_rate / floor_rate:.3f} (a mark change costs what {floor_rate / change_rate:.0f} "
        "bare requests cost)."
    )


if __name__ == "__main__":
    main()
