"""Two browsers on two server processes: a town's page follows the moderator without reloading."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from fitgap.services import meetings
from fitgap.store import meetings as meeting_queries
from fitgap.store.db import Database
from tests.helpers import FAST_HASH, PASSWORD, Invoke, make_account

CHROMIUM = os.environ.get("FITGAP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
FITGAP = Path(sys.executable).parent / "fitgap"
# Headless Chromium has no real tab switching: pretend, the way a browser reports it.
HIDE = (
    "Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});"
    "document.dispatchEvent(new Event('visibilitychange'))"
)
SHOW = HIDE.replace("=> true", "=> false")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_serving(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
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


@pytest.fixture
def servers(settings: dict[str, object], files: Path) -> Iterator[list[str]]:
    """Two `fitgap serve` worker processes sharing this test's database."""
    environment = {
        **os.environ,
        "FITGAP_DATABASE_URL": str(settings["DATABASE_URL"]),
        "FITGAP_SECRET_KEY": "browser-test-secret",
        "FITGAP_CATALOG_DIR": str(settings["CATALOG_DIR"]),
        "FITGAP_TOWNS_DIR": str(settings["TOWNS_DIR"]),
        "FITGAP_EXPORTS_DIR": str(settings["EXPORTS_DIR"]),
    }
    # The accounts are made with the tests' cheap hash; the servers only check it.
    assert settings["PASSWORD_HASH_METHOD"] == FAST_HASH
    processes: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    logs: list[Path] = []
    try:
        for worker in range(2):
            port = _free_port()
            log = files / f"server-{worker}.log"
            with log.open("wb") as output:  # the child keeps its own copy of the handle
                process = subprocess.Popen(
                    [str(FITGAP), "serve", "--port", str(port), "--threads", "4"],
                    cwd=files,
                    env=environment,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                )
            processes.append(process)
            urls.append(f"http://127.0.0.1:{port}")
            logs.append(log)
        for url, process, log in zip(urls, processes, logs, strict=True):
            _wait_until_serving(f"{url}/health", process, log)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.mark.browser
def test_town_page_follows_the_moderator_across_worker_processes(
    sample: Path, fitgap: Invoke, db: Database, servers: list[str]
) -> None:
    if not Path(CHROMIUM).exists():
        message = f"no Chromium at {CHROMIUM} (set FITGAP_CHROMIUM)"
        if os.environ.get("FITGAP_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import expect, sync_playwright

    assert fitgap("load").exit_code == 0
    marks = sorted(str(p) for p in (sample / "marks").glob("*.yaml"))
    assert fitgap("marks", "import", *marks).exit_code == 0
    with db.write() as session:
        meeting = meetings.create_meeting(
            session=session,
            data=meeting_queries.MeetingInput(
                area_id="kaigo", held_on=date(2025, 4, 15), moderator="山本"
            ),
        )
        items = meeting_queries.agenda(session=session, meeting_id=meeting.id or 0)
    first, second, third = (item.function_id for item in items[:3])
    moderator_url, town_url = servers
    make_account(db, "moderator", "moderator", name="山本")
    make_account(db, "naka", "staff", town="naka")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            moderator = browser.new_context(locale="ja-JP").new_page()
            town = browser.new_context(locale="ja-JP").new_page()
            for page, url, login in (
                (moderator, moderator_url, "moderator"),
                (town, town_url, "naka"),
            ):
                page.goto(f"{url}/login")
                page.fill("#login", login)
                page.fill("#password", PASSWORD)
                page.click("form.login-form button[type=submit]")
                page.wait_for_url(f"{url}/")
            moderator.goto(f"{moderator_url}/meetings/{meeting.id}/console")
            town.goto(f"{town_url}/meetings/{meeting.id}/follow?town=naka")
            expect(town.locator("#live-item")).to_contain_text("進行役が議題を選ぶと")
            town.evaluate("window.fitgapMarker = 'same page'")

            moderator.get_by_role("button", name="次の議題 →").click()
            expect(moderator.locator("#current")).to_contain_text(first)
            # The town's page, on the other worker process, shows the item without a reload.
            expect(town.locator("#item-heading")).to_contain_text(first, timeout=8000)
            expect(town.locator("tr.own-town")).to_contain_text("那賀町")
            expect(town.locator("#live")).to_contain_text(first)  # announced to screen readers

            # Paused (WCAG 2.2.2): the page stays on its item until resumed.
            pause = town.get_by_role("button", name="自動更新を止める")
            pause.click()
            expect(town.get_by_role("button", name="自動更新を再開する")).to_have_attribute(
                "aria-pressed", "true"
            )
            moderator.get_by_role("button", name="次の議題 →").click()
            expect(moderator.locator("#current")).to_contain_text(second)
            town.wait_for_timeout(3000)
            expect(town.locator("#item-heading")).to_contain_text(first)
            town.get_by_role("button", name="自動更新を再開する").click()
            expect(town.locator("#item-heading")).to_contain_text(second, timeout=8000)

            # A hidden tab asks nothing, and catches up as soon as it is shown again.
            town.evaluate(HIDE)
            moderator.get_by_role("button", name="次の議題 →").click()
            expect(moderator.locator("#current")).to_contain_text(third)
            town.wait_for_timeout(3000)
            expect(town.locator("#item-heading")).to_contain_text(second)
            town.evaluate(SHOW)
            expect(town.locator("#item-heading")).to_contain_text(third, timeout=3000)
            assert town.evaluate("window.fitgapMarker") == "same page"
        finally:
            browser.close()
