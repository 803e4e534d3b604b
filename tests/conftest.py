"""Fixtures: a fresh database per test (SQLite file, or a PostgreSQL schema), app, client, runner.

Set FITGAP_DATABASE_URL to a postgresql+psycopg:// URL to run the whole suite on PostgreSQL:
each test then gets a schema of its own, dropped afterwards. There is no silent fallback: if
that server does not answer, the tests fail.
"""

from __future__ import annotations

import os
import shutil
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from fitgap import create_app
from fitgap.cli import main
from fitgap.db import Database

REPO = Path(__file__).resolve().parent.parent
SERVER_URL = os.environ.get("FITGAP_DATABASE_URL", "")
ON_POSTGRES = SERVER_URL.startswith("postgresql")


def pytest_report_header() -> str:
    """Say which database the run uses, so a log never leaves it in doubt."""
    where = f"PostgreSQL {SERVER_URL}" if ON_POSTGRES else "SQLite (a file per test)"
    return f"fitgap database: {where}"


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database that only this test uses."""
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
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


@pytest.fixture
def files(tmp_path: Path) -> Path:
    """A working folder with empty catalog, towns, marks and exports folders."""
    for name in ("catalog", "towns", "marks", "exports"):
        (tmp_path / name).mkdir()
    return tmp_path


def write(folder: Path, name: str, content: str) -> Path:
    """Write a (dedented) text file and return its path."""
    path = folder / name
    path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return path


@pytest.fixture
def settings(database_url: str, files: Path) -> dict[str, Any]:
    """The test configuration: this test's database and folders."""
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "CATALOG_DIR": str(files / "catalog"),
        "TOWNS_DIR": str(files / "towns"),
        "EXPORTS_DIR": str(files / "exports"),
    }


@pytest.fixture
def app(settings: dict[str, Any]) -> Iterator[Flask]:
    """The app on this test's empty, migrated database."""
    application = create_app(settings)
    database: Database = application.extensions["fitgap.db"]
    database.upgrade()
    yield application
    database.dispose()


@pytest.fixture
def db(app: Flask) -> Database:
    """The app's database."""
    database: Database = app.extensions["fitgap.db"]
    return database


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of the app."""
    return app.test_client()


Invoke = Callable[..., Result]


@pytest.fixture
def fitgap(
    settings: dict[str, Any], monkeypatch: pytest.MonkeyPatch, files: Path
) -> Iterator[Invoke]:
    """Run the `fitgap` command in the test's folder; returns click's Result."""
    monkeypatch.chdir(files)
    monkeypatch.setenv("FITGAP_LANG", "ja")
    runner = CliRunner()
    apps: list[Flask] = []

    def factory(overrides: dict[str, Any] | None = None) -> Flask:
        application = create_app({**settings, **(overrides or {})})
        apps.append(application)
        return application

    def invoke(*args: str) -> Result:
        return runner.invoke(main, list(args), obj={"factory": factory}, catch_exceptions=False)

    yield invoke
    for application in apps:
        application.extensions["fitgap.db"].dispose()


@pytest.fixture
def sample(files: Path) -> Path:
    """The repository's sample data copied into the test's folder."""
    shutil.copytree(REPO / "requirements_catalog", files / "catalog", dirs_exist_ok=True)
    shutil.copytree(REPO / "towns", files / "towns", dirs_exist_ok=True)
    shutil.copytree(REPO / "demo" / "marks", files / "marks", dirs_exist_ok=True)
    return files
