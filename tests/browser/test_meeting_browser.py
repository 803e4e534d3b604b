"""Two browsers on two server processes: a town's page follows the moderator without reloading."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from fitgap.domain.meetings.minutes import DecisionDraft
from fitgap.domain.values import Outcome
from fitgap.services import meetings
from fitgap.store import meetings as meeting_queries
from fitgap.store.audit import Actor
from fitgap.store.db import Database
from tests.browser.support import ARGS, CHROMIUM, require_chromium
from tests.helpers import (
    FAST_HASH,
    PASSWORD,
    Invoke,
    free_port,
    make_account,
    serve,
    stop_servers,
    wait_until_serving,
)

# Headless Chromium has no real tab switching: pretend, the way a browser reports it.
HIDE = (
    "Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});"
    "document.dispatchEvent(new Event('visibilitychange'))"
)
SHOW = HIDE.replace("=> true", "=> false")


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
            port = free_port()
            log = files / f"server-{worker}.log"
            process = serve(port, files, environment, log)
            processes.append(process)
            urls.append(f"http://127.0.0.1:{port}")
            logs.append(log)
        for url, process, log in zip(urls, processes, logs, strict=True):
            wait_until_serving(f"{url}/health", process, log)
        yield urls
    finally:
        stop_servers(processes)


def kaigo_meeting(sample: Path, fitgap: Invoke, db: Database) -> tuple[Any, list[Any]]:
    """The demo data loaded and a 介護保険 meeting planned on it: the meeting and its agenda."""
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
    return meeting, items


@pytest.mark.browser
def test_town_page_follows_the_moderator_across_worker_processes(
    sample: Path, fitgap: Invoke, db: Database, servers: list[str]
) -> None:
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    meeting, items = kaigo_meeting(sample, fitgap, db)
    first, second, third = (item.function_id for item in items[:3])
    moderator_url, town_url = servers
    make_account(db, "moderator", "moderator", name="山本")
    make_account(db, "naka", "staff", town="naka")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
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


@pytest.mark.browser
def test_console_follows_a_decision_recorded_in_another_tab(
    sample: Path, fitgap: Invoke, db: Database, servers: list[str]
) -> None:
    """Two moderators' consoles on two worker processes: a decision recorded in one shows in
    the other without a reload, and the other's typing and scroll stay where they were."""
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    meeting, items = kaigo_meeting(sample, fitgap, db)
    with db.write() as session:
        meeting_queries.set_current(
            session=session, meeting_id=meeting.id or 0, item_id=items[0].id
        )
    make_account(db, "moderator", "moderator", name="山本")
    make_account(db, "second", "moderator", name="佐藤")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            pages = []
            for url, login in zip(servers, ("moderator", "second"), strict=True):
                page = browser.new_context(
                    locale="ja-JP", viewport={"width": 1366, "height": 768}
                ).new_page()
                page.goto(f"{url}/login")
                page.fill("#login", login)
                page.fill("#password", PASSWORD)
                page.click("form.login-form button[type=submit]")
                page.wait_for_url(f"{url}/")
                page.goto(f"{url}/meetings/{meeting.id}/console")
                expect(page.locator("#console-item")).to_contain_text(items[0].function_id)
                pages.append(page)
            typing, other = pages
            typing.evaluate("window.fitgapMarker = 'same page'")
            # The first moderator has started a decision and scrolled to the towns' verdicts.
            typing.fill("#summary", "入力中の要旨")
            typing.locator("#action-what-0").scroll_into_view_if_needed()
            scrolled = typing.evaluate("window.scrollY")
            assert scrolled > 0

            # The second moderator records a decision on the same item, on the other process.
            other.check("#outcome-postponed")
            other.fill("#summary", "次回に各町の運用を確認する")
            other.click("#decision-submit")
            expect(other.locator("#console-item .decision-box")).to_contain_text("決定 #1")

            # The first console follows without a reload: the item shows the decision, the
            # agenda its result; the form being typed in stays, and so does the scroll.
            box = typing.locator("#console-item .decision-box")
            expect(box).to_contain_text("決定 #1：継続協議", timeout=10000)
            expect(typing.locator(f"#agenda-table #item-{items[0].id}")).to_contain_text("決定 #1")
            expect(typing.locator("#live")).to_contain_text("ほかの画面での変更を反映しました。")
            assert typing.input_value("#summary") == "入力中の要旨"
            assert abs(typing.evaluate("window.scrollY") - scrolled) < 2
            assert typing.evaluate("window.fitgapMarker") == "same page"
            # Recording it now would replace a decision the form never saw: refused, not lost.
            typing.check("#outcome-postponed")
            typing.click("#decision-submit")
            expect(typing.locator("#decision-form .warning")).to_contain_text(
                "別の決定が記録されました"
            )
            assert typing.input_value("#summary") == "入力中の要旨"
            # A third change, made outside both browsers: the console whose form nobody
            # touched takes the new form too; the one being typed in keeps its own.
            expect(other.locator("#decision-form h3")).to_contain_text("決定 #1 を置き換える")
            with db.write() as session:
                current = meeting_queries.current_decision(
                    session=session, function_id=items[0].function_id
                )
                assert current is not None
                meetings.record_decision(
                    session=session,
                    meeting_id=meeting.id or 0,
                    item_id=items[0].id or 0,
                    draft=DecisionDraft(Outcome.POSTPONED, summary="第三の進行役"),
                    supersedes_id=current.id,
                    actor=Actor(name="third", address=None),
                )
            expect(other.locator("#decision-form h3")).to_contain_text(
                "決定 #2 を置き換える", timeout=10000
            )
            expect(typing.locator("#console-item .decision-box")).to_contain_text(
                "決定 #2", timeout=10000
            )
            assert typing.input_value("#summary") == "入力中の要旨"
        finally:
            browser.close()
