"""Fixtures of the browser tests (tests/browser/support.py has their helpers).

Two ways to a browser: `chromium` and `server` give each test its own Chromium and the app on
the sample data (a fresh database per test); `site` and `site_chromium` serve the demo data
(`fitgap demo`: catalog, marks, the sample meeting, an account per role) and one Chromium to
all the tests of a module.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner
from flask import Flask

from fitgap import create_app
from fitgap.cli.main import main
from fitgap.store import accounts as account_queries
from fitgap.store import meetings as meeting_queries
from fitgap.store.db import Database
from tests.browser.support import ARGS, CHROMIUM, PAGE_SIZE, Site, require_chromium
from tests.helpers import FAST_HASH, REPO, Invoke, empty_database, make_account, waitress_in_thread

if TYPE_CHECKING:
    from playwright.sync_api import Browser


@pytest.fixture
def chromium() -> Iterator[Any]:
    """The system Chromium, launched headless through Playwright's own driver."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def server(app: Flask, sample: Path, fitgap: Invoke, db: Database) -> Iterator[str]:
    """The app on the demo data, served by waitress on a free port in a thread, with the
    staff accounts of 石井町 and 那賀町."""
    assert fitgap("load").exit_code == 0
    marks = sorted(str(p) for p in (sample / "marks").glob("*.yaml"))
    assert fitgap("marks", "import", *marks).exit_code == 0
    for town in ("ishii", "naka"):
        make_account(db, town, "staff", town=town)
    with waitress_in_thread(app) as wsgi:
        yield f"http://127.0.0.1:{wsgi.effective_port}"


@pytest.fixture(scope="module")
def site_chromium(site: Site) -> Iterator[Browser]:
    """The system Chromium for the demo site's tests, launched headless once for the module
    (and closed before the site's server, so it has no open connection left when it stops)."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def site_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty database for the demo site (as `database_url`, but shared by the module's
    tests)."""
    with empty_database(tmp_path_factory.mktemp("a11y-db")) as url:
        yield url


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, site_database_url: str) -> Iterator[Site]:
    """`fitgap demo --no-serve` (catalog, marks, the sample meeting, an account per role), then
    the app served by waitress on a free port, with the demo accounts on the sign-in page."""
    from waitress.server import BaseWSGIServer

    require_chromium()
    folder = tmp_path_factory.mktemp("a11y")
    for source, name in (("requirements_catalog", "catalog"), ("towns", "towns")):
        shutil.copytree(REPO / source, folder / name)
    shutil.copytree(REPO / "demo" / "marks", folder / "marks")
    shutil.copy(REPO / "demo" / "meetings.yaml", folder / "meetings.yaml")
    shutil.copy(REPO / "demo" / "vendor_answers.yaml", folder / "vendor_answers.yaml")
    settings: dict[str, Any] = {
        "TESTING": True,
        "DATABASE_URL": site_database_url,
        "SECRET_KEY": "a11y-test-secret",
        "CATALOG_DIR": str(folder / "catalog"),
        "TOWNS_DIR": str(folder / "towns"),
        "EXPORTS_DIR": str(folder / "exports"),
        "PASSWORD_HASH_METHOD": FAST_HASH,
        "DEMO_DATABASE_URL": site_database_url,
        "DEMO_MARKS_DIR": str(folder / "marks"),
        "DEMO_MEETINGS_FILE": str(folder / "meetings.yaml"),
        "DEMO_ANSWERS_FILE": str(folder / "vendor_answers.yaml"),
    }
    made: list[Flask] = []

    def factory(overrides: dict[str, Any] | None = None) -> Flask:
        made.append(create_app({**settings, **(overrides or {})}))
        return made[-1]

    result = CliRunner().invoke(
        main,
        ["demo", "--no-serve"],
        obj={"factory": factory},
        env={"FITGAP_LANG": "ja"},
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    accounts = next(a.config["DEMO_ACCOUNTS"] for a in made if "DEMO_ACCOUNTS" in a.config)
    for application in made:
        application.extensions["fitgap.store.db"].dispose()
    app = create_app({**settings, "PAGE_SIZE": PAGE_SIZE, "DEMO": True, "DEMO_ACCOUNTS": accounts})
    database: Database = app.extensions["fitgap.store.db"]
    with database.session() as session:
        meetings = meeting_queries.list_meetings(session=session)
        staff = account_queries.get_by_login(session=session, login="ishii")
    assert len(meetings) == 1 and staff is not None
    args = {
        "area_id": "juki",
        "function_id": "0010090",  # decided at the sample meeting: notes, history, decision
        "town_id": "ishii",
        "meeting_id": meetings[0].id,
        "account_id": staff.id,
        "kind": "csv",
        "list_name": "functions",
        "filename": "fitgap.css",
    }
    try:
        with waitress_in_thread(app) as server:
            assert isinstance(server, BaseWSGIServer)  # one address: one listening socket
            yield Site(
                url=f"http://127.0.0.1:{server.getsockname()[1]}",
                app=app,
                passwords={a.login: a.password for a in accounts},
                args=args,
            )
    finally:
        database.dispose()
