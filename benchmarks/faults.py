"""Fault drills: kill fitgap in the middle of writing, fill its disk, turn it read-only, and
check what survives.

    python benchmarks/faults.py [--database-url URL]

Everything runs on this machine only, in a temporary folder, on SQLite by default (or on the
PostgreSQL server given, in schemas of its own that are dropped at the end):

- the command line: SIGKILL of `fitgap marks import` and of `fitgap load`;
- the web: `fitgap serve` on a free port of 127.0.0.1, town staff signed in over HTTP, mark
  changes posted as the browser does (CSRF token, htmx) from several threads, and the server's
  process group SIGKILLed in the middle of the burst, then of a marking sheet upload; after a
  restart, every acknowledged write must be there with its history and audit record;
- the disk (SQLite, root only; skipped with a note otherwise): a full tmpfs, and an ext4 image
  remounted read-only, then failing (errors=remount-ro) under a running server;
- a read-only PostgreSQL server (with --database-url): what a hot standby does to writes.

Each row is printed on stderr as it is found; the Markdown report (for docs/reliability.md) is
printed at the end. The exit status is 1 if any check failed.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import io
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import yaml
from sqlalchemy import create_engine, text

FITGAP = str(Path(sys.executable).parent / "fitgap")
HOST = "127.0.0.1"
TOWNS = 6
FUNCTIONS = 3_000
PASSWORD = "Drill-password-2026!"  # noqa: S105 - throwaway accounts on a throwaway database
WEB_TOWNS = 3
WEB_FUNCTIONS = 300
STAFF_PER_TOWN = 2
SERVER_KILLS = (0.3, 0.9, 1.8)  # seconds into the burst of web writes
SHEET_KILLS = (0.2, 0.45, 0.7, 0.9)  # shares of a measured sheet upload
MARK_STATUSES = ("fit", "workflow_change", "customization", "not_applicable")
READ_ONLY_WORDS = "読み取り専用"
BEFORE_FAILURE = "訓練 ディスク障害の直前"

Row = Callable[..., None]


def ok_mark(good: bool) -> str:
    return "✓" if good else "✗"


def write_project(
    folder: Path, *, edition: int = 1, functions: int = FUNCTIONS, towns: int = TOWNS
) -> None:
    """A catalog of one area, `towns` towns and a marks file per town."""
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
    for t in range(towns):
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
            "FITGAP_EXPORTS_DIR": str(folder / "exports"),
            "FITGAP_DATABASE_URL": url,
            "FITGAP_SECRET_KEY": "drill",
            "FITGAP_LANG": "ja",
            "FITGAP_PASSWORD_FORCE_INITIAL_CHANGE": "0",  # throwaway accounts of a drill
            # On PostgreSQL, the drill's own connections are told apart by this name.
            "PGAPPNAME": f"fitgap-drill-{uuid.uuid4().hex[:8]}",
        }

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [FITGAP, *args],
            cwd=self.folder,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
        )

    def must(self, *args: str, stdin: str | None = None) -> None:
        done = self.run(*args, stdin=stdin)
        if done.returncode != 0:
            raise RuntimeError(f"fitgap {' '.join(args)} failed: {done.stderr}")

    def marks_files(self) -> list[str]:
        return sorted(str(p) for p in (self.folder / "marks").iterdir())

    def add_staff(self, *accounts: tuple[str, str]) -> None:
        """`fitgap user add` of staff accounts (login, town), as many at a time as cores."""
        pending = list(accounts)
        batch_size = os.cpu_count() or 2
        while pending:
            batch, pending = pending[:batch_size], pending[batch_size:]
            processes = []
            for login, town in batch:
                command = [FITGAP, "user", "add", login, "--name", f"職員 {login}"]
                command += ["--role", "staff", "--town", town, "--all-areas", "--password-stdin"]
                processes.append(
                    subprocess.Popen(
                        command,
                        cwd=self.folder,
                        env=self.env,
                        stdin=subprocess.PIPE,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.PIPE,
                        text=True,
                    )
                )
            for process in processes:
                _, errors = process.communicate(PASSWORD + "\n")
                if process.returncode != 0:
                    raise RuntimeError(f"fitgap user add failed: {errors}")

    def killed_after(self, delay: float, *args: str, once_writing: bool = False) -> str:
        """Start `fitgap ARGS` and SIGKILL it `delay` seconds later, or `delay` seconds after its
        write transaction began (`once_writing`); its exit status, and whether it was inside a
        write transaction when killed."""
        process = subprocess.Popen(
            [FITGAP, *args],
            cwd=self.folder,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if once_writing:
            deadline = time.monotonic() + 120
            while process.poll() is None and time.monotonic() < deadline and not writing(self):
                time.sleep(0.01)
        time.sleep(delay)
        in_write = process.poll() is None and writing(self)
        process.send_signal(signal.SIGKILL)
        return f"exit {process.wait()}{' in a write' if in_write else ''}"

    def scalar(self, sql: str, **params: Any) -> Any:
        engine = create_engine(self.url)
        try:
            with engine.connect() as connection:
                return connection.execute(text(sql), params).scalar()
        finally:
            engine.dispose()


def writing(project: Project) -> bool:
    """Whether a write transaction of the project's processes is open right now. SQLite: the
    write lock is taken (a BEGIN IMMEDIATE that does not wait fails); PostgreSQL: a connection
    of the drill's processes holds a transaction id (it has written)."""
    if project.url.startswith("sqlite"):
        path = project.url.removeprefix("sqlite:///")
        with closing(sqlite3.connect(path, timeout=0, isolation_level=None)) as connection:
            try:
                connection.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError:
                return True
            connection.execute("ROLLBACK")
            return False
    return bool(
        project.scalar(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE application_name = :name AND backend_xid IS NOT NULL",
            name=project.env["PGAPPNAME"],
        )
    )


class Databases:
    """Empty databases for the drills: SQLite files in the run's folder, or PostgreSQL schemas
    (search_path in the URL, as tests/conftest.py does) that `drop` removes again."""

    def __init__(self, folder: Path, server_url: str | None) -> None:
        self.folder = folder
        self.server_url = server_url
        self.schemas: list[str] = []

    @property
    def name(self) -> str:
        return "PostgreSQL" if self.server_url else "SQLite"

    def new(self, name: str) -> str:
        if not self.server_url:
            return f"sqlite:///{self.folder / f'{name}.sqlite3'}"
        schema = f"drill_{name}_{uuid.uuid4().hex[:8]}"
        engine = create_engine(self.server_url)
        try:
            with engine.begin() as connection:
                connection.execute(text(f"CREATE SCHEMA {schema}"))
        finally:
            engine.dispose()
        self.schemas.append(schema)
        separator = "&" if "?" in self.server_url else "?"
        return f"{self.server_url}{separator}options=-csearch_path%3D{schema}"

    def drop(self) -> None:
        if not self.server_url or not self.schemas:
            return
        engine = create_engine(self.server_url)
        try:
            with engine.begin() as connection:
                for schema in self.schemas:
                    connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        finally:
            engine.dispose()


def integrity(url: str) -> str:
    if not url.startswith("sqlite"):
        return "ok"
    path = url.removeprefix("sqlite:///")
    with closing(sqlite3.connect(path)) as connection:
        return str(connection.execute("PRAGMA integrity_check").fetchone()[0])


def first_line(done: subprocess.CompletedProcess[str]) -> str:
    return (done.stdout.strip().splitlines() or [""])[0][:70]


def last_line(output: str) -> str:
    return (output.strip().splitlines() or [""])[-1]


# --- the command line killed in the middle ----------------------------------------------------


# When to kill a command: (row label, delay, counted from the start of its write transaction?).
# 0.5 and 1.0 s after the start it still reads its files; the others land inside the write.
Moment = tuple[str, float, bool]
KILLS: list[Moment] = [
    *((f"after {delay} s", delay, False) for delay in (0.5, 1.0)),
    *((f"{delay} s into its write", delay, True) for delay in (0.0, 0.15, 0.3)),
]


def drill_kill_marks_import(project: Project, row: Row) -> bool:
    """SIGKILL `fitgap marks import` at several moments: all marks or none, never some."""
    project.must("load")
    files = project.marks_files()
    total = TOWNS * FUNCTIONS
    ok = True
    command = ["marks", "import", *files]
    for label, delay, once_writing in KILLS:
        killed = project.killed_after(delay, *command, once_writing=once_writing)
        marks = int(project.scalar("SELECT count(*) FROM mark"))
        history = int(project.scalar("SELECT count(*) FROM mark_change"))
        check = integrity(project.url)
        good = marks in (0, total) and history == marks and check == "ok"
        ok &= good
        row(
            f"kill `marks import` {label}",
            killed,
            f"marks {marks:,} / history {history:,}",
            f"integrity {check}",
            good,
        )
        if marks == total:
            break
    final = project.run("marks", "import", *files)
    marks = int(project.scalar("SELECT count(*) FROM mark"))
    good = final.returncode == 0 and marks == total
    ok &= good
    verify = project.run("audit", "verify")
    chain_ok = verify.returncode == 0
    ok &= chain_ok
    row(
        "`audit verify` after the kills",
        f"exit {verify.returncode}",
        first_line(verify),
        "",
        chain_ok,
    )
    row("import again", f"exit {final.returncode}", f"marks {marks:,}", "", good)
    return ok


def drill_kill_catalog_load(project: Project, row: Row) -> bool:
    """SIGKILL `fitgap load` of a new edition: the old edition or the new one, never a mix."""
    write_project(project.folder, edition=2)
    ok = True
    for label, delay, once_writing in KILLS:
        killed = project.killed_after(delay, "load", once_writing=once_writing)
        editions = project.scalar("SELECT count(DISTINCT substr(text, 1, 4)) FROM catalog_function")
        which = project.scalar("SELECT min(substr(text, 1, 3)) FROM catalog_function")
        check = integrity(project.url)
        good = editions == 1 and check == "ok"
        ok &= good
        row(
            f"kill `load` of edition 2 {label}",
            killed,
            f"editions in the table: {editions} ({which})",
            f"integrity {check}",
            good,
        )
    final = project.run("load")
    second = project.scalar("SELECT count(*) FROM catalog_function WHERE text LIKE '第2版%'")
    good = final.returncode == 0 and second == FUNCTIONS
    ok &= good
    row("load again", f"exit {final.returncode}", f"edition 2 rows {second}", "", good)
    return ok


# --- the web server -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


class Client:
    """One browser: a keep-alive connection, its session cookie and its CSRF token."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection: http.client.HTTPConnection | None = None
        self.cookie = ""
        self.token = ""

    def fetch(
        self, method: str, path: str, body: dict[str, str] | None = None, *, htmx: bool = False
    ) -> tuple[int, bytes]:
        """(HTTP status, body); OSError or HTTPException when the server is gone."""
        if self.connection is None:
            self.connection = http.client.HTTPConnection(HOST, self.port, timeout=20)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if htmx:
            headers["HX-Request"] = "true"
            headers["X-CSRFToken"] = self.token
        try:
            self.connection.request(method, path, body=data, headers=headers)
            response = self.connection.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = None
            raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                self.cookie = value.split(";", 1)[0]
        return response.status, content

    def request(
        self, method: str, path: str, body: dict[str, str] | None = None, *, htmx: bool = False
    ) -> tuple[int, str]:
        """(HTTP status, page), keeping the page's CSRF token."""
        status, content = self.fetch(method, path, body, htmx=htmx)
        page = content.decode("utf-8", "replace")
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        if found:
            self.token = found.group(1)
        return status, page

    def sign_in(self, login: str) -> int:
        """Sign in through the form, as a browser does; the answer's HTTP status."""
        self.request("GET", "/login")
        status, _ = self.request(
            "POST", "/login", {"login": login, "password": PASSWORD, "csrf_token": self.token}
        )
        if status in (302, 303):
            self.request("GET", "/")  # a page with the session's CSRF token for htmx requests
        return status

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


class Server:
    """`fitgap serve` on a loopback port, in a process group of its own (a SIGKILL goes to the
    group, as a crash or the OOM killer would take everything); its output goes to a log
    file."""

    def __init__(self, project: Project, log_name: str = "serve.log") -> None:
        self.project = project
        self.port = free_port()
        self.log = project.folder / log_name
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, wait: float = 30.0) -> bool:
        """Start it; whether it listens (False: it exited, or never listened in time)."""
        self.stop()
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [FITGAP, "serve", "--host", HOST, "--port", str(self.port), "--threads", "8"],
                cwd=self.project.folder,
                env=self.project.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                with socket.create_connection((HOST, self.port), timeout=0.2):
                    return self.process.poll() is None  # ours, not another program's
            except OSError:
                time.sleep(0.05)
        return False

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> int:
        """SIGKILL the whole process group; the server's exit status."""
        assert self.process is not None  # noqa: S101 - started before
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        return self.process.wait()

    def stop(self) -> None:
        """End it (SIGTERM, then SIGKILL after 10 s) if it runs."""
        if self.process is None:
            return
        if self.process.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""


@contextmanager
def serving(project: Project, log_name: str = "serve.log") -> Iterator[Server]:
    """A server that is stopped at the end, whatever happens."""
    server = Server(project, log_name)
    try:
        yield server
    finally:
        server.stop()


@dataclass(frozen=True)
class Write:
    """One mark change posted from the grid: the version it creates and the state it saves."""

    town: str
    function: str
    version: int
    status: str
    note: str

    @property
    def state(self) -> tuple[int, str, str | None]:
        return (self.version, self.status, self.note)


@dataclass
class Writer:
    """A signed-in town staff user writing their own town's marks on some functions."""

    login: str
    town: str
    functions: list[str]
    client: Client
    acked: list[Write] = field(default_factory=list)
    unanswered: Write | None = None
    unexpected: Counter[int] = field(default_factory=Counter)


def acknowledges(page: str, write: Write) -> bool:
    """Whether an answer is the saved row: the new version and the new status pressed."""
    version = re.search(r'name="version" value="(\d+)"', page)
    pressed = re.findall(r'value="([a-z_]+)"[^>]*aria-pressed="true"', page)
    return (
        version is not None and int(version.group(1)) == write.version and pressed == [write.status]
    )


def write_burst(
    writer: Writer,
    known: dict[tuple[str, str], tuple[int, str, str | None]],
    label: str,
    stop: threading.Event,
) -> None:
    """Change marks one after another until stopped or the server is gone."""
    rng = random.Random(f"{writer.login}-{label}")
    count = 0
    while not stop.is_set():
        function = rng.choice(writer.functions)
        version, status, _ = known[(writer.town, function)]
        count += 1
        write = Write(
            writer.town,
            function,
            version + 1,
            rng.choice([s for s in MARK_STATUSES if s != status]),
            f"訓練 {label} {writer.login} {count}",
        )
        body = {
            "status": write.status,
            "version": str(version),
            "note": write.note,
            "csrf_token": writer.client.token,
        }
        writer.unanswered = write
        try:
            code, page = writer.client.request(
                "POST", f"/functions/{function}/marks/{writer.town}", body, htmx=True
            )
        except (OSError, http.client.HTTPException):
            return  # killed: this write stays unanswered
        writer.unanswered = None
        if code == 200 and acknowledges(page, write):
            writer.acked.append(write)
            known[(writer.town, function)] = write.state
        else:
            writer.unexpected[code] += 1
            return


@dataclass
class Stored:
    """What the database holds of marks: the current marks, the history, the audit records."""

    marks: dict[tuple[str, str], tuple[int, str, str | None]]
    history: dict[tuple[str, str, int], tuple[str, str | None, str]]
    audited: Counter[tuple[str, int]]

    @classmethod
    def read(cls, url: str) -> Stored:
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                marks = {
                    (t, f): (v, s, n)
                    for t, f, v, s, n in connection.execute(
                        text("SELECT town_id, function_id, version, status, note FROM mark")
                    )
                }
                history = {
                    (t, f, v): (s, n, source)
                    for t, f, v, s, n, source in connection.execute(
                        text(
                            "SELECT town_id, function_id, version, status, note, source "
                            "FROM mark_change"
                        )
                    )
                }
                audited: Counter[tuple[str, int]] = Counter()
                for target, details in connection.execute(
                    text("SELECT target, details FROM audit_record WHERE action = 'mark.changed'")
                ):
                    values = json.loads(details) if isinstance(details, str) else details
                    audited[(str(target), int(values["version"]))] += 1
        finally:
            engine.dispose()
        return cls(marks, history, audited)

    def torn(self) -> int:
        """Marks that differ from their last history entry (a half-written change)."""
        last: dict[tuple[str, str], int] = {}
        for town, function, version in self.history:
            last[(town, function)] = max(version, last.get((town, function), 0))
        count = 0
        for pair, (version, status, note) in self.marks.items():
            entry = self.history.get((*pair, last.get(pair, -1)))
            if entry is None or (last[pair], entry[0], entry[1]) != (version, status, note):
                count += 1
        return count + len(set(last) - set(self.marks))

    def unaudited(self) -> int:
        """Web changes without exactly one audit record, and audit records without a change."""
        web = Counter(
            (f"{t}/{f}", v) for (t, f, v), entry in self.history.items() if entry[2] == "web"
        )
        return sum((web - self.audited).values()) + sum((self.audited - web).values())

    def kept(self, write: Write) -> bool:
        entry = self.history.get((write.town, write.function, write.version))
        return entry is not None and entry[:2] == (write.status, write.note)


def check_writes(
    stored: Stored,
    writers: list[Writer],
    before: dict[tuple[str, str], tuple[int, str, str | None]],
) -> tuple[int, int, int, int, int]:
    """(acknowledged, lost, unanswered, of them saved, marks in a state nobody wrote)."""
    acked = [w for writer in writers for w in writer.acked]
    lost = sum(not stored.kept(w) for w in acked)
    expected = dict(before)
    for w in acked:
        expected[(w.town, w.function)] = w.state
    unanswered = [writer.unanswered for writer in writers if writer.unanswered is not None]
    allowed = {pair: {state} for pair, state in expected.items()}
    for w in unanswered:
        allowed[(w.town, w.function)].add(w.state)
    wrong = sum(stored.marks.get(pair) not in states for pair, states in allowed.items())
    saved = sum(stored.kept(w) for w in unanswered)
    return len(acked), lost, len(unanswered), saved, wrong


def web_project(databases: Databases, name: str, root: Path) -> Project:
    """A sample-like project: one area of WEB_FUNCTIONS functions, WEB_TOWNS towns with a mark
    on every function, and STAFF_PER_TOWN staff accounts per town."""
    folder = root / name
    write_project(folder, functions=WEB_FUNCTIONS, towns=WEB_TOWNS)
    project = Project(folder, databases.new(name))
    project.must("load")
    project.must("marks", "import", *project.marks_files())
    project.add_staff(
        *[(f"staff{t}{k}", f"town-{t}") for t in range(WEB_TOWNS) for k in range(STAFF_PER_TOWN)]
    )
    return project


def function_ids(functions: int = WEB_FUNCTIONS) -> list[str]:
    return [f"05{n:05d}" for n in range(functions)]


def drill_kill_server_under_writes(project: Project, row: Row) -> bool:
    """SIGKILL `fitgap serve` during a burst of web mark changes, restart it, and check that
    every acknowledged write is there (with its history and audit record) and nothing is torn."""
    ok = True
    with serving(project) as server:
        if not server.start():
            row("`serve` for the web drill", "did not start", last_line(server.output()), "", False)
            return False
        writers = []
        for t in range(WEB_TOWNS):
            for k in range(STAFF_PER_TOWN):
                client = Client(server.port)
                status = client.sign_in(f"staff{t}{k}")
                if status != 303:
                    row("sign in over HTTP", f"HTTP {status}", f"staff{t}{k}", "", False)
                    return False
                mine = [f for n, f in enumerate(function_ids()) if n % STAFF_PER_TOWN == k]
                writers.append(Writer(f"staff{t}{k}", f"town-{t}", mine, client))
        # Staff may change only their own town's marks.
        other = writers[0]
        status, _ = other.client.request(
            "POST",
            f"/functions/{other.functions[0]}/marks/town-1",
            {"status": "fit", "version": "1", "csrf_token": other.client.token},
            htmx=True,
        )
        good = status == 403
        ok &= good
        row(
            f"{len(writers)} town staff sign in over HTTP",
            "`serve` on 127.0.0.1",
            f"a change of another town's mark: HTTP {status}",
            "refused",
            good,
        )
        for round_number, moment in enumerate(SERVER_KILLS, start=1):
            before = Stored.read(project.url).marks
            known = dict(before)
            for writer in writers:
                writer.acked, writer.unanswered, writer.unexpected = [], None, Counter()
            stop = threading.Event()
            threads = [
                threading.Thread(target=write_burst, args=(w, known, f"r{round_number}", stop))
                for w in writers
            ]
            for thread in threads:
                thread.start()
            time.sleep(moment)
            in_write = writing(project)
            code = server.kill()
            stop.set()
            for thread in threads:
                thread.join()
            restarted = server.start()
            for writer in writers:
                writer.client.close()  # a fresh connection to the new process
            serves = restarted and all(
                w.client.request("GET", "/areas/drill")[0] == 200 for w in writers[:2]
            )
            stored = Stored.read(project.url)
            acked, lost, unanswered, saved, wrong = check_writes(stored, writers, before)
            torn, unaudited = stored.torn(), stored.unaudited()
            check = integrity(project.url)
            verify = project.run("audit", "verify")
            unexpected = sum((w.unexpected for w in writers), Counter())
            good = (
                serves
                and acked > 0
                and lost == wrong == torn == unaudited == 0
                and not unexpected
                and check == "ok"
                and verify.returncode == 0
            )
            ok &= good
            others = f"; other answers {dict(unexpected)}" if unexpected else ""
            row(
                f"kill -9 `serve` {moment} s into a burst of mark changes",
                f"exit {code}{' in a write' if in_write else ''}; restarted: "
                f"{'serves' if serves else 'NOT serving'}",
                f"{acked} acknowledged, {acked - lost} kept; {unanswered} unanswered: {saved} "
                f"saved, {unanswered - saved} not{others}",
                f"integrity {check}; torn {torn}, unaudited {unaudited}, stray {wrong}; "
                f"`audit verify` exit {verify.returncode}",
                good,
            )
            if not restarted:
                break
        for writer in writers:
            writer.client.close()
    return ok


# --- the web's bulk write: a marking sheet upload killed in the middle --------------------------


def filled_sheet(client: Client, town: str, note: str) -> bytes | None:
    """The town's marking sheet downloaded over HTTP, with `note` written on every row."""
    from openpyxl import load_workbook

    status, data = client.fetch("GET", f"/areas/drill/towns/{town}/sheet.xlsx")
    if status != 200:
        return None
    book = load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    note_column, header_row = 9, 7  # fitgap-marking-sheet/1: 理由・運用メモ, the header row
    for number in range(header_row + 1, sheet.max_row + 1):
        if sheet.cell(number, 1).value:
            sheet.cell(number, note_column).value = note
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def drill_kill_server_during_sheet_upload(project: Project, row: Row) -> bool:
    """The web has no catalog load; its bulk write is a marking sheet upload (every function of
    an area for one town, one transaction). SIGKILL the server while it applies one."""
    ok = True
    with serving(project, "serve-sheet.log") as server:
        if not server.start():
            row("`serve` for the sheet drill", "did not start", "", "", False)
            return False
        clients = {}
        for town in ("town-0", "town-2"):
            clients[town] = Client(server.port)
            clients[town].sign_in(f"staff{town[-1]}0")
        # Full uploads on another town, timed, tell when to kill (the quicker of two).
        timings = []
        for attempt in range(2):
            data = filled_sheet(clients["town-2"], "town-2", f"訓練 シート 計測 {attempt}")
            if data is None:
                row("marking sheet download", "failed", "", "", False)
                return False
            body = {
                "data": base64.b64encode(data).decode("ascii"),
                "filename": "sheet.xlsx",
                "csrf_token": clients["town-2"].token,
            }
            start = time.perf_counter()
            status, _ = clients["town-2"].request(
                "POST", "/areas/drill/towns/town-2/sheet/apply", body
            )
            timings.append(time.perf_counter() - start)
            if status != 200:
                row("marking sheet upload", f"HTTP {status}", "", "", False)
                return False
        full = min(timings)
        client = clients["town-0"]
        for share in SHEET_KILLS:
            note = f"訓練 シート {share}"
            data = filled_sheet(client, "town-0", note)
            if data is None:
                ok = False
                break
            body = {
                "data": base64.b64encode(data).decode("ascii"),
                "filename": "sheet.xlsx",
                "csrf_token": client.token,
            }
            answer: list[int] = []

            def upload(body: dict[str, str] = body, answer: list[int] = answer) -> None:
                with suppress(OSError, http.client.HTTPException):
                    answer.append(
                        client.request("POST", "/areas/drill/towns/town-0/sheet/apply", body)[0]
                    )

            thread = threading.Thread(target=upload)
            thread.start()
            delay = round(full * share, 2)
            time.sleep(delay)
            in_write = writing(project)
            code = server.kill()
            thread.join()
            restarted = server.start()
            client.close()
            notes = project.scalar(
                "SELECT count(*) FROM mark WHERE town_id = 'town-0' AND note = :note", note=note
            )
            history = project.scalar(
                "SELECT count(*) FROM mark_change WHERE town_id = 'town-0' AND note = :note",
                note=note,
            )
            stored = Stored.read(project.url)
            check = integrity(project.url)
            all_or_none = notes in (0, WEB_FUNCTIONS) and history == notes
            acked_kept = not answer or answer[0] != 200 or notes == WEB_FUNCTIONS
            good = restarted and all_or_none and acked_kept and stored.torn() == 0 and check == "ok"
            ok &= good
            reply = f"HTTP {answer[0]}" if answer else "unanswered"
            row(
                f"kill -9 `serve` {delay} s into a marking sheet upload ({WEB_FUNCTIONS} marks)",
                f"exit {code}{' in a write' if in_write else ''}; upload {reply}; restarted",
                f"marks with the sheet's note {notes} / history {history}",
                f"integrity {check}",
                good,
            )
            if not restarted:
                ok = False
                break
        verify = project.run("audit", "verify")
        good = verify.returncode == 0
        ok &= good
        row(
            "`audit verify` after the sheet kills",
            f"exit {verify.returncode}",
            first_line(verify),
            "",
            good,
        )
        for c in clients.values():
            c.close()
    return ok


# --- disks --------------------------------------------------------------------------------------


def drill_full_disk(root: Path, row: Row) -> bool:
    """A database on a full disk: a clear message and exit status 1, and the data still there."""
    if os.geteuid() != 0:
        row("full disk", "skipped: needs root to mount a tmpfs", "", "", True)
        return True
    mount = Path(tempfile.mkdtemp(prefix="fitgap-tinyfs-"))
    if subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], check=False
    ).returncode:
        row("full disk", "skipped: tmpfs could not be mounted", "", "", True)
        return True
    try:
        folder = root / "full-disk"
        write_project(folder, functions=200)
        project = Project(folder, f"sqlite:///{mount / 'fitgap.sqlite3'}")
        first = project.run("load")
        write_project(folder, functions=20_000)  # far more than 2 MB of database
        second = project.run("load")
        kept = project.scalar("SELECT count(*) FROM catalog_function")
        good = (
            first.returncode == 0
            and second.returncode == 1
            and "Traceback" not in second.stderr
            and kept == 200
        )
        row(
            "`load` onto a full disk",
            f"exit {second.returncode}",
            last_line(second.stderr)[:80],
            f"rows kept {kept}",
            good,
        )
        return good
    finally:
        subprocess.run(["umount", str(mount)], check=False)
        shutil.rmtree(mount, ignore_errors=True)


class LoopDisk:
    """A small ext4 file system in an image file, loop-mounted with errors=remount-ro (what a
    server's data disk usually has): `remount` is what an administrator does, `fail` what the
    kernel does on a disk error (ext4's trigger_fs_error)."""

    def __init__(self, size_mb: int = 64) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="fitgap-rodisk-"))
        self.image = self.folder / "disk.img"
        self.path = self.folder / "mnt"
        self.path.mkdir()
        self.size_mb = size_mb
        self.mounted = False

    def mount(self) -> bool:
        if not self.image.exists():
            with self.image.open("wb") as image:
                image.truncate(self.size_mb * 1024 * 1024)
            made = subprocess.run(
                ["mkfs.ext4", "-q", "-F", str(self.image)], capture_output=True, check=False
            )
            if made.returncode:
                return False
        done = subprocess.run(
            ["mount", "-o", "loop,errors=remount-ro", str(self.image), str(self.path)],
            capture_output=True,
            check=False,
        )
        self.mounted = done.returncode == 0
        return self.mounted

    def remount(self, mode: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["mount", "-o", f"remount,{mode}", str(self.path)],
            capture_output=True,
            text=True,
            check=False,
        )

    def writable(self) -> bool:
        try:
            probe = self.path / ".probe"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError:
            return False
        return True

    def fail(self) -> bool:
        """The kernel's remount read-only after a disk error; whether the disk is read-only."""
        device = subprocess.run(
            ["findmnt", "-n", "-o", "SOURCE", str(self.path)],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        trigger = Path("/sys/fs/ext4") / Path(device).name / "trigger_fs_error"
        if not device or not trigger.exists():
            return False
        trigger.write_text("fitgap read-only drill\n")
        return not self.writable()

    def repair(self) -> int:
        """Unmount, check the file system (e2fsck -fy) and mount it again; e2fsck's status."""
        self.unmount()
        fsck = subprocess.run(
            ["e2fsck", "-fy", str(self.image)], capture_output=True, check=False
        ).returncode
        self.mount()
        return fsck

    def unmount(self) -> None:
        """Unmount, retrying while the last processes let go; lazily as a last resort."""
        if not self.mounted:
            return
        for _attempt in range(20):
            done = subprocess.run(["umount", str(self.path)], capture_output=True, text=True)
            if done.returncode == 0:
                break
            time.sleep(0.25)
        else:
            subprocess.run(["umount", "-l", str(self.path)], capture_output=True, check=False)
        self.mounted = False

    def cleanup(self) -> None:
        self.unmount()
        shutil.rmtree(self.folder, ignore_errors=True)


def counts(project: Project) -> tuple[int, int, int]:
    return (
        int(project.scalar("SELECT count(*) FROM catalog_function")),
        int(project.scalar("SELECT count(*) FROM mark")),
        int(project.scalar("SELECT count(*) FROM mark_change")),
    )


def outcome(done: subprocess.CompletedProcess[str]) -> str:
    """What a command said: its message when it failed, else that it printed its report."""
    return last_line(done.stderr)[:100] if done.returncode else "printed the report"


def clear_failure(done: subprocess.CompletedProcess[str]) -> bool:
    """Exit status 1 with the read-only explanation and no traceback."""
    output = done.stdout + done.stderr
    return done.returncode == 1 and READ_ONLY_WORDS in output and "Traceback" not in output


def start_on_read_only(project: Project, row: Row, what: str, log: str) -> bool:
    """`fitgap serve` on a read-only disk: it serves the pages read-only (a sign-in, which
    writes, gets 503 with the explanation) or exits once with a clear message."""
    with serving(project, log) as server:
        listening = server.start(wait=20)
        if listening:
            client = Client(server.port)
            page, _ = client.request("GET", "/login")
            health, _ = client.request("GET", "/health")
            status, answer = client.request(
                "POST",
                "/login",
                {"login": "staff00", "password": PASSWORD, "csrf_token": client.token},
            )
            client.close()
            good = page == health == 200 and status == 503 and READ_ONLY_WORDS in answer
            row(
                what,
                "serves read-only",
                f"sign-in page {page}, /health {health}; signing in (a write): HTTP {status}",
                "clear 503" if good else "unclear",
                good,
            )
            return good
        assert server.process is not None  # noqa: S101 - started above
        code = server.process.returncode
        output = server.output()
        good = code == 1 and READ_ONLY_WORDS in output and "Traceback" not in output
        row(what, f"exit {code}, at once", last_line(output)[:100], "no traceback", good)
        return good


def read_only_commands(project: Project, disk: LoopDisk, row: Row) -> bool:
    """(a) and (c): the administrator remounts the disk read-only while nothing has the database
    open; the commands that write, a command that only reads and `serve` are run on it."""
    remounted = disk.remount("ro")
    ok = remounted.returncode == 0 and not disk.writable()
    row("`mount -o remount,ro` the database's disk", f"exit {remounted.returncode}", "", "", ok)
    write_project(project.folder, edition=2, functions=WEB_FUNCTIONS, towns=WEB_TOWNS)
    for name, args in (
        ("load", ("load",)),
        ("marks import", ("marks", "import", *project.marks_files())),
        (
            "user add",
            ("user", "add", "late", "--name", "x", "--role", "observer", "--password-stdin"),
        ),
        ("score", ("score",)),
    ):
        done = project.run(*args, stdin=PASSWORD + "\n")
        good = clear_failure(done) or (name == "score" and done.returncode == 0)
        ok &= good
        row(
            f"`{name}` on the read-only disk{' (only reads)' if name == 'score' else ''}",
            f"exit {done.returncode}",
            outcome(done),
            "TRACEBACK" if "Traceback" in done.stderr else "no traceback",
            good,
        )
    ok &= start_on_read_only(project, row, "`serve` started on the read-only disk", "ro1.log")
    back = disk.remount("rw")
    write_project(project.folder, functions=WEB_FUNCTIONS, towns=WEB_TOWNS)
    return ok and back.returncode == 0


def disk_fails_under_server(project: Project, disk: LoopDisk, row: Row) -> tuple[bool, int]:
    """(b): the disk turns read-only under a running server, just after a write it acknowledged.
    The server must keep serving reads and answer writes with 503 and the explanation. Returns
    (ok, the version that write created)."""
    function = function_ids()[0]
    with serving(project, "ro-serve.log") as server:
        if not server.start():
            row("`serve` for the read-only drill", "did not start", "", "", False)
            return False, 0
        assert server.process is not None  # noqa: S101 - started above
        pid = server.process.pid
        client = Client(server.port)
        client.sign_in("staff00")
        version = int(
            project.scalar(
                "SELECT version FROM mark WHERE town_id = 'town-0' AND function_id = :function",
                function=function,
            )
        )
        last = Write("town-0", function, version + 1, "not_applicable", BEFORE_FAILURE)
        body = {"status": last.status, "version": str(version), "note": last.note}
        status, page = client.request(
            "POST",
            f"/functions/{function}/marks/town-0",
            {**body, "csrf_token": client.token},
            htmx=True,
        )
        acked = status == 200 and acknowledges(page, last)
        busy = disk.remount("ro")
        row(
            "`mount -o remount,ro` under the running server",
            f"exit {busy.returncode}",
            "refused: mount point is busy" if "busy" in busy.stderr else last_line(busy.stderr),
            "Linux does not remount a disk read-only while a file is open for writing",
            True,
        )
        failed = not disk.writable() or disk.fail()
        ok = failed and acked
        row(
            "the disk fails: ext4 remounts it read-only (errors=remount-ro)",
            f"read-only: {'yes' if failed else 'no'}",
            f"a mark change acknowledged just before: {'yes' if acked else 'no'}",
            "",
            ok,
        )
        reads = [
            client.request("GET", path)[0]
            for path in ("/areas/drill", f"/functions/{function}", "/health") * 2
        ]
        body = {"status": "fit", "version": str(version + 1), "note": "訓練 読み取り専用"}
        answers = []
        for htmx in (False, True, False):
            status, page = client.request(
                "POST",
                f"/functions/{function}/marks/town-0",
                {**body, "csrf_token": client.token},
                htmx=htmx,
            )
            answers.append((status, READ_ONLY_WORDS in page))
            if htmx:
                notice = re.sub(r"<[^>]+>", "", page).strip()
        second = Client(server.port)
        signing = second.sign_in("staff10")
        second.close()
        reads.append(client.request("GET", "/areas/drill")[0])
        client.close()
        alive = server.running and server.process.pid == pid
        starts = server.output().count("待ち受けています")
        explained = all(answer == (503, True) for answer in answers)
        good = set(reads) == {200} and explained and signing == 503 and alive and starts == 1
        ok &= good
        row(
            "the running server after its disk turned read-only",
            f"same process: {'yes' if alive else 'no'}, started {starts}×",
            f"{len(reads)} page reads: HTTP {', '.join(map(str, sorted(set(reads))))}; "
            f"{len(answers)} mark changes: HTTP {', '.join(str(s) for s, _ in answers)}; "
            f"a sign-in: HTTP {signing}",
            "503 with the explanation" if explained else "unclear",
            good,
        )
        row("the answer to a mark change", "HTTP 503", notice[:100], "", explained)
    return ok, version + 1


def drill_read_only_disk(root: Path, row: Row) -> bool:
    """A SQLite database on a disk that turns read-only: commands fail with a clear message, a
    running server keeps serving reads and answers writes with 503, nothing is lost."""
    if os.geteuid() != 0 or not shutil.which("mkfs.ext4"):
        row("read-only disk", "skipped: needs root and mkfs.ext4", "", "", True)
        return True
    disk = LoopDisk()
    try:
        if not disk.mount():
            row("read-only disk", "skipped: no loop device for an ext4 image", "", "", True)
            return True
        folder = root / "read-only"
        write_project(folder, functions=WEB_FUNCTIONS, towns=WEB_TOWNS)
        project = Project(folder, f"sqlite:///{disk.path / 'fitgap.sqlite3'}")
        project.must("load")
        project.must("marks", "import", *project.marks_files())
        project.add_staff(("staff00", "town-0"), ("staff10", "town-1"))
        before = counts(project)
        ok = read_only_commands(project, disk, row)
        failed_ok, version = disk_fails_under_server(project, disk, row)
        ok &= failed_ok
        # (c) again, now with the -wal and -shm files that the failed server left behind.
        ok &= start_on_read_only(
            project, row, "`serve` restarted on the failed (read-only) disk", "ro2.log"
        )
        fsck = disk.repair()
        check = integrity(project.url)
        after = counts(project)
        kept = project.scalar(
            "SELECT count(*) FROM mark_change WHERE note = :note AND version = :version",
            note=BEFORE_FAILURE,
            version=version,
        )
        verify = project.run("audit", "verify")
        good = (
            disk.mounted
            and check == "ok"
            and after == (before[0], before[1], before[2] + 1)
            and kept == 1
            and verify.returncode == 0
        )
        ok &= good
        row(
            "disk repaired (umount, e2fsck -fy, mount)",
            f"e2fsck exit {fsck}",
            f"functions {after[0]}, marks {after[1]}, history {after[2]} (+1: the write "
            f"acknowledged before the failure, {'kept' if kept else 'LOST'})",
            f"integrity {check}; `audit verify` exit {verify.returncode}",
            good,
        )
        return ok
    finally:
        disk.cleanup()


def drill_read_only_server(project: Project, row: Row) -> bool:
    """PostgreSQL's read-only disk: a server that refuses writes (a hot standby after a
    failover, or default_transaction_read_only). Commands that write exit 1 with the
    explanation, reads work, and `serve` keeps serving pages and answers writes with 503."""
    separator = "&" if "?" in project.url else "?"
    if "options=-c" in project.url:
        url = project.url.replace("options=-c", "options=-cdefault_transaction_read_only%3Don%20-c")
    else:
        url = f"{project.url}{separator}options=-cdefault_transaction_read_only%3Don"
    read_only = Project(project.folder, url)
    ok = True
    for name, args in (
        ("load", ("load",)),
        ("marks import", ("marks", "import", *project.marks_files())),
        ("score", ("score",)),
    ):
        done = read_only.run(*args)
        good = clear_failure(done) or (name == "score" and done.returncode == 0)
        ok &= good
        row(
            f"`{name}` on a read-only database server{' (only reads)' if name == 'score' else ''}",
            f"exit {done.returncode}",
            outcome(done),
            "TRACEBACK" if "Traceback" in done.stderr else "no traceback",
            good,
        )
    client = Client(0)
    with serving(project, "rw-serve.log") as server:
        server.start()
        client.port = server.port
        client.sign_in("staff00")
        client.close()
    function = function_ids()[0]
    with serving(read_only, "ro-serve.log") as server:
        if not server.start():
            row("`serve` on a read-only database server", "did not start", "", "", False)
            return False
        client.port = server.port
        reads = [client.request("GET", path)[0] for path in ("/areas/drill", "/health")]
        status, page = client.request(
            "POST",
            f"/functions/{function}/marks/town-0",
            {"status": "fit", "version": "1", "csrf_token": client.token},
            htmx=True,
        )
        client.close()
        alive = server.running
        explained = status == 503 and READ_ONLY_WORDS in page
        good = set(reads) == {200} and explained and alive
        ok &= good
        row(
            "`serve` on a read-only database server",
            f"running: {'yes' if alive else 'no'}",
            f"page reads: HTTP {', '.join(map(str, reads))}; a mark change: HTTP {status}: "
            f"{re.sub(r'<[^>]+>', '', page).strip()[:100]}",
            "503 with the explanation" if explained else "unclear",
            good,
        )
    return ok


# --- the report ---------------------------------------------------------------------------------


def main() -> None:
    """Run the drills and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL URL (default: SQLite in a temp folder)")
    args = parser.parse_args()
    started = time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix="fitgap-faults-"))
    databases = Databases(folder, args.database_url)
    rows: list[str] = []

    def row(drill: str, process: str, found: str, check: str, good: bool) -> None:
        line = f"| {drill} | {process} | {found} | {check} | {ok_mark(good)} |"
        rows.append(line)
        print(line, file=sys.stderr, flush=True)

    results: list[bool] = []
    try:
        write_project(folder)
        project = Project(folder, databases.new("cli"))

        def web_drills() -> bool:
            web = web_project(databases, "web", folder)
            outcomes = [
                drill_kill_server_under_writes(web, row),
                drill_kill_server_during_sheet_upload(web, row),
            ]
            if args.database_url:
                outcomes.append(drill_read_only_server(web, row))
            return all(outcomes)

        drills: list[Callable[[], bool]] = [
            lambda: drill_kill_marks_import(project, row),
            lambda: drill_kill_catalog_load(project, row),
            web_drills,
        ]
        if not args.database_url:
            drills.append(lambda: drill_full_disk(folder, row))
            drills.append(lambda: drill_read_only_disk(folder, row))
        for drill in drills:
            try:
                results.append(drill())
            except Exception as error:  # a drill that breaks is a failed drill, not the end
                row("a drill stopped", type(error).__name__, str(error)[:200], "", False)
                results.append(False)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        databases.drop()
    elapsed = time.perf_counter() - started
    print(
        "\n".join(
            [
                f"### Fault drills ({time.strftime('%Y-%m-%d')}, {databases.name}, "
                f"Python {platform.python_version()}, {os.cpu_count()} cores)",
                "",
                f"Command line: {TOWNS} towns × {FUNCTIONS:,} functions = "
                f"{TOWNS * FUNCTIONS:,} marks per import. Web: `fitgap serve` with "
                f"{WEB_TOWNS} towns × {WEB_FUNCTIONS} functions, {WEB_TOWNS * STAFF_PER_TOWN} "
                f"staff signed in. The whole run took {elapsed:.0f} s.",
                "",
                "| drill | process | found | check | ok |",
                "|---|---|---|---|---|",
                *rows,
            ]
        )
    )
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
