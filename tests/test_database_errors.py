"""A database that cannot be opened, written or reached: a clear message, never a traceback.

The real disks (a full tmpfs, an ext4 image remounted read-only or failing under a running
server) are in benchmarks/faults.py; these tests make a database refuse writes the ways a test
can: a file or folder that cannot be written, a PostgreSQL session that is read-only (as a hot
standby is).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import make_url
from sqlalchemy.exc import OperationalError

from fitgap import create_app
from fitgap.cli.main import main
from fitgap.store import catalog as catalog_queries
from fitgap.store.db import Database, describe_database_error
from tests.helpers import ON_POSTGRES, login, make_account, sign_in


def failure(message: str) -> OperationalError:
    return OperationalError("INSERT ...", {}, Exception(message))


@pytest.mark.parametrize(
    ("message", "words"),
    [
        ("database or disk is full", "ディスクがいっぱい"),
        ("attempt to write a readonly database", "読み取り専用"),
        ("unable to open database file", "開けません"),
        ("connection refused", "接続できません"),
        ("disk I/O error", "読み書きに失敗しました"),
        ("cannot execute INSERT in a read-only transaction", "読み取り専用"),
    ],
)
def test_database_errors_are_described(message: str, words: str) -> None:
    assert words in describe_database_error(failure(message))


def test_cli_on_a_database_it_cannot_open(files: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(files)
    url = f"sqlite:///{files / 'missing-folder' / 'fitgap.sqlite3'}"
    settings = {"DATABASE_URL": url, "SECRET_KEY": "x", "TESTING": True}
    result = CliRunner().invoke(
        main, ["score"], obj={"factory": lambda o=None: create_app({**settings, **(o or {})})}
    )
    assert result.exit_code == 1
    assert "開けません" in result.output and "Traceback" not in result.output


def test_web_page_when_the_disk_is_full(
    client: FlaskClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_in(client, db, "observer", "observer")

    def full(**_kwargs: object) -> None:
        raise failure("database or disk is full")

    monkeypatch.setattr(catalog_queries, "list_areas", full)
    response = client.get("/")
    assert response.status_code == 503
    assert "ディスクがいっぱい" in response.get_data(as_text=True)


def test_web_page_when_the_disk_fails(
    client: FlaskClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What SQLite says when the disk turns read-only under a running server (ext4's
    # errors=remount-ro): the explanation, not the driver's words.
    sign_in(client, db, "observer", "observer")

    def failing(**_kwargs: object) -> None:
        raise failure("disk I/O error")

    monkeypatch.setattr(catalog_queries, "list_areas", failing)
    response = client.get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "ディスクの読み書きに失敗しました" in page
    assert "I/O" not in page and "OperationalError" not in page


@contextmanager
def unwritable(path: Path) -> Iterator[None]:
    """Make a file or folder unwritable for this process, as root too (chattr +i)."""
    mode = path.stat().st_mode
    path.chmod(mode & ~0o222)
    immutable = False
    try:
        if os.geteuid() == 0:
            try:
                done = subprocess.run(["chattr", "+i", str(path)], capture_output=True)
                immutable = done.returncode == 0
            except FileNotFoundError:
                pass
        if os.access(path, os.W_OK):
            pytest.skip("this file system lets this user write anyway")
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        path.chmod(mode)


@contextmanager
def refusing_writes(url: str) -> Iterator[str]:
    """The URL of the same database, refusing every write: on PostgreSQL a read-only session
    (what a hot standby gives), on SQLite a database file that cannot be written."""
    if ON_POSTGRES:
        yield url.replace("options=-c", "options=-cdefault_transaction_read_only%3Don%20-c")
        return
    database = make_url(url).database
    assert database is not None
    with unwritable(Path(database)):
        yield url


def run(app: Flask, *args: str) -> Result:
    """`fitgap ARGS` on this app; an exception escaping the command fails the test."""
    return CliRunner().invoke(
        main, list(args), obj={"factory": lambda _o=None: app}, catch_exceptions=False
    )


def test_a_database_that_refuses_writes(
    sample: Path, settings: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(sample)
    monkeypatch.setenv("FITGAP_LANG", "ja")
    marks = sorted(str(p) for p in (sample / "marks").glob("*.yaml"))
    # Every connection is closed before the file is made read-only: SQLite would otherwise
    # hand a new connection of this process the writable descriptor of an old one.
    app = create_app(settings)
    assert run(app, "load").exit_code == 0
    make_account(app.extensions["fitgap.store.db"], "staff-naka", town="naka")
    app.extensions["fitgap.store.db"].dispose()
    with refusing_writes(settings["DATABASE_URL"]) as url:
        for args in (("load",), ("marks", "import", *marks)):
            app = create_app({**settings, "DATABASE_URL": url})
            result = run(app, *args)
            app.extensions["fitgap.store.db"].dispose()
            # Before: a traceback on PostgreSQL (psycopg's ReadOnlySqlTransaction is an
            # InternalError, not an OperationalError).
            assert result.exit_code == 1, result.output
            assert "読み取り専用" in result.output and "Traceback" not in result.output
        app = create_app({**settings, "DATABASE_URL": url})
        try:
            assert run(app, "score").exit_code == 0  # reading still works
            client = app.test_client()
            assert client.get("/login").status_code == 200
            response = login(client, "staff-naka")  # signing in writes (the audit trail)
            assert response.status_code == 503
            assert "読み取り専用" in response.get_data(as_text=True)
        finally:
            app.extensions["fitgap.store.db"].dispose()


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's files; PostgreSQL keeps its own")
def test_cli_when_the_database_folder_is_read_only(
    files: Path, settings: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # In WAL mode SQLite needs to make its -wal and -shm files even to read: on a read-only
    # disk it cannot open the database at all. Say why, instead of "check the location".
    monkeypatch.chdir(files)
    folder = files / "disk"
    folder.mkdir()
    url = f"sqlite:///{folder / 'fitgap.sqlite3'}"
    database = Database(url)
    database.upgrade()
    database.dispose()
    assert not (folder / "fitgap.sqlite3-wal").exists()
    with unwritable(folder):
        app = create_app({**settings, "DATABASE_URL": url})
        result = run(app, "score")
        app.extensions["fitgap.store.db"].dispose()
    assert result.exit_code == 1
    assert "フォルダーに書き込めない" in result.output and "読み取り専用" in result.output


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's setting; PostgreSQL's synchronous_commit")
def test_sqlite_acknowledges_a_commit_only_once_it_is_on_disk(db: Database) -> None:
    # synchronous=NORMAL lost acknowledged mark changes when the disk failed (faults.py):
    # FULL syncs the write-ahead log at every commit.
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
