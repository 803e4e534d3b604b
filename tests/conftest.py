"""Fixtures: a fresh database per test (SQLite file, or a PostgreSQL schema), app, client, runner.

Set FITGAP_DATABASE_URL to a postgresql+psycopg:// URL to run the whole suite on PostgreSQL:
each test then gets a schema of its own, dropped afterwards. There is no silent fallback: if
that server does not answer, the tests fail.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient

from fitgap import create_app
from fitgap.cli.main import main
from fitgap.store.db import Database
from tests import meetings
from tests.factories import make_catalog, make_marks, make_towns
from tests.helpers import FAST_HASH, ON_POSTGRES, REPO, SERVER_URL, Invoke, empty_database


def pytest_report_header() -> str:
    """Say which database the run uses, so a log never leaves it in doubt."""
    where = f"PostgreSQL {SERVER_URL}" if ON_POSTGRES else "SQLite (a file per test)"
    return f"fitgap database: {where}"


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database that only this test uses."""
    with empty_database(tmp_path) as url:
        yield url


@pytest.fixture
def files(tmp_path: Path) -> Path:
    """A working folder with empty catalog, towns, marks and exports folders."""
    for name in ("catalog", "towns", "marks", "exports"):
        (tmp_path / name).mkdir()
    return tmp_path


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
        # A cheap hash keeps the suite fast; the default (scrypt) is tested on its own.
        "PASSWORD_HASH_METHOD": FAST_HASH,
    }


@pytest.fixture
def app(settings: dict[str, Any]) -> Iterator[Flask]:
    """The app on this test's empty, migrated database."""
    application = create_app(settings)
    database: Database = application.extensions["fitgap.store.db"]
    database.upgrade()
    yield application
    database.dispose()


@pytest.fixture
def db(app: Flask) -> Database:
    """The app's database."""
    database: Database = app.extensions["fitgap.store.db"]
    return database


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of the app."""
    return app.test_client()


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

    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(
            main, list(args), input=input, obj={"factory": factory}, catch_exceptions=False
        )

    yield invoke
    for application in apps:
        application.extensions["fitgap.store.db"].dispose()


@pytest.fixture
def sample(files: Path) -> Path:
    """The repository's sample data copied into the test's folder."""
    shutil.copytree(REPO / "requirements_catalog", files / "catalog", dirs_exist_ok=True)
    shutil.copytree(REPO / "towns", files / "towns", dirs_exist_ok=True)
    shutil.copytree(REPO / "demo" / "marks", files / "marks", dirs_exist_ok=True)
    return files


@pytest.fixture
def meeting_project(files: Path, fitgap: Invoke) -> Path:
    """The meeting tests' project: six functions, four towns, marks with every kind of
    divergence (tests/meetings.py)."""
    make_catalog(files, count=6)
    make_towns(files)
    assert fitgap("load").exit_code == 0
    paths = [str(make_marks(files, town, marks)) for town, marks in meetings.MARKS.items()]
    assert fitgap("marks", "import", *paths).exit_code == 0
    return files
