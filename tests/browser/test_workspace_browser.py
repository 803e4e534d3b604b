"""The workspace in a real browser: mark without a reload, conflicts, drafts, and WCAG 2.0 A/AA.

Drives the machine's own Chromium through Playwright (never `playwright install`). Without a
Chromium the test is skipped, except when FITGAP_REQUIRE_BROWSER=1 (CI), where it fails.
With FITGAP_SCREENSHOTS=DIR it also writes grid.png and function.png (1366x768) into DIR.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from flask import Flask

from tests.browser.support import AXE, SCREENSHOTS, check_accessibility, shoot, sign_in

pytestmark = pytest.mark.browser

AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"


def test_vendored_axe_matches_its_checksum() -> None:
    assert hashlib.sha256(AXE.read_bytes()).hexdigest() == AXE_SHA256


def test_marking_in_the_browser(chromium: Any, server: str) -> None:
    context = chromium.new_context(viewport={"width": 1366, "height": 768}, locale="ja-JP")
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    # Failed resources are expected here (no favicon; the 409 of the conflict); anything else
    # on the console, a CSP refusal above all, is a problem.
    page.on(
        "console",
        lambda msg: (
            problems.append(f"console: {msg.text}")
            if msg.type == "error" and not msg.text.startswith("Failed to load resource")
            else None
        ),
    )

    # Sign in as 石井町's staff, then open the grid of 住民記録.
    sign_in(page, server, "ishii")
    check_accessibility(page, "the overview")
    page.goto(server + "/areas/juki")
    assert page.locator("#function-rows .mark-form").count() > 10
    check_accessibility(page, "the grid")

    # Every town fits 0010010; 石井町 wants a customization: key 3 on its status buttons. A
    # customization needs a reason: the row says so (focus on it) and nothing is saved.
    page.evaluate("() => { window.notReloaded = true; }")
    before = page.inner_text("#area-totals")
    fit = page.locator("#st-0010010-fit")
    assert fit.get_attribute("aria-pressed") == "true"
    fit.focus()
    page.keyboard.press("3")
    page.wait_for_selector("#reason-0010010")
    page.wait_for_function("() => document.activeElement.id === 'reason-0010010'")
    assert page.locator("#st-0010010-fit").get_attribute("aria-pressed") == "true"
    check_accessibility(page, "the grid asking for a customization's reason")
    # A workflow change instead (key 2): saved, the row and the totals change without a reload.
    page.locator("#st-0010010-fit").focus()
    page.keyboard.press("2")
    page.wait_for_selector("#st-0010010-workflow_change[aria-pressed=true]")
    row = page.locator("tr", has=page.locator("#f-0010010"))
    assert "適合と業務見直しに分かれる" in row.inner_text()
    page.wait_for_function(
        "() => document.getElementById('live').textContent.includes('保存しました')"
    )
    assert page.inner_text("#area-totals") != before  # the totals came out of band, whole:
    assert page.locator("#area-totals table.totals-table").count() == 1
    assert page.locator("#function-grid .totals-table, #function-rows section").count() == 0
    assert page.evaluate("() => window.notReloaded === true")
    assert page.evaluate("() => document.activeElement.id") == "st-0010010-workflow_change"
    if SCREENSHOTS is not None:
        page.evaluate("() => document.getElementById('area-totals').scrollIntoView()")
        shoot(page, "grid.png")

    # Arrow keys move between rows; a click works as well as a key.
    page.keyboard.press("ArrowDown")
    focused = page.evaluate("() => document.activeElement.id")
    assert focused.startswith("st-0010020-")
    page.click("#st-0010020-not_applicable")
    page.wait_for_selector("#st-0010020-not_applicable[aria-pressed=true]")

    # Someone else saves 0010020 in another tab: this tab's click becomes a conflict.
    other = context.new_page()
    other.goto(server + "/areas/juki")
    other.click("#st-0010020-fit")
    other.wait_for_selector("#st-0010020-fit[aria-pressed=true]")
    other.close()
    page.click("#st-0010020-workflow_change")
    page.wait_for_selector("#conflict-0010020")
    # htmx moves the focus to the autofocus element once the swap has settled (a moment later).
    page.wait_for_function("() => document.activeElement.id === 'conflict-0010020'")
    check_accessibility(page, "the grid with a conflict")
    page.click("#st-0010020-workflow_change")  # overwrite with mine
    page.wait_for_selector("#st-0010020-workflow_change[aria-pressed=true]")
    assert page.evaluate("() => window.notReloaded === true")

    # Headings collapse and expand.
    toggle = page.locator(".group-toggle").first
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "false"
    assert not page.locator("#f-0010010").is_visible()
    toggle.click()
    assert page.locator("#f-0010010").is_visible()

    # A filter from the form updates the grid and the URL.
    page.check("input[name=divergent]")
    page.wait_for_url("**/areas/juki?*divergent=1*")
    page.wait_for_function("() => !document.getElementById('f-0010030')")
    assert page.locator("#f-0010010").is_visible()

    # The function page: the full text, every town, and my note with a preview.
    page.goto(server + "/functions/0010090")
    check_accessibility(page, "the function page")
    if SCREENSHOTS is not None:
        shoot(page, "function.png")
    page.evaluate("() => { window.notReloaded = true; }")
    page.fill("#note", "行政区コードは **EUC** で管理する。<script>alert(1)</script>")
    page.click("#my-mark button:has-text('プレビュー')")
    page.wait_for_selector("#note-preview strong")
    assert "<script>" in page.inner_text("#note-preview")  # shown as text, not run
    page.check("#my-mark input[value=workflow_change]")
    page.click("#my-mark button.primary")
    page.wait_for_function(
        "() => document.getElementById('live').textContent.includes('保存しました')"
    )
    assert "EUC" in page.inner_text("#town-marks")
    assert page.evaluate("() => window.notReloaded === true")
    assert page.evaluate("() => localStorage.length") == 0  # the draft is gone once saved
    check_accessibility(page, "the function page after saving")

    assert problems == []

    context.close()


def test_a_note_survives_a_broken_network(chromium: Any, server: str) -> None:
    context = chromium.new_context(viewport={"width": 1366, "height": 768}, locale="ja-JP")
    page = context.new_page()
    sign_in(page, server, "naka")
    page.goto(server + "/functions/0010020")
    page.fill("#note", "ネットワークが切れても残るメモ")
    # Every save fails: the form retries, then warns, and the draft stays in the browser.
    attempts: list[str] = []
    context.route(
        "**/marks/**",
        lambda route: attempts.append(route.request.url) or route.abort("internetdisconnected"),
    )
    page.evaluate("() => document.querySelector('.note-form').dataset.retryMs = '50'")
    page.click("#my-mark button.primary")
    page.wait_for_selector(".save-warning:not([hidden])", timeout=15_000)
    page.wait_for_function(
        "() => document.querySelector('.save-warning').textContent.includes('下書き')",
        timeout=15_000,
    )
    assert len(attempts) == 4  # the first try and three retries
    key = "fitgap-note:naka:0010020"
    assert page.evaluate(f"() => localStorage.getItem('{key}')") == "ネットワークが切れても残るメモ"
    # Reopening the page brings the draft back; with the network back, saving clears it.
    context.unroute("**/marks/**")
    page.goto(server + "/functions/0010020")
    assert page.input_value("#note") == "ネットワークが切れても残るメモ"
    assert page.locator(".draft-restored").is_visible()
    page.click("#my-mark button.primary")
    page.wait_for_function(
        "() => document.getElementById('live').textContent.includes('保存しました')"
    )
    assert page.evaluate(f"() => localStorage.getItem('{key}')") is None
    assert "ネットワークが切れても残るメモ" in page.inner_text("#town-marks")
    context.close()


def test_the_idle_warning_offers_to_stay_signed_in(chromium: Any, server: str, app: Flask) -> None:
    # A short timeout for the test: signed out after 4.8 s idle, warned 3.6 s before.
    app.config.update(IDLE_TIMEOUT_MINUTES=0.08, IDLE_WARNING_MINUTES=0.06)
    context = chromium.new_context(viewport={"width": 1366, "height": 768}, locale="ja-JP")
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.goto(server + "/login")
    check_accessibility(page, "the sign-in page")
    sign_in(page, server, "ishii")
    page.goto(server + "/areas/juki")
    warning = page.locator("#idle-warning")
    warning.wait_for(state="visible", timeout=5000)
    assert "まもなく自動的にログアウトします" in warning.inner_text()
    check_accessibility(page, "the idle warning")
    page.evaluate("() => { window.notReloaded = true; }")
    page.get_by_role("button", name="ログインしたままにする").click()
    warning.wait_for(state="hidden", timeout=3000)
    assert page.evaluate("() => window.notReloaded === true")  # stayed on the page
    # Left alone, the page goes to the sign-in page by itself and says why.
    page.wait_for_url("**/login?next=/areas/juki", timeout=15_000)
    assert "一定時間操作がなかったため" in page.inner_text("main")
    assert problems == []
    context.close()
