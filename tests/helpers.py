"""Helpers the tests share: databases, accounts, signing in as a browser does, the problems a
reader reports, and `fitgap serve` in processes of its own.

Fixtures stay in conftest.py; everything a test imports by name lives here (or, for building
files and rows, in tests/factories.py; for sample data, in tests/samples.py; for one part of
the app, in tests/workspace.py, tests/sheets.py or tests/meetings.py), never in another test
module.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from fitgap.domain.files.yamlfile import InvalidInput
from fitgap.store.db import Database

REPO = Path(__file__).resolve().parent.parent
FAST_HASH = "pbkdf2:sha256:1"
PASSWORD = "Test-Password-2026"
SERVER_URL = os.environ.get("FITGAP_DATABASE_URL", "")
ON_POSTGRES = SERVER_URL.startswith("postgresql")

Invoke = Callable[..., Result]  # the `fitgap` fixture: runs the command, returns click's Result


@contextmanager
def empty_database(folder: Path) -> Iterator[str]:
    """A URL of an empty database: a SQLite file in `folder`, or on PostgreSQL a schema of
    its own, dropped at the end."""
    if not ON_POSTGRES:
        yield f"sqlite:///{folder / 'test.sqlite3'}"
        return
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(SERVER_URL)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in SERVER_URL else "?"
    try:
        yield f"{SERVER_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def problems_of(call: Callable[[], object]) -> list[str]:
    """The problems the InvalidInput raised by `call` carries, as 'file:line: message' strings."""
    with pytest.raises(InvalidInput) as raised:
        call()
    return [str(p) for p in raised.value.problems]


def write(folder: Path, name: str, content: str) -> Path:
    """Write a (dedented) text file and return its path."""
    path = folder / name
    path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return path


# --- accounts ------------------------------------------------------------------------------------


def make_account(
    db: Database,
    login: str,
    role: str = "staff",
    *,
    town: str | None = None,
    areas: tuple[str, ...] | None = None,
    password: str = PASSWORD,
    must_change: bool = False,
    name: str | None = None,
) -> int:
    """Create an account (staff: `town`, every area unless `areas` lists some); returns its id."""
    from fitgap.services.passwords import hash_password
    from fitgap.store import accounts as account_queries

    with db.write() as session:
        account = account_queries.create_account(
            session=session,
            data=account_queries.AccountInput(
                login=login,
                display_name=name or f"{login} さん",
                role=role,
                town_id=town,
                all_areas=role == "staff" and areas is None,
                area_ids=areas or (),
            ),
            password_hash=hash_password(password, FAST_HASH),
            must_change_password=must_change,
        )
        assert account.id is not None
        return account.id


def login(client: FlaskClient, login_id: str, password: str = PASSWORD) -> Any:
    """Sign in through the sign-in form, as a browser does; returns the answer."""
    token = csrf_token(client, "/login")
    return client.post(
        "/login", data={"login": login_id, "password": password, "csrf_token": token}
    )


def sign_in(
    client: FlaskClient,
    db: Database,
    login_id: str,
    role: str = "staff",
    *,
    town: str | None = None,
    areas: tuple[str, ...] | None = None,
    name: str | None = None,
) -> int:
    """Create the account (unless it exists) and sign the client in with it."""
    from fitgap.store import accounts as account_queries

    with db.session() as session:
        existing = account_queries.get_by_login(session=session, login=login_id)
    account_id = (
        existing.id
        if existing is not None and existing.id is not None
        else make_account(db, login_id, role, town=town, areas=areas, name=name)
    )
    response = login(client, login_id)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return account_id


def csrf_token(client: FlaskClient, url: str = "/") -> str:
    """The session's CSRF token, read from a page as a browser does."""
    page = client.get(url, follow_redirects=True).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None, page[:500]
    return found.group(1)


def observe(client: FlaskClient) -> None:
    """Sign the client in as an observer: reads every page, changes nothing."""
    database: Database = client.application.extensions["fitgap.store.db"]
    sign_in(client, database, "observer", "observer")


def moderate(client: FlaskClient) -> None:
    """Sign the client in as the moderator (runs meetings, records decisions)."""
    database: Database = client.application.extensions["fitgap.store.db"]
    sign_in(client, database, "moderator", "moderator", name="山本")


def record_vendor_answer(
    db: Database, function_id: str, kind: Any, detail: str, cost: Any = None
) -> int:
    """Record the vendor's answer on a function (superseding any earlier one); its id."""
    from datetime import date

    from fitgap.domain.vendor import VendorAnswer
    from fitgap.services import vendor as vendor_service
    from fitgap.store import audit as audit_queries
    from fitgap.store import vendor as vendor_queries

    with db.write() as session:
        latest = vendor_queries.latest_answer(session=session, function_id=function_id)
        saved = vendor_service.record_answer(
            session=session,
            answer=VendorAnswer(function_id, kind, detail, date(2025, 5, 1), cost=cost),
            expected_id=latest.id if latest else 0,
            source="web",
            actor=audit_queries.Actor(name="vendor", address=None),
        )
    return saved.id


# --- `fitgap serve` in processes of its own -------------------------------------------------------

FITGAP = Path(sys.executable).parent / "fitgap"


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def serve(
    port: int, folder: Path, environment: dict[str, str], log: Path
) -> subprocess.Popen[bytes]:
    """Start `fitgap serve` on `port` in `folder` with `environment`, its output into `log`;
    stop it with `stop_servers`."""
    with log.open("wb") as output:  # the child keeps its own copy of the handle
        return subprocess.Popen(
            [str(FITGAP), "serve", "--port", str(port), "--threads", "4"],
            cwd=folder,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def wait_until_serving(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Wait (20 s at most) until `url` answers; fail with the log if the server exits."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text(encoding='utf-8')}")
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - our own local server
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not start: {url}")


def stop_servers(processes: list[subprocess.Popen[bytes]]) -> None:
    """Ask every server to stop, then wait for each (10 s, then it is killed)."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def waitress_in_thread(app: Any, **options: Any) -> Iterator[Any]:
    """The app served by waitress on a free port, in a thread of this process; the server.

    Stopped the way waitress's loop allows: the loop is told to stop and ends first, and only
    then are its sockets closed (closing them under a running loop raised EBADF in the thread,
    which pytest reports as an error of whichever test was running)."""
    import threading

    from waitress import wasyncore
    from waitress.server import create_server

    server: Any = create_server(app, **{"host": "127.0.0.1", "port": 0, "threads": 4, **options})
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            wasyncore.loop(timeout=0.05, map=server._map, count=1)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.task_dispatcher.shutdown()
        stop.set()
        thread.join(timeout=10)
        wasyncore.close_all(server._map)
