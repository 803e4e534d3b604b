"""Issue 14 in the browser, at 1366×768 and 1920×1080: the room view fits the projector with
the decision in view, the grid has no blank space and an opaque sticky header, its skip link
and status buttons, search waits for the Japanese input method, and the console works in place.

Runs on the demo data (`fitgap demo`) served by the `site` fixture (tests/browser/conftest.py).
With FITGAP_SCREENSHOTS=DIR it writes room, console and grid screenshots at both sizes into DIR.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect

from tests.browser.support import SCREENSHOTS, Audit, Site, shoot

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

SIZES = ((1366, 768), (1920, 1080))


def _open(site_chromium: Browser, site: Site, login: str, size: tuple[int, int]) -> Page:
    context = site_chromium.new_context(
        viewport={"width": size[0], "height": size[1]}, locale="ja-JP"
    )
    page = context.new_page()
    site.sign_in(page, login)
    return page


def _shoot(page: Page, name: str) -> None:
    if SCREENSHOTS is not None:
        shoot(page, name)


def _show_on_screen(moderator: Page, function_id: str) -> None:
    """Put an agenda item on every screen from the console (its row's 画面に出す)."""
    row = moderator.locator("table.agenda tbody tr", has=moderator.get_by_text(function_id))
    button = row.locator("button[id^=show-]")
    if button.count():
        button.click()
    expect(row).to_have_class(re.compile(r"\bcurrent\b"))


# --- item 3: the projector -------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES, ids=["1366x768", "1920x1080"])
def test_the_room_view_shows_the_decision_on_one_screen(
    site_chromium: Browser, site: Site, size: tuple[int, int]
) -> None:
    audit = Audit()
    moderator = _open(site_chromium, site, "moderator", (1366, 768))
    moderator.goto(site.url + site.path("meetings.console"))
    room = _open(site_chromium, site, "observer", size)
    audit.watch(room)
    room.goto(site.url + site.path("meetings.room"))
    # The three decided items of the sample meeting (the decision with two action items first).
    for function_id in ("0010090", "0010540", "0010520"):
        _show_on_screen(moderator, function_id)
        expect(room.locator("#item-heading")).to_contain_text(function_id, timeout=10_000)
        decision = room.locator(".decision-box")
        expect(decision).to_be_visible()
        box = decision.bounding_box()
        assert box is not None
        if size == (1920, 1080):
            # The projector: the whole item on one screen, the decision inside the first 1080 px.
            assert box["y"] + box["height"] <= 1080, (function_id, box)
            height = room.evaluate("document.scrollingElement.scrollHeight")
            assert height <= 1080, (function_id, height)
        else:
            assert box["y"] + box["height"] <= 768, (function_id, box)  # also on a laptop
        # Each town's note once; no account controls on the wall.
        for note in room.locator("table.meeting-marks td .markdown").all_inner_texts():
            assert room.locator("main").inner_text().count(note.strip()) == 1, note
        assert room.locator(".header-tools, .site-header nav").count() == 0
        if function_id == "0010090":
            audit.check(room, f"room view {size}")
            _shoot(room, f"room-{size[0]}.png")
    audit.assert_clean()
    moderator.context.close()
    room.context.close()


# --- items 5 and 11: the grid ----------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES, ids=["1366x768", "1920x1080"])
def test_the_grid_ends_with_its_content_and_its_header_hides_the_rows(
    site_chromium: Browser, site: Site, size: tuple[int, int]
) -> None:
    page = _open(site_chromium, site, "ishii", size)
    page.goto(site.url + site.path("catalog.area"))
    expect(page.locator("#function-rows .mark-form").first).to_be_visible()
    # The page is as tall as its content: nothing below the end of <main> (it was ~5,900 px).
    measures = page.evaluate(
        """() => {
            // The page ends with <main> and the footer under it (時刻はすべて日本時間です).
            const main = (document.querySelector('.site-footer')
                          || document.querySelector('main')).getBoundingClientRect();
            const scroll = document.querySelector('#grid .table-scroll');
            return {page: document.scrollingElement.scrollHeight,
                    mainBottom: main.bottom + window.scrollY,
                    box: scroll.getBoundingClientRect().height,
                    table: document.querySelector('#function-grid').getBoundingClientRect().height};
        }"""
    )
    assert measures["table"] > 2 * measures["box"]  # the rows do scroll inside the box
    assert measures["page"] <= measures["mainBottom"] + 1, measures
    assert measures["page"] < size[1] + measures["box"], measures
    # The sticky header is opaque and covers the rows scrolled under it.
    page.evaluate("document.querySelector('#grid .table-scroll').scrollTop = 400")
    covered = page.evaluate(
        """() => {
            const th = document.querySelector('#function-grid thead th');
            const color = getComputedStyle(th).backgroundColor;
            const r = th.getBoundingClientRect();
            const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height - 2);
            return {color, hit: hit.closest('thead') !== null};
        }"""
    )
    assert re.fullmatch(r"rgb\(\d+, \d+, \d+\)", covered["color"]), covered  # no alpha
    assert covered["hit"], covered
    # Status buttons are at least 24×24 px (WCAG 2.2, 2.5.8).
    sizes = page.evaluate(
        """() => [...document.querySelectorAll('.status-buttons .st')].map(b => {
            const r = b.getBoundingClientRect(); return [r.width, r.height]; })"""
    )
    assert sizes and min(min(w, h) for w, h in sizes) >= 24, min(sizes)
    page.evaluate("document.querySelector('#grid .table-scroll').scrollTop = 0")
    page.evaluate("window.scrollTo(0, 0)")
    _shoot(page, f"grid-{size[0]}.png")
    # The first Tab is the skip link; it leads to the first status button.
    page.goto(site.url + site.path("catalog.area"))
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link").first).to_be_focused()
    expect(page.locator(".skip-link").first).to_have_text("判定の入力へ移動")
    page.keyboard.press("Enter")
    focused = page.evaluate("document.activeElement.id")
    assert re.fullmatch(r"st-0010010-\w+", focused), focused
    page.context.close()


def test_an_observer_skips_to_the_table(site_chromium: Browser, site: Site) -> None:
    page = _open(site_chromium, site, "observer", (1366, 768))
    page.goto(site.url + site.path("catalog.area"))
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link").first).to_have_text("機能の一覧へ移動")
    page.keyboard.press("Enter")
    expect(page.locator("#grid-table")).to_be_focused()
    page.context.close()


# --- item 6: search and the Japanese input method --------------------------------------------


def test_search_waits_for_the_input_method_to_finish(site_chromium: Browser, site: Site) -> None:
    page = _open(site_chromium, site, "ishii", (1366, 768))
    grid = site.url + site.path("catalog.area")
    page.goto(grid)
    expect(page.locator("#function-rows .mark-form").first).to_be_visible()
    searches: list[str] = []
    page.on("request", lambda r: searches.append(r.url) if "/areas/" in r.url else None)
    page.locator("#q").focus()
    page.evaluate(
        "document.getElementById('q').dispatchEvent("
        "new CompositionEvent('compositionstart', {bubbles: true, data: ''}))"
    )
    # てんにゅう typed kana by kana, as an IME sends it, slower than the search's 400 ms delay.
    typed = ""
    for kana in "てんにゅう":
        typed += kana
        page.evaluate(
            """text => {
                const q = document.getElementById('q');
                q.value = text;
                q.dispatchEvent(new InputEvent('input', {bubbles: true, data: text,
                    inputType: 'insertCompositionText', isComposing: true}));
            }""",
            typed,
        )
        page.wait_for_timeout(450)
    page.wait_for_timeout(300)
    assert searches == []  # nothing searched, nothing pushed into the address
    assert "q=" not in page.url
    # Converted to 転入 and committed: exactly one search, for the word.
    page.evaluate(
        """() => {
            const q = document.getElementById('q');
            q.value = '転入';
            q.dispatchEvent(new InputEvent('input', {bubbles: true, data: '転入',
                inputType: 'insertCompositionText', isComposing: true}));
            q.dispatchEvent(new CompositionEvent('compositionend', {bubbles: true, data: '転入'}));
        }"""
    )
    page.wait_for_url(re.compile(r".*q=%E8%BB%A2%E5%85%A5.*"))
    expect(page.locator("#live")).to_contain_text("条件に合います")
    page.wait_for_timeout(600)
    assert len(searches) == 1 and "q=%E8%BB%A2%E5%85%A5" in searches[0], searches
    # Typing without an IME still searches by itself.
    page.fill("#q", "外国人")
    page.wait_for_url(re.compile(r".*q=%E5%A4%96%E5%9B%BD%E4%BA%BA.*"))
    page.context.close()


# --- item 7: the console at 1366 px ----------------------------------------------------------


def _lines(page: Page, selector: str) -> list[dict[str, Any]]:
    """Each element's text and the number of lines it takes (its text's distinct line boxes)."""
    return list(
        page.evaluate(
            """sel => [...document.querySelectorAll(sel)].map(e => {
                const range = document.createRange();
                range.selectNodeContents(e);
                const tops = new Set([...range.getClientRects()]
                    .filter(r => r.width > 0).map(r => Math.round(r.top)));
                return {text: e.innerText, lines: tops.size};
            })""",
            selector,
        )
    )


@pytest.mark.parametrize("size", SIZES, ids=["1366x768", "1920x1080"])
def test_the_console_is_compact_and_reorders_in_place(
    site_chromium: Browser, site: Site, size: tuple[int, int]
) -> None:
    audit = Audit()
    page = _open(site_chromium, site, "moderator", size)
    audit.watch(page)
    page.goto(site.url + site.path("meetings.console"))
    # Headers and town names on one line; agenda rows of about two lines and one of buttons.
    cells = _lines(page, "table.agenda thead th") + _lines(
        page, ".meeting-marks th.town-name, .decision-form tbody th[scope=row]"
    )
    assert len(cells) == 5 + 2 * 4  # five headers, four towns in each of two tables
    for cell in cells:
        assert cell["lines"] == 1, cell
    heights = page.evaluate(
        "[...document.querySelectorAll('table.agenda tbody tr')]"
        ".map(r => r.getBoundingClientRect().height)"
    )
    assert max(heights) < 110, max(heights)  # was ~145 px with five stacked buttons
    _shoot(page, f"console-{size[0]}.png")

    # Move the fifth item to the top with the keyboard: no reload, no jump, focus kept.
    page.evaluate("() => { window.notReloaded = true; }")
    rows = page.locator("table.agenda tbody tr")
    fifth = rows.nth(4).get_attribute("id")
    assert fifth is not None
    item = fifth.removeprefix("item-")
    function_id = rows.nth(4).locator(".agenda-function a").first.inner_text()
    page.locator(f"#top-{item}").scroll_into_view_if_needed()
    scrolled = page.evaluate("window.scrollY")
    page.locator(f"#top-{item}").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#live")).to_contain_text(f"{function_id} を 1 番目に移しました。")
    expect(rows.first).to_have_id(fifth)
    expect(page.locator(f"#top-{item}")).to_be_focused()
    assert page.evaluate("() => window.notReloaded === true")
    assert "#" not in page.url
    assert abs(page.evaluate("window.scrollY") - scrolled) < rows.first.bounding_box()["height"] * 3  # type: ignore[index]
    # One step down again, still with the keyboard: the focus follows the item.
    page.locator(f"#down-{item}").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#live")).to_contain_text(f"{function_id} を 2 番目に移しました。")
    expect(rows.nth(1)).to_have_id(fifth)
    expect(page.locator(f"#down-{item}")).to_be_focused()
    # The menu holds the rarer actions.
    menu = rows.nth(1).locator("details.menu")
    menu.locator("summary").click()
    expect(menu.locator(f"#later-{item}")).to_be_visible()
    audit.check(page, f"console after moving an item {size}")
    menu.locator(f"#later-{item}").click()
    expect(page.locator("#live")).to_contain_text(f"{function_id} を次回以降にしました。")
    expect(rows.nth(1)).to_contain_text("次回以降")
    page.locator(f"#later-{item}, #now-{item}").first.evaluate(
        "b => b.closest('details').open = true"
    )
    page.locator(f"#now-{item}").click()
    expect(page.locator("#live")).to_contain_text("今回の議題に戻しました")
    # Stepping through the agenda stays in place too (once the last swap has settled: a key
    # pressed on the button it replaces would go nowhere).
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )
    page.locator("#go-next").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#live")).to_contain_text("会議室の画面の議題を切り替えました。")
    expect(page.locator("#go-next")).to_be_focused()
    assert page.evaluate("() => window.notReloaded === true") and "#" not in page.url
    audit.assert_clean()
    page.context.close()


# --- item 11: a customization needs its reason -----------------------------------------------


def test_the_grid_asks_for_the_reason_of_a_customization(
    site_chromium: Browser, site: Site
) -> None:
    audit = Audit()
    page = _open(site_chromium, site, "ishii", (1366, 768))
    audit.watch(page)
    page.goto(site.url + site.path("catalog.area"))
    button = page.locator("#st-0010040-customization")
    expect(page.locator("#st-0010040-fit")).to_have_attribute("aria-pressed", "true")
    button.focus()
    page.keyboard.press("3")
    reason = page.locator("#reason-0010040")
    expect(reason).to_be_focused()
    expect(page.locator("#live")).to_contain_text("標準の機能で足りない理由")
    expect(page.locator("#st-0010040-fit")).to_have_attribute("aria-pressed", "true")
    audit.check(page, "grid: a customization asks for its reason")
    reason.locator("a").click()
    page.wait_for_url(re.compile(r".*/functions/0010040\?status=customization&next=.*"))
    expect(page.locator("#my-mark input[value=customization]")).to_be_checked()
    page.fill("#note", "住民票の様式が町の条例の様式と合わないため。")
    page.click("#my-mark button.primary")
    expect(page.locator("#live")).to_contain_text("保存しました")
    expect(page.locator("#town-marks")).to_contain_text("条例の様式")
    audit.assert_clean()
    page.context.close()
