"""Several `fitgap serve` processes on one database, as behind a reverse proxy
(docs/deployment.md): with one shared key a browser signed in on one server stays signed in
on the other; with a key each (instance/secret_key) it is signed out, and on PostgreSQL
`fitgap serve` warns at start."""

from __future__ import annotations

import http.cookiejar
import os
import re
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

from fitgap.cli.serve import shared_key_warning
from fitgap.store.db import Database
from fitgap.web import config
from tests.factories import make_catalog, make_towns
from tests.helpers import (
    FAST_HASH,
    ON_POSTGRES,
    PASSWORD,
    Invoke,
    free_port,
    make_account,
    serve,
    stop_servers,
    wait_until_serving,
)

Servers = Callable[[list[str]], list[str]]


@pytest.fixture
def servers(settings: dict[str, object], files: Path) -> Iterator[Servers]:
    """Start one `fitgap serve` process per key given, on this test's database; their URLs."""
    assert settings["PASSWORD_HASH_METHOD"] == FAST_HASH
    processes: list[subprocess.Popen[bytes]] = []

    def start(keys: list[str]) -> list[str]:
        urls = []
        for number, key in enumerate(keys):
            machine = files / f"machine-{number}"
            machine.mkdir()
            environment = {
                **os.environ,
                "FITGAP_DATABASE_URL": str(settings["DATABASE_URL"]),
                "FITGAP_CATALOG_DIR": str(settings["CATALOG_DIR"]),
                "FITGAP_TOWNS_DIR": str(settings["TOWNS_DIR"]),
                "FITGAP_LANG": "ja",
            }
            environment["FITGAP_SECRET_KEY"] = key
            port = free_port()
            log = machine / "server.log"
            process = serve(port, machine, environment, log)
            processes.append(process)
            url = f"http://127.0.0.1:{port}"
            wait_until_serving(f"{url}/health", process, log)
            urls.append(url)
        return urls

    try:
        yield start
    finally:
        stop_servers(processes)


def loaded(files: Path, fitgap: Invoke, db: Database) -> None:
    make_catalog(files, count=2)
    make_towns(files)
    assert fitgap("load").exit_code == 0
    make_account(db, "moderator", "moderator", name="山本")


def browser() -> urllib.request.OpenerDirector:
    """A browser's cookie jar: cookies for 127.0.0.1 go to every port, as through one proxy."""
    return urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )


def sign_in(opener: urllib.request.OpenerDirector, url: str) -> None:
    with opener.open(f"{url}/login", timeout=10) as response:
        page = response.read().decode()
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page
    form = {"csrf_token": found.group(1), "login": "moderator", "password": PASSWORD}
    data = urllib.parse.urlencode(form).encode()
    with opener.open(f"{url}/login", data=data, timeout=10) as response:
        assert "/login" not in response.geturl()


def signed_in_on(opener: urllib.request.OpenerDirector, url: str) -> bool:
    with opener.open(f"{url}/dashboard", timeout=10) as response:
        page = response.read().decode()
        if "/login" in response.geturl():
            return False
    assert "山本" in page
    return True


def test_a_session_from_one_server_works_on_the_other_with_a_shared_key(
    files: Path, fitgap: Invoke, db: Database, servers: Servers
) -> None:
    loaded(files, fitgap, db)
    first, second = servers(["one-key-for-every-server", "one-key-for-every-server"])
    opener = browser()
    sign_in(opener, first)
    assert signed_in_on(opener, second) and signed_in_on(opener, first)


def test_with_a_key_per_machine_the_other_server_signs_the_browser_out(
    files: Path, fitgap: Invoke, db: Database, servers: Servers
) -> None:
    loaded(files, fitgap, db)
    # As when each machine generated its own instance/secret_key.
    first, second = servers(["key-made-by-machine-1", "key-made-by-machine-2"])
    opener = browser()
    sign_in(opener, first)
    assert signed_in_on(opener, first)
    assert not signed_in_on(opener, second)


def test_serve_says_so_at_start_when_the_key_is_its_own(
    settings: dict[str, object],
    files: Path,
    fitgap: Invoke,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    import waitress

    loaded(files, fitgap, db)
    instance = tmp_path / "instance"
    original = config._instance_secret
    monkeypatch.setattr(config, "_instance_secret", lambda _folder: original(instance))
    settings["SECRET_KEY"] = ""  # none given: the server makes its own
    monkeypatch.setattr(waitress, "serve", lambda app, **_kw: None)
    result = fitgap("serve", "--port", "0")
    assert result.exit_code == 0
    # On PostgreSQL (made to be shared) the server says so; on SQLite (one machine) it need not.
    assert ("FITGAP_SECRET_KEY" in result.output) == ON_POSTGRES, result.output
    assert (instance / "secret_key").exists()


def test_serve_warns_about_a_key_of_its_own_on_postgresql_only(tmp_path: Path) -> None:
    def app(url: str, key_file: str | None) -> Flask:
        application = Flask("probe")
        application.config["SECRET_KEY_FILE"] = key_file
        application.extensions["fitgap.store.db"] = Database(url)
        return application

    postgres = "postgresql+psycopg://fitgap@db.example/fitgap"
    key = str(tmp_path / "instance" / "secret_key")
    warning = shared_key_warning(app(postgres, key))
    assert warning is not None and key in warning and "FITGAP_SECRET_KEY" in warning
    assert shared_key_warning(app(postgres, None)) is None  # a key given by the deployment
    assert shared_key_warning(app(f"sqlite:///{tmp_path / 'x.sqlite3'}", key)) is None


def test_the_key_file_is_only_named_when_the_key_came_from_it(tmp_path: Path) -> None:
    given = Flask("given", instance_path=str(tmp_path / "a"))
    config.configure(given, {"SECRET_KEY": "from-the-deployment", "DATABASE_URL": "sqlite://"})
    assert "SECRET_KEY_FILE" not in given.config
    own = Flask("own", instance_path=str(tmp_path / "b"))
    config.configure(own, {"SECRET_KEY": "", "DATABASE_URL": "sqlite://"})
    assert own.config["SECRET_KEY_FILE"] == str(tmp_path / "b" / "secret_key")
    assert own.config["SECRET_KEY"] == (tmp_path / "b" / "secret_key").read_text()
