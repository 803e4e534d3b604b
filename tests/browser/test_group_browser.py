"""The group page (参加団体の検討) in the system Chromium: choose towns, save and compare
scenarios, the chart and the table agree, no axe violations."""

from __future__ import annotations

import re
from typing import Any

import pytest

from fitgap.store.db import Database
from tests.browser.support import SCREENSHOTS, check_accessibility, shoot, sign_in
from tests.helpers import make_account

pytestmark = pytest.mark.browser

SAMPLES = ("sample-a", "sample-b", "sample-c", "sample-d", "sample-e", "sample-f", "sample-g")
MEMBERS = ("ishii", "kamiyama", "naka", "higashimiyoshi")


def chart_and_table(page: Any) -> tuple[list[tuple[str, str, bool]], list[tuple[str, int]]]:
    """The chart's bars (name, value label, gain?) and the table's rows (name, merit yen)."""
    bars = page.eval_on_selector_all(
        "figure.merit-chart g.bar-row",
        """rows => rows.map(g => [
            g.querySelector('.bar-name').textContent,
            g.querySelector('.bar-value').textContent,
            g.querySelector('rect').classList.contains('bar-gain'),
        ])""",
    )
    rows = page.eval_on_selector_all(
        "table.merit-table tbody tr",
        "rows => rows.map(r => [r.querySelector('th').textContent, "
        "Number(r.querySelector('td.merit').dataset.merit)])",
    )
    return [tuple(b) for b in bars], [tuple(r) for r in rows]


def assert_chart_matches_table(page: Any) -> None:
    bars, rows = chart_and_table(page)
    assert [b[0] for b in bars] == [r[0] for r in rows]
    for (name, label, gain), (_name, merit) in zip(bars, rows, strict=True):
        assert gain == (merit >= 0), name
        value = int(re.sub(r"[^\d+-]", "", label))  # "+22,719万円" -> 22719
        assert value == round(merit / 10_000), (name, label, merit)


def choose(page: Any, towns: tuple[str, ...]) -> None:
    for box in page.query_selector_all("form.group-choice input[name=town]"):
        wanted = box.get_attribute("value") in towns
        if box.is_checked() != wanted:
            box.click()
    page.click("form.group-choice button[type=submit]")
    page.wait_for_load_state()


def save(page: Any, name: str) -> None:
    page.fill("#scenario-name", name)
    page.click("form.save-scenario button[type=submit]")
    page.wait_for_url(re.compile(r"/group\?scenario=\d+"))


def test_choosing_towns_saving_and_comparing_scenarios(
    chromium: Any, server: str, db: Database
) -> None:
    make_account(db, "moderator", "moderator")
    context = chromium.new_context(viewport={"width": 1366, "height": 768}, locale="ja-JP")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, server, "moderator")
    page.click("nav >> text=参加団体の検討")
    page.wait_for_url(server + "/group")
    # By default the members: four towns, every one of them gains.
    assert page.locator("table.merit-table tbody tr").count() == 4
    assert page.locator("#group-results .ok").count() == 1
    assert_chart_matches_table(page)
    check_accessibility(page, "the group page")

    choose(page, MEMBERS + SAMPLES)
    assert page.locator("table.merit-table tbody tr").count() == 11
    warning = page.locator("#group-results .warning").inner_text()
    assert "サンプル町A" in warning and "石井町" not in warning
    assert_chart_matches_table(page)
    assert page.locator("table.agreement tbody tr").count() == 11
    assert page.locator("table.agreement td.heat-0").count() >= 11  # the diagonal at least
    # The first suggestion is the four towns of the real case.
    first = page.locator("ol.suggestions li").first.inner_text()
    assert first.startswith("石井町・神山町・那賀町・東みよし町")
    check_accessibility(page, "the group page with 11 towns")
    if SCREENSHOTS is not None:
        shoot(page, "group-11-towns-1366.png")
    save(page, "11町案")

    choose(page, (*MEMBERS, "sample-e", "sample-f", "sample-g"))
    assert page.locator("table.merit-table tbody tr").count() == 7
    save(page, "7町案")
    choose(page, MEMBERS)
    save(page, "4町案")
    assert page.locator(".scenarios li").count() == 3

    page.click("text=シナリオを並べて比べる")
    page.wait_for_url(server + "/group/compare")
    headers = page.eval_on_selector_all("table.compare thead th", "t => t.map(x => x.textContent)")
    assert headers[1:] == ["11町案", "7町案", "4町案"]
    sizes = page.eval_on_selector_all(
        "table.compare tbody tr:first-child td", "t => t.map(x => x.textContent.trim())"
    )
    assert sizes == ["11", "7", "4"]
    not_in = page.locator("table.compare tbody tr", has_text="サンプル町A のメリット")
    assert not_in.locator("td").nth(1).inner_text() == "不参加"
    check_accessibility(page, "the scenario comparison")
    if SCREENSHOTS is not None:
        shoot(page, "group-compare-1366.png")
    # A scenario opens the page with its towns.
    page.goto(server + "/group")
    page.click(".scenarios >> text=7町案")
    assert page.locator("table.merit-table tbody tr").count() == 7
    assert_chart_matches_table(page)
    assert errors == []
    context.close()


def test_observers_read_the_page_but_do_not_save(chromium: Any, server: str, db: Database) -> None:
    make_account(db, "observer", "observer")
    context = chromium.new_context(viewport={"width": 1920, "height": 1080}, locale="ja-JP")
    page = context.new_page()
    sign_in(page, server, "observer")
    response = page.goto(server + "/group")
    assert response is not None and response.status == 200
    assert page.locator("form.save-scenario").count() == 0
    assert_chart_matches_table(page)
    if SCREENSHOTS is not None:
        shoot(page, "group-members-1920.png")
    context.close()
