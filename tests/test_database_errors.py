"""A database that cannot be opened, written or reached: a clear message, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy.exc import OperationalError

from fitgap import create_app, queries
from fitgap.cli import main
from fitgap.db import Database, describe_database_error

from conftest import sign_in


def failure(message: str) -> OperationalError:
    return OperationalError("INSERT ...", {}, Exception(message))


@pytest.mark.parametrize(
    ("message", "words"),
    [
        ("database or disk is full", "ディスクがいっぱい"),
        ("attempt to write a readonly database", "読み取り専用"),
        ("unable to open database file", "開けません"),
        ("connection refused", "接続できません"),
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

    monkeypatch.setattr(queries, "list_areas", full)
    response = client.get("/")
    assert response.status_code == 503
    assert "ディスクがいっぱい" in response.get_data(as_text=True)
